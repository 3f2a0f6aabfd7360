package gateway

import "strings"

// CredentialPrefix marks a sealed provider credential in event payloads.
// Renderings of events for people (the audit API, the live stream) open every
// sealed personal field they find; a credential is a secret, not personal
// data, so it is wrapped in a form they leave alone and only the gateway
// runtime opens.
const CredentialPrefix = "credential:"

// CredentialSubject is the key that seals a tenant's provider credentials.
// It holds no ':' — a sealed value is "enc:v1:<subject>:<ciphertext>" and the
// keyring reads the subject up to the first colon.
func CredentialSubject(tenantID string) string { return "credentials/" + tenantID }

// WrapCredential marks a sealed value as a provider credential.
func WrapCredential(sealed string) string { return CredentialPrefix + sealed }

// SealedCredential is the sealed value of a stored credential, for the
// keyring to open (a bare sealed value, as older events hold, is accepted).
func SealedCredential(stored string) string { return strings.TrimPrefix(stored, CredentialPrefix) }
