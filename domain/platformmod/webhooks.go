package platformmod

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts a Standard Webhooks signing secret: whsec_ and the
// base64 of the key bytes.
const SecretPrefix = "whsec_"

// SecretOf renders key bytes as a signing secret.
func SecretOf(key []byte) string { return SecretPrefix + base64.StdEncoding.EncodeToString(key) }

// Sign is the Standard Webhooks signature of a message: "v1," and the base64
// HMAC-SHA256, keyed with the secret's bytes, over "<id>.<timestamp>.<body>".
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return "", fmt.Errorf("platform: signing secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// SignatureHeader is the webhook-signature header: one signature per secret
// (the current one first, then a rotated one still in its grace period),
// space-delimited.
func SignatureHeader(secrets []string, id string, timestamp time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, id, timestamp, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// MatchType reports whether a CloudEvents type matches a filter pattern: the
// exact type, "*" for every type, or a prefix ending in ".*"
// ("com.astra.iam.*", "com.astra.*").
func MatchType(pattern, ceType string) bool {
	if pattern == "*" || pattern == ceType {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok && strings.HasSuffix(prefix, ".") {
		return strings.HasPrefix(ceType, prefix)
	}
	return false
}

// Matches reports whether any of the patterns matches ceType.
func Matches(patterns []string, ceType string) bool {
	for _, p := range patterns {
		if MatchType(p, ceType) {
			return true
		}
	}
	return false
}

// validPattern accepts "*", an exact com.astra type or a dotted prefix with ".*".
func validPattern(p string) bool {
	if p == "*" {
		return true
	}
	if len(p) > 200 || !strings.HasPrefix(p, "com.astra.") {
		return false
	}
	if prefix, ok := strings.CutSuffix(p, ".*"); ok {
		p = prefix
	}
	for _, r := range p {
		if !(r == '.' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return !strings.Contains(p, "..") && !strings.HasSuffix(p, ".")
}

// RetrySchedule is the Standard Webhooks retry schedule: the delay before
// each attempt after a failure (the first attempt is immediate). A delivery
// that fails the last is dead-lettered.
var RetrySchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Attempts is how many attempts a delivery gets (the first and the retries).
var Attempts = len(RetrySchedule) + 1

// NextDelay is the wait after the attempt-th failed attempt (1-based),
// scaled and with up to ±jitter (a fraction, e.g. 0.1) of it as given by
// unit in [0,1) (a random draw the caller makes); ok is false when the
// schedule is exhausted.
func NextDelay(attempt int, scale, jitter, unit float64) (time.Duration, bool) {
	if attempt < 1 || attempt > len(RetrySchedule) {
		return 0, false
	}
	d := float64(RetrySchedule[attempt-1]) * scale
	d += d * jitter * (2*unit - 1)
	return time.Duration(d), true
}

// Delivered reports whether an answer counts as delivered: only a 2xx
// (a redirect is not followed, and is a failure).
func Delivered(status int) bool { return status >= 200 && status < 300 }

// Integration is an integration folded from its stream.
type Integration struct {
	ID, TenantID, Name, URL, Mode, State string
	EventTypes                           []string
	Secret, PreviousSecret               string
	PreviousUntil                        time.Time
}

// Configured folds IntegrationConfigured.
func (i *Integration) Configured(d *IntegrationConfiguredV1) {
	i.ID, i.TenantID, i.Name, i.URL, i.Mode, i.EventTypes, i.Secret, i.State = d.IntegrationID, d.TenantID, d.Name, d.URL, d.Mode, d.EventTypes, d.Secret, StateActive
}

// Rotated folds IntegrationSecretRotated.
func (i *Integration) Rotated(d *IntegrationSecretRotatedV1) {
	i.Secret, i.PreviousSecret, i.PreviousUntil = d.Secret, d.PreviousSecret, d.PreviousUntil
}

// Usable refuses an integration that does not exist in the tenant or was deleted.
func (i *Integration) Usable(tenantID string) error {
	if i.ID == "" || i.TenantID != tenantID || i.State == StateDeleted {
		return ErrIntegrationNotFound
	}
	return nil
}

// NewIntegration validates a configuration: a name, an absolute http(s) URL
// without credentials, at least one event type pattern, a known mode.
func NewIntegration(d IntegrationConfiguredV1) (*IntegrationConfiguredV1, error) {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || len(d.Name) > 200 {
		return nil, fmt.Errorf("%w: a name of 1 to 200 characters is required", ErrInvalidIntegration)
	}
	u, err := url.Parse(d.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: url must be an absolute https URL without credentials", ErrInvalidIntegration)
	}
	if len(d.EventTypes) == 0 || len(d.EventTypes) > 100 {
		return nil, fmt.Errorf("%w: event_types needs 1 to 100 patterns", ErrInvalidIntegration)
	}
	for _, p := range d.EventTypes {
		if !validPattern(p) {
			return nil, fmt.Errorf("%w: event type pattern %q is neither \"*\", a com.astra type nor a prefix ending in \".*\"", ErrInvalidIntegration, p)
		}
	}
	if d.Mode == "" {
		d.Mode = ModeBinary
	}
	if d.Mode != ModeBinary && d.Mode != ModeStructured {
		return nil, fmt.Errorf("%w: mode must be binary or structured", ErrInvalidIntegration)
	}
	return &d, nil
}

// StreamOfIntegration is an integration's stream.
func StreamOfIntegration(id string) string { return "platform-integration-" + id }

// StreamOfReport is a report's stream.
func StreamOfReport(id string) string { return "platform-report-" + id }

// SecretSubject is the data key subject that seals an integration's secrets.
func SecretSubject(id string) string { return "platform/integration/" + id }
