package aegis

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/commands"
	cmd "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/aegis"
)

// NoteRequest is the body of POST /aegis/alerts/{id}/acknowledge.
type NoteRequest struct {
	Note string `json:"note,omitempty" validate:"max=2000"`
}

// AssignRequest is the body of POST /aegis/alerts/{id}/assign.
type AssignRequest struct {
	// Assignee is who owns the alert (a user id or e-mail address).
	Assignee string `json:"assignee" validate:"required,max=200"`
	Note     string `json:"note,omitempty" validate:"max=2000"`
}

// ResolveRequest is the body of POST /aegis/alerts/{id}/resolve.
type ResolveRequest struct {
	Resolution string `json:"resolution,omitempty" validate:"omitempty,oneof=fixed false_positive accepted_risk duplicate other" enum:"fixed,false_positive,accepted_risk,duplicate,other"`
	Note       string `json:"note,omitempty" validate:"max=2000"`
}

// Silence mutes a rule's matching events that also match its fields, until ends_at.
type Silence struct {
	Match   map[string]string `json:"match,omitempty" validate:"max=20"`
	EndsAt  time.Time         `json:"ends_at" validate:"required"`
	Comment string            `json:"comment,omitempty" validate:"max=1000"`
}

// AlertRuleRequest is the body of POST /aegis/alert-rules.
type AlertRuleRequest struct {
	Name        string `json:"name" validate:"required,max=200"`
	Description string `json:"description" validate:"max=2000"`
	// EventType is the CloudEvents type watched (GET /aegis/alert-rules/builtin lists them); a trailing * matches a prefix.
	EventType string `json:"event_type" validate:"required,max=200"`
	// Match requires fields of the event's data (dotted paths, or "subject") to hold values:
	// as written, a regular expression after "~", anything but the value after "!".
	Match map[string]string `json:"match,omitempty" validate:"max=20"`
	// Threshold matching events within WindowSeconds fire the rule (default 1 within 300 s).
	Threshold     int `json:"threshold,omitempty" validate:"min=0,max=100000"`
	WindowSeconds int `json:"window_seconds,omitempty" validate:"min=0,max=604800"`
	// GroupBy are the fields whose values make separate alerts (and the dedup key).
	GroupBy []string `json:"group_by,omitempty" validate:"max=10,dive,max=200"`
	// CooldownSeconds is how long a group stays quiet after it fired.
	CooldownSeconds int    `json:"cooldown_seconds,omitempty" validate:"min=0,max=604800"`
	Severity        string `json:"severity,omitempty" validate:"omitempty,oneof=low medium high critical inherit" enum:"low,medium,high,critical,inherit"`
	// Title of the alert; {field} is replaced by the event's field.
	Title    string    `json:"title,omitempty" validate:"max=300"`
	Enabled  *bool     `json:"enabled,omitempty"`
	Silences []Silence `json:"silences,omitempty" validate:"max=50,dive"`
}

// AlertRulePatch is the body of PATCH /aegis/alert-rules/{id} (absent fields stay).
type AlertRulePatch struct {
	Name            *string            `json:"name,omitempty" validate:"omitempty,min=1,max=200"`
	Description     *string            `json:"description,omitempty" validate:"omitempty,max=2000"`
	EventType       *string            `json:"event_type,omitempty" validate:"omitempty,max=200"`
	Match           *map[string]string `json:"match,omitempty"`
	Threshold       *int               `json:"threshold,omitempty" validate:"omitempty,min=1,max=100000"`
	WindowSeconds   *int               `json:"window_seconds,omitempty" validate:"omitempty,min=1,max=604800"`
	GroupBy         *[]string          `json:"group_by,omitempty" validate:"omitempty,max=10,dive,max=200"`
	CooldownSeconds *int               `json:"cooldown_seconds,omitempty" validate:"omitempty,min=0,max=604800"`
	Severity        *string            `json:"severity,omitempty" validate:"omitempty,oneof=low medium high critical inherit" enum:"low,medium,high,critical,inherit"`
	Title           *string            `json:"title,omitempty" validate:"omitempty,max=300"`
	Enabled         *bool              `json:"enabled,omitempty"`
	Silences        *[]Silence         `json:"silences,omitempty" validate:"omitempty,max=50,dive"`
}

// BuiltinRule is a built-in detector, or (ID "event_type") an event type rules may watch.
type BuiltinRule struct {
	ID string `json:"id"`
	alerting.Rule
}

func (a *API) alerts(c echo.Context) error {
	f := rm.AlertFilter{Status: c.QueryParam("status"), Severity: c.QueryParam("severity"), Source: c.QueryParam("source"),
		Assignee: c.QueryParam("assignee"), AgentID: c.QueryParam("agent_id")}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Alert], error) {
		return a.Queries.Alerts(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) answerAlert(c echo.Context, id string) error {
	x, err := a.Queries.Alert(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, "alerts/"+id, x.Version, x)
}

func (a *API) alert(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	return a.answerAlert(c, id)
}

func (a *API) alertStats(c echo.Context) error {
	st, err := a.Queries.AlertStats(c.Request().Context(), tenant(c), time.Now())
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, st)
}

