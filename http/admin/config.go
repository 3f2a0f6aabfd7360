package admin

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/admin"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
)

// Where a setting's value comes from.
const (
	SourceDefault     = "default"
	SourceEnvironment = "environment"
	SourceStartup     = "startup"
	SourceStored      = "stored"
)

// Setting is one setting of the product as this instance runs it.
type Setting struct {
	Key      string `json:"key" doc:"The setting's key: its environment variable without ASTRA_, in lower case."`
	Variable string `json:"variable" doc:"The environment variable that sets it at start."`
	Value    string `json:"value" doc:"The value in force on this instance; secrets are masked (****)."`
	Default  string `json:"default" doc:"The documented default (masked like the value)."`
	Source   string `json:"source" enum:"default,environment,startup,stored" doc:"Where the value comes from: the default, the environment, the program that started the server (tests, embedding), or a change stored at run time (PATCH)."`
	Secret   bool   `json:"secret" doc:"The value is a secret or holds one (a password in a URL); it is never shown."`
	Runtime  bool   `json:"runtime" doc:"PATCH /admin/config may change it while the product runs; the others need a restart."`
	// Description says what a run-time setting does.
	Description string `json:"description,omitempty" doc:"What a run-time setting does."`
}

// ConfigView is the effective configuration of the instance that answers.
type ConfigView struct {
	Instance string `json:"instance" doc:"The instance that answers (its API address)."`
	// Version is the stored settings' version (the If-Match of a change).
	Version  int64     `json:"version" doc:"The version of the stored settings; send it in If-Match to change them."`
	Settings []Setting `json:"settings" doc:"Every setting, by key."`
}

// Configuration is the running instance's configuration: its settings as
// they are in force, and which keys name a setting at all.
type Configuration interface {
	View() ConfigView
	Known(key string) bool
}

// ConfigPatch is the body of PATCH /admin/config: the run-time settings to
// change, each with its new value, or null to return to the value at start.
// Any other setting of GET /admin/config is refused with ADM-003 (it needs
// a restart).
type ConfigPatch struct {
	LogLevel                     *string `json:"log_level,omitempty" enum:"debug,info,warn,error" doc:"The level of the JSON log."`
	RateLimitPerMinute           *int    `json:"rate_limit_per_minute,omitempty" doc:"Requests per minute of a tenant without a rate limit of its own (1 to 10,000,000)."`
	RateLimitAnonPerMinute       *int    `json:"rate_limit_anon_per_minute,omitempty" doc:"Requests per minute of one client address on unauthenticated routes (1 to 10,000,000)."`
	ReadYourWritesTimeout        *string `json:"read_your_writes_timeout,omitempty" doc:"How long a write waits for its read models (a duration such as \"5s\", at most 1m)."`
	WSMaxPatterns                *int    `json:"ws_max_patterns,omitempty" doc:"Channel patterns per live-stream connection (1 to 10,000)."`
	WSMaxConnectionsPerPrincipal *int    `json:"ws_max_connections_per_principal,omitempty" doc:"Live-stream connections per user or API key on one instance (1 to 10,000)."`
	TenantQuotaRequestsPerMonth  *int64  `json:"tenant_quota_requests_per_month,omitempty" doc:"A tenant's monthly gateway requests quota (0: the licence's, or none)."`
	TenantQuotaTokensPerMonth    *int64  `json:"tenant_quota_tokens_per_month,omitempty" doc:"A tenant's monthly provider tokens quota (0: the licence's, or none)."`
	TenantQuotaStorageBytes      *int64  `json:"tenant_quota_storage_bytes,omitempty" doc:"A tenant's storage quota in bytes (0: the licence's, or none)."`
}

func (a *API) answerConfig(c echo.Context) error {
	v := a.Config.View()
	if v.Version > 0 { // nothing stored yet: nothing to be based on
		writes.ETag(c, v.Version)
	}
	return platform.Respond(c, http.StatusOK, v)
}

func (a *API) config(c echo.Context) error { return a.answerConfig(c) }

// changeConfig stores the change; every instance applies it from the log,
// this one before answering (the admin reactor runs on the commit).
func (a *API) changeConfig(c echo.Context) error {
	var body map[string]json.RawMessage
	if err := platform.Bind(c, &body); err != nil {
		return err
	}
	expected, err := writes.IfMatch(c)
	if err != nil {
		return err
	}
	if _, err := a.Commands.ChangeConfig(c.Request().Context(), writes.Metadata(c),
		cmd.ChangeConfig{Body: body, Expected: expected, Known: a.Config.Known}); err != nil {
		return err
	}
	return a.answerConfig(c)
}
