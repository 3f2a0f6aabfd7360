package aegis

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/aegis"
)

// GuardrailRequest is the body of POST /aegis/guardrails.
type GuardrailRequest struct {
	Name        string `json:"name" validate:"required,max=200"`
	Description string `json:"description" validate:"max=2000"`
	Type        string `json:"type" validate:"required,oneof=keyword regex topic pii injection length tool_allowlist cel" enum:"keyword,regex,topic,pii,injection,length,tool_allowlist,cel"`
	// Config holds what the type reads: keyword {keywords}, regex {patterns}, topic {topics: [{name, keywords}]},
	// pii {pii_types, min_score}, injection {threshold}, length {max_chars, max_messages}, tool_allowlist {tools},
	// cel {expression over request: model, provider, agent_id, api_key_id, messages, prompt, tools, chars}.
	Config   guardrail.Config `json:"config"`
	Action   string           `json:"action" validate:"omitempty,oneof=block redact alert" enum:"block,redact,alert"`
	Severity string           `json:"severity" validate:"omitempty,oneof=low medium high critical" enum:"low,medium,high,critical"`
	Scope    *guardrail.Scope `json:"scope,omitempty"`
	// Enabled is true unless false is given.
	Enabled *bool `json:"enabled,omitempty"`
}

// GuardrailPatch is the body of PATCH /aegis/guardrails/{id} (absent fields stay).
type GuardrailPatch struct {
	Name        *string           `json:"name,omitempty" validate:"omitempty,min=1,max=200"`
	Description *string           `json:"description,omitempty" validate:"omitempty,max=2000"`
	Type        *string           `json:"type,omitempty" validate:"omitempty,oneof=keyword regex topic pii injection length tool_allowlist cel" enum:"keyword,regex,topic,pii,injection,length,tool_allowlist,cel"`
	Config      *guardrail.Config `json:"config,omitempty"`
	Action      *string           `json:"action,omitempty" validate:"omitempty,oneof=block redact alert" enum:"block,redact,alert"`
	Severity    *string           `json:"severity,omitempty" validate:"omitempty,oneof=low medium high critical" enum:"low,medium,high,critical"`
	Scope       *guardrail.Scope  `json:"scope,omitempty"`
}

// Message is one message of a sample.
type Message struct {
	Role    string `json:"role" validate:"required,oneof=system developer user assistant tool" enum:"system,developer,user,assistant,tool"`
	Content string `json:"content" validate:"max=1000000"`
}

// EvaluateRequest is a sample to judge: a text (a user message) or messages,
// with the request's facts that scopes and CEL expressions read.
type EvaluateRequest struct {
	Input    string    `json:"input,omitempty" validate:"max=1000000"`
	Messages []Message `json:"messages,omitempty" validate:"max=1000,dive"`
	Model    string    `json:"model,omitempty" validate:"max=200"`
	Provider string    `json:"provider,omitempty" validate:"max=100"`
	AgentID  string    `json:"agent_id,omitempty" validate:"omitempty,uuid"`
	APIKeyID string    `json:"api_key_id,omitempty" validate:"omitempty,uuid"`
	// Tools are the tools the request declares or calls.
	Tools []string `json:"tools,omitempty" validate:"max=200,dive,max=200"`
}

// EvaluateResult is a verdict, with the messages as a redacting guardrail
// left them.
type EvaluateResult struct {
	guardrail.Verdict
	Messages []Message `json:"messages"`
}

func (a *API) guardrails(c echo.Context) error {
	f := rm.GuardrailFilter{Type: c.QueryParam("type")}
	if v := c.QueryParam("enabled"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return platform.Problem("VAL-005", "enabled must be true or false.")
		}
		f.Enabled = &b
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Guardrail], error) {
		return a.Queries.Guardrails(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) answerGuardrail(c echo.Context, status int, id string) error {
	g, err := a.Queries.Guardrail(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return answer(c, status, "guardrails/"+id, g.Version, g)
}

func (a *API) guardrail(c echo.Context) error {
	id, err := guardrailID(c)
	if err != nil {
		return err
	}
	return a.answerGuardrail(c, http.StatusOK, id)
}

func (a *API) createGuardrail(c echo.Context) error {
	var req GuardrailRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	sp := guardrail.Spec{Name: req.Name, Description: req.Description, Type: req.Type, Config: req.Config, Action: req.Action, Severity: req.Severity}
	if req.Scope != nil {
		sp.Scope = *req.Scope
	}
	id, evs, err := a.Commands.CreateGuardrail(c.Request().Context(), writes.Metadata(c), cmd.CreateGuardrail{Spec: sp, Disabled: req.Enabled != nil && !*req.Enabled})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerGuardrail(c, http.StatusCreated, id) })
}