// changeAlert binds body, runs the change and answers the alert.
func (a *API) changeAlert(c echo.Context, body any, change func(id string) ([]commands.Event, error)) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	if err := platform.BindOptional(c, body); err != nil {
		return err
	}
	evs, err := change(id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAlert(c, id) })
}

func (a *API) acknowledge(c echo.Context) error {
	var req NoteRequest
	return a.changeAlert(c, &req, func(id string) ([]commands.Event, error) {
		return a.Commands.AcknowledgeAlert(c.Request().Context(), writes.Metadata(c), cmd.AlertChange{ID: id, Note: req.Note})
	})
}

func (a *API) assign(c echo.Context) error {
	var req AssignRequest
	return a.changeAlert(c, &req, func(id string) ([]commands.Event, error) {
		return a.Commands.AssignAlert(c.Request().Context(), writes.Metadata(c), cmd.AlertChange{ID: id, Assignee: req.Assignee, Note: req.Note})
	})
}

func (a *API) resolve(c echo.Context) error {
	var req ResolveRequest
	return a.changeAlert(c, &req, func(id string) ([]commands.Event, error) {
		return a.Commands.ResolveAlert(c.Request().Context(), writes.Metadata(c), cmd.AlertChange{ID: id, Resolution: req.Resolution, Note: req.Note})
	})
}

func (a *API) alertRules(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.AlertRule], error) {
		return a.Queries.AlertRules(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) builtinRules(c echo.Context) error {
	var out []BuiltinRule
	for _, r := range aegis.BuiltinRules() {
		out = append(out, BuiltinRule{ID: r.ID, Rule: r.Rule})
	}
	for _, t := range aegis.AlertableTypes() {
		out = append(out, BuiltinRule{ID: "event_type", Rule: alerting.Rule{Name: t, EventType: t}})
	}
	return platform.RespondComplete(c, out)
}

func (a *API) answerRule(c echo.Context, status int, id string) error {
	x, err := a.Queries.AlertRule(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return answer(c, status, "alert-rules/"+id, x.Version, x)
}

func (a *API) alertRule(c echo.Context) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	return a.answerRule(c, http.StatusOK, id)
}

func silences(in []Silence) []alerting.Silence {
	out := make([]alerting.Silence, len(in))
	for i, s := range in {
		out[i] = alerting.Silence{Match: s.Match, EndsAt: s.EndsAt, Comment: s.Comment}
	}
	return out
}

func (a *API) createAlertRule(c echo.Context) error {
	var req AlertRuleRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	r := alerting.Rule{Name: req.Name, Description: req.Description, EventType: req.EventType, Match: req.Match, Threshold: req.Threshold,
		WindowSeconds: req.WindowSeconds, GroupBy: req.GroupBy, CooldownSeconds: req.CooldownSeconds, Severity: req.Severity, Title: req.Title,
		Enabled: req.Enabled == nil || *req.Enabled, Silences: silences(req.Silences)}
	id, evs, err := a.Commands.CreateAlertRule(c.Request().Context(), writes.Metadata(c), cmd.CreateAlertRule{Rule: r})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerRule(c, http.StatusCreated, id) })
}

func (a *API) updateAlertRule(c echo.Context) error {
	id, expected, err := writes.Versioned(c, ruleID)
	if err != nil {
		return err
	}
	var req AlertRulePatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateAlertRule(c.Request().Context(), writes.Metadata(c), cmd.UpdateAlertRule{ID: id, Expected: expected,
		Change: func(r alerting.Rule) alerting.Rule {
			patch(&r.Name, req.Name)
			patch(&r.Description, req.Description)
			patch(&r.EventType, req.EventType)
			patch(&r.Match, req.Match)
			patch(&r.Threshold, req.Threshold)
			patch(&r.WindowSeconds, req.WindowSeconds)
			patch(&r.GroupBy, req.GroupBy)
			patch(&r.CooldownSeconds, req.CooldownSeconds)
			patch(&r.Severity, req.Severity)
			patch(&r.Title, req.Title)
			patch(&r.Enabled, req.Enabled)
			if req.Silences != nil {
				r.Silences = silences(*req.Silences)
			}
			return r
		}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerRule(c, http.StatusOK, id) })
}

func (a *API) deleteAlertRule(c echo.Context) error {
	id, expected, err := writes.Versioned(c, ruleID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteAlertRule(c.Request().Context(), writes.Metadata(c), cmd.DeleteAlertRule{ID: id, Expected: expected})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}
