package trust

import (
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of the trust module.
var (
	ScoreUpdated      = events.Type{Module: "trust", Name: "ScoreUpdated", New: func() any { return &ScoreUpdatedV1{} }}
	DecayConfigured   = events.Type{Module: "trust", Name: "DecayConfigured", New: func() any { return &DecayConfiguredV1{} }}
	WeightsConfigured = events.Type{Module: "trust", Name: "WeightsConfigured", New: func() any { return &WeightsConfiguredV1{} }}
)

func init() { events.Register(ScoreUpdated, DecayConfigured, WeightsConfigured) }

// ScoreUpdatedV1 records a recalculated score that moved (or was asked for).
type ScoreUpdatedV1 struct {
	TenantID  string             `json:"tenant_id"`
	Score     float64            `json:"score"`
	Grade     string             `json:"grade"`
	Previous  float64            `json:"previous"`
	Pillars   map[string]float64 `json:"pillars"` // known pillars only
	Reason    string             `json:"reason"`  // signal | decay | recalculate | configuration
	At        time.Time          `json:"at"`
	Signals   int                `json:"signals"`
	Known     bool               `json:"known"`
	PrevGrade string             `json:"previous_grade"`
}

// DecayConfiguredV1 records the decay model of a tenant.
type DecayConfiguredV1 struct {
	TenantID string      `json:"tenant_id"`
	Config   DecayConfig `json:"config"`
}

// WeightsConfiguredV1 records a tenant's pillar weights.
type WeightsConfiguredV1 struct {
	TenantID string             `json:"tenant_id"`
	Weights  map[string]float64 `json:"weights"`
}

// StreamOfScore names a tenant's score stream.
func StreamOfScore(tenantID string) string { return "trust.score-" + tenantID }

// StreamOfConfig names a tenant's trust configuration stream.
func StreamOfConfig(tenantID string) string { return "trust.config-" + tenantID }
