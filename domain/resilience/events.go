// Package resilience holds Resilience: recovery objectives (RTO, RPO) per
// service, disruption scenarios over the CyberTwins asset graph, the Monte
// Carlo simulation of how a disruption spreads through the graph's
// dependencies and how long each service stays down against its objectives,
// and chaos experiments: bounded, scoped fault injection into the gateway's
// own provider calls. Events, pure rules and sentinel errors only.
package resilience

import (
	"errors"
	"time"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/risk"
)

// Module is the module's name (events com.astra.resilience.…, topic
// astra.resilience, permissions resilience:read|write|admin).
const Module = "resilience"

var evt = events.Of(Module)

// Event types of Resilience.
var (
	ObjectiveSet        = evt("ObjectiveSet", func() any { return &ObjectiveSetV1{} })
	ScenarioDefined     = evt("ScenarioDefined", func() any { return &ScenarioDefinedV1{} })
	ScenarioUpdated     = evt("ScenarioUpdated", func() any { return &ScenarioUpdatedV1{} })
	ScenarioDeleted     = evt("ScenarioDeleted", func() any { return &ScenarioDeletedV1{} })
	SimulationCompleted = evt("SimulationCompleted", func() any { return &SimulationCompletedV1{} })
	ChaosStarted        = evt("ChaosStarted", func() any { return &ChaosStartedV1{} })
	ChaosCompleted      = evt("ChaosCompleted", func() any { return &ChaosEndedV1{} })
	ChaosAborted        = evt("ChaosAborted", func() any { return &ChaosEndedV1{} })
)

func init() {
	events.Register(ObjectiveSet, ScenarioDefined, ScenarioUpdated, ScenarioDeleted, SimulationCompleted, ChaosStarted, ChaosCompleted, ChaosAborted)
}

// Sentinel errors of Resilience.
var (
	ErrScenarioNotFound   = errors.New("resilience: scenario not found")
	ErrInvalidScenario    = errors.New("resilience: invalid scenario")
	ErrSimulationNotFound = errors.New("resilience: simulation not found")
	ErrInvalidObjective   = errors.New("resilience: invalid objective")
	ErrServiceNotFound    = errors.New("resilience: service not found")
	ErrExperimentNotFound = errors.New("resilience: experiment not found")
	ErrInvalidExperiment  = errors.New("resilience: invalid experiment")
	ErrBlastRadius        = errors.New("resilience: blast radius exceeded")
	ErrPlatformScope      = errors.New("resilience: platform scope needs platform_admin")
	ErrExperimentEnded    = errors.New("resilience: experiment ended")
)

// StreamOfObjective is the stream of one service's objective in a tenant.
func StreamOfObjective(tenantID, serviceID string) string {
	return "resilience.objective-" + tenantID + "-" + serviceID
}

// StreamOfScenario is the stream of one scenario.
func StreamOfScenario(id string) string { return "resilience.scenario-" + id }

// StreamOfSimulation is the stream of one simulation.
func StreamOfSimulation(id string) string { return "resilience.simulation-" + id }

// StreamOfExperiment is the stream of one chaos experiment.
func StreamOfExperiment(id string) string { return "resilience.chaos-" + id }

// ObjectiveSetV1 records a service's recovery objectives.
type ObjectiveSetV1 struct {
	ServiceID  string `json:"service_id"`
	TenantID   string `json:"tenant_id"`
	RTOSeconds int64  `json:"rto_seconds"`
	RPOSeconds int64  `json:"rpo_seconds"`
}

// Kinds of disruption.
const (
	Outage     = "outage"
	Corruption = "corruption"
	Compromise = "compromise"
)

// DisruptionKinds lists the kinds of disruption.
var DisruptionKinds = []string{Outage, Corruption, Compromise}

// Disruption is one asset a scenario disrupts, how, and how long it takes
// to recover (a PERT or lognormal distribution in seconds, as in FAIR).
type Disruption struct {
	AssetID  string         `json:"asset_id"`
	Kind     string         `json:"kind" enum:"outage,corruption,compromise"`
	Recovery risk.Magnitude `json:"recovery"`
	// BackupIntervalSeconds is how often the asset's data is saved: a
	// corruption loses the data since the last save (uniform over the interval).
	BackupIntervalSeconds int64 `json:"backup_interval_seconds,omitempty"`
}

// ScenarioDefinedV1 records a scenario.
type ScenarioDefinedV1 struct {
	ScenarioID  string       `json:"scenario_id"`
	TenantID    string       `json:"tenant_id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Disruptions []Disruption `json:"disruptions"`
}

// ScenarioUpdatedV1 records changed fields of a scenario (nil: unchanged).
type ScenarioUpdatedV1 struct {
	ScenarioID  string        `json:"scenario_id"`
	Name        *string       `json:"name,omitempty"`
	Description *string       `json:"description,omitempty"`
	Disruptions *[]Disruption `json:"disruptions,omitempty"`
}

// ScenarioDeletedV1 records a scenario's deletion.
type ScenarioDeletedV1 struct {
	ScenarioID string `json:"scenario_id"`
}

// SimulationCompletedV1 records a simulation and its results.
type SimulationCompletedV1 struct {
	SimulationID string    `json:"simulation_id"`
	ScenarioID   string    `json:"scenario_id"`
	TenantID     string    `json:"tenant_id"`
	Iterations   int       `json:"iterations"`
	Seed         uint64    `json:"seed"`
	GraphVersion int64     `json:"graph_version"`
	Results      Results   `json:"results"`
	CompletedAt  time.Time `json:"completed_at"`
}
