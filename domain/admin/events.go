// Package admin holds the administration of the platform itself: the
// settings that change at run time, feature flags and their evaluation, the
// signed licence and its entitlements, and the record of projection
// rebuilds. Its state is platform-wide (not a tenant's); every instance
// folds it from three streams at start and keeps it current from the log.
package admin

import "github.com/astrabastion/astra/domain/events"

// Event types of the admin module.
var (
	ConfigChanged      = events.Type{Module: "admin", Name: "ConfigChanged", New: func() any { return &ConfigChangedV1{} }}
	FeatureFlagChanged = events.Type{Module: "admin", Name: "FeatureFlagChanged", New: func() any { return &FeatureFlagChangedV1{} }}
	LicenseInstalled   = events.Type{Module: "admin", Name: "LicenseInstalled", New: func() any { return &LicenseInstalledV1{} }}
	ProjectionRebuilt  = events.Type{Module: "admin", Name: "ProjectionRebuilt", New: func() any { return &ProjectionRebuiltV1{} }}
)

func init() { events.Register(ConfigChanged, FeatureFlagChanged, LicenseInstalled, ProjectionRebuilt) }

// The platform's administration streams: one each, so that an instance
// folds the whole state at start with three reads.
const (
	ConfigStream   = "admin.config"
	FlagsStream    = "admin.feature-flags"
	LicenseStream  = "admin.license"
	rebuildsPrefix = "admin.projection-"
)

// StreamOfRebuilds names the stream recording the rebuilds of a projection.
func StreamOfRebuilds(projection string) string { return rebuildsPrefix + projection }

// ConfigChangedV1 records a change of the settings stored at run time. Set
// and Reset are the change (for the audit trail); Settings is every stored
// value after it, so that an instance that sees only the latest change
// (it committed it itself, ahead of the log) still holds the whole state.
type ConfigChangedV1 struct {
	// Set are the settings given a value, in their canonical text.
	Set map[string]string `json:"set"`
	// Reset are the settings returned to their value at start.
	Reset []string `json:"reset"`
	// Settings are all stored values after the change.
	Settings map[string]string `json:"settings"`
}

// Flag changes.
const (
	FlagCreated = "created"
	FlagUpdated = "updated"
	FlagDeleted = "deleted"
)

// FeatureFlagChangedV1 records a flag created, changed or deleted, with the
// whole flag after the change (nil once deleted) and the flag's own version.
type FeatureFlagChangedV1 struct {
	Key     string `json:"key"`
	Change  string `json:"change"`
	Version int64  `json:"version"`
	Flag    *Flag  `json:"flag,omitempty"`
}

// LicenseInstalledV1 records a verified licence: its terms, and the signed
// file itself so that an auditor can verify it again.
type LicenseInstalledV1 struct {
	License License `json:"license"`
	// KeyID names the public key that verified the signature.
	KeyID string `json:"key_id"`
	// File is the signed licence file as installed.
	File string `json:"file"`
}

// ProjectionRebuiltV1 records that a projection's rebuild from offset 0
// into a new generation was started (it goes live once caught up).
type ProjectionRebuiltV1 struct {
	Projection string `json:"projection"`
	Generation int    `json:"generation"`
	Schema     string `json:"schema"`
}
