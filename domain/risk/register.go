package risk

import (
	"errors"
	"strings"
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of the risk module.
var (
	RiskIdentified      = events.Type{Module: "risk", Name: "RiskIdentified", New: func() any { return &RiskIdentifiedV1{} }}
	RiskUpdated         = events.Type{Module: "risk", Name: "RiskUpdated", New: func() any { return &RiskUpdatedV1{} }}
	RiskClosed          = events.Type{Module: "risk", Name: "RiskClosed", New: func() any { return &RiskClosedV1{} }}
	FairInputsSet       = events.Type{Module: "risk", Name: "FairInputsSet", New: func() any { return &FairInputsSetV1{} }}
	SimulationCompleted = events.Type{Module: "risk", Name: "SimulationCompleted", New: func() any { return &SimulationCompletedV1{} }}
	ThreatAdded         = events.Type{Module: "risk", Name: "ThreatAdded", New: func() any { return &ThreatAddedV1{} }}
)

func init() {
	events.Register(RiskIdentified, RiskUpdated, RiskClosed, FairInputsSet, SimulationCompleted, ThreatAdded)
}

// Treatments of a risk.
const (
	TreatMitigate = "mitigate"
	TreatAccept   = "accept"
	TreatTransfer = "transfer"
	TreatAvoid    = "avoid"
)

// RiskIdentifiedV1 records a new risk in the register.
type RiskIdentifiedV1 struct {
	RiskID      string   `json:"risk_id"`
	TenantID    string   `json:"tenant_id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Owner       string   `json:"owner"`
	Likelihood  int      `json:"likelihood"` // 1..5
	Impact      int      `json:"impact"`     // 1..5
	Treatment   string   `json:"treatment"`
	Residual    *Rating  `json:"residual,omitempty"`
	Threats     []string `json:"threats,omitempty"`
	AssetIDs    []string `json:"asset_ids,omitempty"`
}

// Rating is a likelihood × impact pair.
type Rating struct {
	Likelihood int `json:"likelihood"`
	Impact     int `json:"impact"`
}

// RiskUpdatedV1 records changed fields (nil = unchanged).
type RiskUpdatedV1 struct {
	RiskID      string    `json:"risk_id"`
	Title       *string   `json:"title,omitempty"`
	Description *string   `json:"description,omitempty"`
	Category    *string   `json:"category,omitempty"`
	Owner       *string   `json:"owner,omitempty"`
	Likelihood  *int      `json:"likelihood,omitempty"`
	Impact      *int      `json:"impact,omitempty"`
	Treatment   *string   `json:"treatment,omitempty"`
	Residual    *Rating   `json:"residual,omitempty"`
	Threats     *[]string `json:"threats,omitempty"`
}

// RiskClosedV1 records a risk leaving the register.
type RiskClosedV1 struct {
	RiskID string `json:"risk_id"`
	Reason string `json:"reason"`
}

// FairInputsSetV1 records a risk's FAIR model.
type FairInputsSetV1 struct {
	RiskID string     `json:"risk_id"`
	Inputs FairInputs `json:"inputs"`
}

// SimulationCompletedV1 records a simulation and its results (a risk's, or a portfolio's).
type SimulationCompletedV1 struct {
	SimulationID string    `json:"simulation_id"`
	TenantID     string    `json:"tenant_id"`
	RiskIDs      []string  `json:"risk_ids"`
	Portfolio    bool      `json:"portfolio"`
	Iterations   int       `json:"iterations"`
	Seed         uint64    `json:"seed"`
	Results      Results   `json:"results"`
	DurationMs   float64   `json:"duration_ms"`
	At           time.Time `json:"at"`
}

// ThreatAddedV1 records a tenant's custom threat.
type ThreatAddedV1 struct {
	ThreatID    string `json:"threat_id"`
	TenantID    string `json:"tenant_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	Reference   string `json:"reference,omitempty"`
}

// Register errors.
var (
	ErrRiskNotFound = errors.New("risk: risk not found")
	ErrRiskClosed   = errors.New("risk: risk is closed")
	ErrInvalidRisk  = errors.New("risk: invalid risk")
	// ErrNoFairInputs reports a simulation of a risk without a FAIR model.
	ErrNoFairInputs = errors.New("risk: no FAIR inputs set")
	// ErrSimulationNotFound reports a simulation that is not the tenant's.
	ErrSimulationNotFound = errors.New("risk: simulation not found")
)

// ValidRating checks a 1..5 scale value.
func ValidRating(v int) bool { return v >= 1 && v <= 5 }

// ValidTreatment checks a treatment.
func ValidTreatment(t string) bool {
	switch t {
	case TreatMitigate, TreatAccept, TreatTransfer, TreatAvoid:
		return true
	}
	return false
}

// Level names the band of likelihood × impact (1..25).
func Level(likelihood, impact int) string {
	s := likelihood * impact
	switch {
	case s >= 20:
		return "critical"
	case s >= 12:
		return "high"
	case s >= 6:
		return "medium"
	}
	return "low"
}

// ValidateUpdate checks the changed fields of a risk.
func ValidateUpdate(u *RiskUpdatedV1) error {
	if (u.Likelihood != nil && !ValidRating(*u.Likelihood)) || (u.Impact != nil && !ValidRating(*u.Impact)) ||
		(u.Treatment != nil && !ValidTreatment(*u.Treatment)) ||
		(u.Residual != nil && (!ValidRating(u.Residual.Likelihood) || !ValidRating(u.Residual.Impact))) {
		return ErrInvalidRisk
	}
	return nil
}

// ValidateNew checks a risk to identify.
func ValidateNew(r *RiskIdentifiedV1) error {
	r.Title = strings.TrimSpace(r.Title)
	if r.Title == "" || len(r.Title) > 300 || !ValidRating(r.Likelihood) || !ValidRating(r.Impact) {
		return ErrInvalidRisk
	}
	if r.Treatment == "" {
		r.Treatment = TreatMitigate
	}
	if !ValidTreatment(r.Treatment) {
		return ErrInvalidRisk
	}
	if r.Residual != nil && (!ValidRating(r.Residual.Likelihood) || !ValidRating(r.Residual.Impact)) {
		return ErrInvalidRisk
	}
	return nil
}

// StreamOfRisk names a risk's stream.
func StreamOfRisk(id string) string { return "risk.risk-" + id }

// StreamOfSimulation names a simulation's stream.
func StreamOfSimulation(id string) string { return "risk.simulation-" + id }

// StreamOfThreat names a custom threat's stream.
func StreamOfThreat(id string) string { return "risk.threat-" + id }