func (a *API) updateGuardrail(c echo.Context) error {
	id, expected, err := writes.Versioned(c, guardrailID)
	if err != nil {
		return err
	}
	var req GuardrailPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateGuardrail(c.Request().Context(), writes.Metadata(c), cmd.UpdateGuardrail{ID: id, Expected: expected,
		Change: func(sp guardrail.Spec) guardrail.Spec {
			patch(&sp.Name, req.Name)
			patch(&sp.Description, req.Description)
			patch(&sp.Type, req.Type)
			patch(&sp.Config, req.Config)
			patch(&sp.Action, req.Action)
			patch(&sp.Severity, req.Severity)
			patch(&sp.Scope, req.Scope)
			return sp
		}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerGuardrail(c, http.StatusOK, id) })
}

// patch sets *dst to *v when v is given.
func patch[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (a *API) deleteGuardrail(c echo.Context) error {
	id, expected, err := writes.Versioned(c, guardrailID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteGuardrail(c.Request().Context(), writes.Metadata(c), cmd.DeleteGuardrail{ID: id, Expected: expected})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) toggleGuardrail(c echo.Context, on bool) error {
	id, err := guardrailID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.ToggleGuardrail(c.Request().Context(), writes.Metadata(c), cmd.ToggleGuardrail{ID: id, On: on})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerGuardrail(c, http.StatusOK, id) })
}

func (a *API) enableGuardrail(c echo.Context) error  { return a.toggleGuardrail(c, true) }
func (a *API) disableGuardrail(c echo.Context) error { return a.toggleGuardrail(c, false) }

func (a *API) guardrailVersions(c echo.Context) error {
	id, err := guardrailID(c)
	if err != nil {
		return err
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.GuardrailVersion], error) {
		return a.Queries.GuardrailVersions(c.Request().Context(), tenant(c), id, p)
	})
}

// sample reads a sample into the engine's input; the messages it returns
// are what the input's texts point into.
func sample(c echo.Context) (*guardrail.Input, []Message, error) {
	var req EvaluateRequest
	if err := platform.Bind(c, &req); err != nil {
		return nil, nil, err
	}
	msgs := append([]Message(nil), req.Messages...)
	if req.Input != "" {
		msgs = append(msgs, Message{Role: "user", Content: req.Input})
	}
	if len(msgs) == 0 {
		return nil, nil, platform.Problem("VAL-001", "Give input or messages.").WithFields(platform.FieldError{Field: "input", Message: "input or messages is required"})
	}
	in := &guardrail.Input{AgentID: req.AgentID, APIKeyID: req.APIKeyID, Model: req.Model, Provider: req.Provider, Tools: req.Tools}
	for i := range msgs {
		in.Messages = append(in.Messages, guardrail.Message{Role: msgs[i].Role, Texts: []*string{&msgs[i].Content}})
	}
	return in, msgs, nil
}

func (a *API) evaluate(c echo.Context) error {
	in, msgs, err := sample(c)
	if err != nil {
		return err
	}
	v, err := a.Guardrails.EvaluateGuardrails(c.Request().Context(), tenant(c), in)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, EvaluateResult{Verdict: v, Messages: msgs})
}

func (a *API) testGuardrail(c echo.Context) error {
	id, err := guardrailID(c)
	if err != nil {
		return err
	}
	g, err := a.Queries.Guardrail(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	in, msgs, err := sample(c)
	if err != nil {
		return err
	}
	rule := g.Rule()
	rule.Spec.Scope = guardrail.Scope{} // a test judges the sample whatever its scope
	v, err := a.Guardrails.TestGuardrail(rule, in)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, EvaluateResult{Verdict: v, Messages: msgs})
}
