package aegis

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/aegis/alerting"
)

// Errors of AEGIS, mapped to AEG codes at the edge.
var (
	ErrAgentNotFound     = errors.New("aegis: no such agent in this tenant")
	ErrInvalidAgent      = errors.New("aegis: invalid agent")
	ErrKeyClaimed        = errors.New("aegis: an API key belongs to another agent")
	ErrUnknownKey        = errors.New("aegis: no such API key in this tenant")
	ErrAgentKilled       = errors.New("aegis: the agent was killed; its keys are revoked and it cannot be released")
	ErrAgentContained    = errors.New("aegis: the agent is quarantined or killed")
	ErrInvalidTelemetry  = errors.New("aegis: invalid telemetry")
	ErrGuardrailNotFound = errors.New("aegis: no such guardrail in this tenant")
	ErrVersionNotFound   = errors.New("aegis: no such version of this guardrail")
	ErrAlertNotFound     = errors.New("aegis: no such alert in this tenant")
	ErrAlertResolved     = errors.New("aegis: the alert is resolved")
	ErrRuleNotFound      = errors.New("aegis: no such alert rule in this tenant")
)

// Agent statuses.
const (
	StatusActive      = "active"
	StatusQuarantined = "quarantined"
	StatusKilled      = "killed"
	StatusRetired     = "retired"
)

// Statuses lists the agent statuses.
var Statuses = []string{StatusActive, StatusQuarantined, StatusKilled, StatusRetired}

// Autonomy levels of an agent.
var AutonomyLevels = []string{"assistive", "supervised", "autonomous"}

// Agent is an agent's state, folded from its stream.
type Agent struct {
	ID, TenantID string
	Profile
	Status string
}

// Registered applies AgentRegistered.
func (a *Agent) Registered(d *AgentRegisteredV1) {
	a.ID, a.TenantID, a.Profile, a.Status = d.AgentID, d.TenantID, d.Profile, StatusActive
}

// Updated applies AgentUpdated.
func (a *Agent) Updated(d *AgentUpdatedV1) {
	set(&a.Name, d.Name)
	set(&a.Description, d.Description)
	set(&a.Owner, d.Owner)
	set(&a.Model, d.Model)
	set(&a.Provider, d.Provider)
	set(&a.Tools, d.Tools)
	set(&a.Autonomy, d.Autonomy)
	set(&a.DataScopes, d.DataScopes)
	set(&a.APIKeyIDs, d.APIKeyIDs)
	set(&a.AutoQuarantine, d.AutoQuarantine)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Contained applies a containment event of the given status.
func (a *Agent) Contained(status string) { a.Status = status }

// Live reports whether the agent is in the tenant's inventory.
func (a *Agent) Live(tenant string) bool {
	return a.ID != "" && a.TenantID == tenant && a.Status != StatusRetired
}

// CheckProfile validates a profile and fills its defaults (autonomy
// supervised, empty lists).
func CheckProfile(p *Profile) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || len(p.Name) > 200 {
		return invalidAgent("name", "1 to 200 characters")
	}
	if len(p.Description) > 2000 || len(p.Owner) > 200 || len(p.Model) > 200 || len(p.Provider) > 100 {
		return invalidAgent("description, owner, model, provider", "at most 2000, 200, 200 and 100 characters")
	}
	if p.Autonomy == "" {
		p.Autonomy = "supervised"
	}
	if !slices.Contains(AutonomyLevels, p.Autonomy) {
		return invalidAgent("autonomy_level", "assistive, supervised or autonomous")
	}
	if p.AutoQuarantine == "off" {
		p.AutoQuarantine = ""
	}
	if p.AutoQuarantine != "" && alerting.SeverityRank(p.AutoQuarantine) == 0 {
		return invalidAgent("auto_quarantine", "off, low, medium, high or critical")
	}
	for _, l := range []struct {
		field string
		list  *[]string
	}{{"tools", &p.Tools}, {"data_scopes", &p.DataScopes}, {"api_key_ids", &p.APIKeyIDs}} {
		if *l.list == nil {
			*l.list = []string{}
		}
		if len(*l.list) > 200 {
			return invalidAgent(l.field, "at most 200 entries")
		}
		for _, x := range *l.list {
			if strings.TrimSpace(x) == "" || len(x) > 200 {
				return invalidAgent(l.field, "non-empty entries of at most 200 characters")
			}
		}
	}
	for i, k := range p.APIKeyIDs {
		u, err := uuid.Parse(k)
		if err != nil {
			return invalidAgent(fmt.Sprintf("api_key_ids[%d]", i), "an API key id (UUID)")
		}
		p.APIKeyIDs[i] = u.String()
	}
	p.APIKeyIDs = dedupe(p.APIKeyIDs)
	return nil
}

func dedupe(xs []string) []string {
	out := xs[:0]
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func invalidAgent(field, want string) error {
	return fmt.Errorf("%w: %s must be %s", ErrInvalidAgent, field, want)
}

// Change applies a change to a copy of the profile, validates the result and
// returns it (the event is the change, completed with the keys and status).
func (a *Agent) Change(d *AgentUpdatedV1) (Profile, error) {
	next := *a
	next.Profile.Tools = slices.Clone(a.Tools)
	next.Updated(d)
	p := next.Profile
	if err := CheckProfile(&p); err != nil {
		return p, err
	}
	if d.APIKeyIDs != nil {
		*d.APIKeyIDs = p.APIKeyIDs
	}
	if d.Name != nil {
		d.Name = &p.Name
	}
	if d.AutoQuarantine != nil {
		d.AutoQuarantine = &p.AutoQuarantine
	}
	d.Keys, d.Status = p.APIKeyIDs, a.Status
	return p, nil
}

// Quarantine decides a quarantine: nothing when the agent is quarantined
// already; a killed agent stays killed.
func (a *Agent) Quarantine(tenant, reason string) (*ContainmentV1, error) {
	return a.contain(tenant, reason, StatusQuarantined, StatusKilled)
}

// Release decides lifting a quarantine: nothing when the agent is active; a
// killed agent cannot be released (its keys are revoked).
func (a *Agent) Release(tenant, reason string) (*ContainmentV1, error) {
	return a.contain(tenant, reason, StatusActive, StatusKilled)
}

// Kill decides the kill switch of an agent: nothing when it is killed already.
func (a *Agent) Kill(tenant, reason string) (*ContainmentV1, error) {
	return a.contain(tenant, reason, StatusKilled, "")
}

// contain decides moving a live agent to status: nothing when it is there
// already, ErrAgentKilled from the status refused.
func (a *Agent) contain(tenant, reason, status, refused string) (*ContainmentV1, error) {
	switch {
	case !a.Live(tenant):
		return nil, ErrAgentNotFound
	case a.Status == status:
		return nil, nil
	case a.Status == refused:
		return nil, ErrAgentKilled
	}
	return &ContainmentV1{AgentID: a.ID, Reason: reason, Keys: a.keys()}, nil
}

// Retire decides an agent's removal from the inventory.
func (a *Agent) Retire(tenant, reason string) (*AgentRetiredV1, error) {
	if !a.Live(tenant) {
		return nil, ErrAgentNotFound
	}
	return &AgentRetiredV1{AgentID: a.ID, Reason: reason, Keys: a.keys()}, nil
}

func (a *Agent) keys() []string { return append([]string{}, a.APIKeyIDs...) }

// ShouldQuarantine reports whether an anomaly of severity quarantines an
// agent that asks for it at threshold ("": never).
func ShouldQuarantine(threshold, severity string) bool {
	return threshold != "" && alerting.SeverityRank(severity) >= alerting.SeverityRank(threshold)
}
