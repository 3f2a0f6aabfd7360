package gateway

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	cmdgw "github.com/astrabastion/astra/commands/gateway"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// Admin serves the gateway's administration routes. A write awaits the
// gateway read model (Writes.Await) so that it answers from the state it
// made (read-your-writes); what the runtime caches follows the change by
// itself: its reactor (gateway.Runtime.React) ran on this instance before the
// command returned the events, and runs on every other one from the log.
type Admin struct {
	Commands *cmdgw.Handlers
	Queries  *rmgw.Queries
	Runtime  *gateway.Runtime
	Writes   *writes.Kit
	// CheckURL refuses provider base URLs that point at private, loopback or
	// metadata addresses unless configuration allows them.
	CheckURL func(raw string) error
}

// ProviderRequest is the body of POST /gateway/providers.
type ProviderRequest struct {
	Name     string              `json:"name" validate:"required,min=1,max=100"`
	Kind     string              `json:"kind" validate:"required,oneof=openai anthropic azure_openai ollama openai_compatible mock"`
	BaseURL  string              `json:"base_url,omitempty" validate:"omitempty,url,max=2000"`
	APIKey   string              `json:"api_key,omitempty" validate:"max=4000"`
	Models   []string            `json:"models,omitempty" validate:"max=200,dive,max=200"`
	Settings *ProviderSettingsIn `json:"settings,omitempty"`
}

// ProviderSettingsIn are the settable provider settings.
type ProviderSettingsIn struct {
	TimeoutMs        *int    `json:"timeout_ms,omitempty" validate:"omitempty,min=100,max=600000"`
	MaxRetries       *int    `json:"max_retries,omitempty" validate:"omitempty,min=0,max=5"`
	APIVersion       *string `json:"api_version,omitempty" validate:"omitempty,max=50"`
	Deployment       *string `json:"deployment,omitempty" validate:"omitempty,max=200"`
	MockLatencyMs    *int    `json:"mock_latency_ms,omitempty" validate:"omitempty,min=0,max=60000"`
	BreakerFailures  *int    `json:"breaker_failures,omitempty" validate:"omitempty,min=1,max=1000"`
	BreakerCooldownS *int    `json:"breaker_cooldown_s,omitempty" validate:"omitempty,min=1,max=3600"`
	Enabled          *bool   `json:"enabled,omitempty"`
	// AllowAnyModel lets requests name any model; by default only the
	// provider's declared models are accepted (matched normalised).
	AllowAnyModel *bool `json:"allow_any_model,omitempty"`
}

// ProviderPatch is the body of PATCH /gateway/providers/{id}.
type ProviderPatch struct {
	Name     *string             `json:"name,omitempty" validate:"omitempty,min=1,max=100"`
	BaseURL  *string             `json:"base_url,omitempty" validate:"omitempty,url,max=2000"`
	Models   *[]string           `json:"models,omitempty" validate:"omitempty,max=200,dive,max=200"`
	Settings *ProviderSettingsIn `json:"settings,omitempty"`
}

// CredentialsRequest is the body of PUT /gateway/providers/{id}/credentials.
type CredentialsRequest struct {
	APIKey string `json:"api_key" validate:"required,max=4000"`
}

// ProviderTest is the answer of a live provider check.
type ProviderTest struct {
	OK        bool    `json:"ok"`
	LatencyMs float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
}

// PolicyRequest is the body of POST/PATCH /gateway/policies: the whole policy.
type PolicyRequest = gw.Policy

// RollbackRequest is the body of POST /gateway/policies/{id}/rollback.
type RollbackRequest struct {
	Version int `json:"version" validate:"required,min=1"`
}

// KillSwitchRequest is the body of activate and deactivate.
type KillSwitchRequest struct {
	Scope  gw.Scope `json:"scope"`
	ID     string   `json:"id,omitempty" validate:"omitempty,uuid"`
	Reason string   `json:"reason" validate:"required,min=3,max=500"`
}

// KillSwitchState is the answer of GET /gateway/kill-switch.
type KillSwitchState struct {
	Active []rmgw.KillSwitch `json:"active"`
}

// CacheView is the answer of GET /gateway/cache.
type CacheView struct {
	Config  rmgw.CacheConfig         `json:"config"`
	Stats   gateway.CacheStats       `json:"stats"`
	Entries []gateway.CacheEntryInfo `json:"entries"`
}

// Purged is the answer of a cache purge.
type Purged struct {
	Entries int `json:"entries"`
}

// CacheConfigRequest is the body of PUT /gateway/cache/config.
type CacheConfigRequest struct {
	Enabled    bool `json:"enabled"`
	TTLSeconds int  `json:"ttl_seconds" validate:"min=1,max=604800"`
	MaxEntries int  `json:"max_entries" validate:"min=1,max=1000000"`
}

// BudgetRequest is the body of POST /gateway/budgets and PATCH.
type BudgetRequest struct {
	Subject    string  `json:"subject" validate:"required,max=200"`
	Period     string  `json:"period" validate:"required,oneof=day month"`
	MaxTokens  int64   `json:"max_tokens" validate:"min=0"`
	MaxCostUSD float64 `json:"max_cost_usd" validate:"min=0"`
	Action     string  `json:"action" validate:"omitempty,oneof=block alert"`
}

// BudgetUsage is a budget with its usage in the current window.
type BudgetUsage struct {
	rmgw.Budget
	Window     string  `json:"window"`
	UsedTokens int64   `json:"used_tokens"`
	UsedCost   float64 `json:"used_cost_usd"`
	Exceeded   bool    `json:"exceeded"`
}

// Detector describes a detector in the catalogue.
type Detector struct {
	Name             string   `json:"name"`
	Version          string   `json:"version"`
	DefaultThreshold float64  `json:"default_threshold"`
	Enabled          bool     `json:"enabled"`
	Threshold        float64  `json:"threshold"`
	Families         []string `json:"families,omitempty"`
}

// DetectorPatch is the body of PATCH /gateway/detectors/{name}.
type DetectorPatch struct {
	Enabled   *bool    `json:"enabled,omitempty"`
	Threshold *float64 `json:"threshold,omitempty" validate:"omitempty,min=0,max=1"`
}

// Routes declares the administration routes.
func (a *Admin) Routes() []platform.Route {
	return withDependencyErrors([]platform.Route{
		{Method: http.MethodGet, Path: "/api/v1/gateway/providers", OperationID: "listProviders", Tag: "gateway", Summary: "Provider connections",
			Permission: "gateway:read", Response: rmgw.Provider{}, List: true, Handler: a.listProviders},
		{Method: http.MethodPost, Path: "/api/v1/gateway/providers", OperationID: "registerProvider", Tag: "gateway", Summary: "Register a provider (base URL checked against SSRF rules; key stored encrypted; requests may name only its models, matched normalised, unless settings.allow_any_model)",
			Permission: "gateway:admin", Request: ProviderRequest{}, Response: rmgw.Provider{}, Status: http.StatusCreated, Handler: a.registerProvider, Errors: []int{409, 422}},
		{Method: http.MethodGet, Path: "/api/v1/gateway/providers/:id", OperationID: "getProvider", Tag: "gateway", Summary: "Read a provider",
			Permission: "gateway:read", Response: rmgw.Provider{}, Handler: a.getProvider, Errors: []int{404}},
		{Method: http.MethodPatch, Path: "/api/v1/gateway/providers/:id", OperationID: "updateProvider", Tag: "gateway", Summary: "Update a provider (models: the only models requests may name, unless settings.allow_any_model)",
			Permission: "gateway:admin", Request: ProviderPatch{}, Response: rmgw.Provider{}, Handler: a.updateProvider, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/gateway/providers/:id", OperationID: "removeProvider", Tag: "gateway", Summary: "Remove a provider",
			Permission: "gateway:admin", Status: http.StatusNoContent, Handler: a.removeProvider, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412}},
		{Method: http.MethodPut, Path: "/api/v1/gateway/providers/:id/credentials", OperationID: "rotateProviderCredentials", Tag: "gateway", Summary: "Rotate the provider key (never returned)",
			Permission: "gateway:admin", Request: CredentialsRequest{}, Status: http.StatusNoContent, Handler: a.rotateCredentials, Errors: []int{404}},
		{Method: http.MethodPost, Path: "/api/v1/gateway/providers/:id/test", OperationID: "testProvider", Tag: "gateway", Summary: "Live check of a provider",
			Permission: "gateway:write", Response: ProviderTest{}, Handler: a.testProvider, Errors: []int{404}},
		{Method: http.MethodGet, Path: "/api/v1/gateway/providers/:id/health", OperationID: "providerHealth", Tag: "gateway", Summary: "Circuit-breaker state, latency, error rate",
			Permission: "gateway:read", Response: providers.Health{}, Handler: a.providerHealth, Errors: []int{404}},

		{Method: http.MethodGet, Path: "/api/v1/gateway/policies", OperationID: "listPolicies", Tag: "gateway", Summary: "Policies at their current version",
			Permission: "gateway:read", Response: rmgw.PolicyView{}, List: true, Handler: a.listPolicies},
		{Method: http.MethodPost, Path: "/api/v1/gateway/policies", OperationID: "createPolicy", Tag: "gateway", Summary: "Create a policy (version 1)",
			Permission: "gateway:admin", Request: gw.Policy{}, Response: rmgw.PolicyView{}, Status: http.StatusCreated, Handler: a.createPolicy, Errors: []int{422}},
		{Method: http.MethodGet, Path: "/api/v1/gateway/policies/:id", OperationID: "getPolicy", Tag: "gateway", Summary: "Read a policy",
			Permission: "gateway:read", Response: rmgw.PolicyView{}, Handler: a.getPolicy, Errors: []int{404}},
		{Method: http.MethodPatch, Path: "/api/v1/gateway/policies/:id", OperationID: "updatePolicy", Tag: "gateway", Summary: "Replace a policy (a new version)",
			Permission: "gateway:admin", Request: gw.Policy{}, Response: rmgw.PolicyView{}, Handler: a.updatePolicy, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/gateway/policies/:id", OperationID: "deletePolicy", Tag: "gateway", Summary: "Delete a policy",
			Permission: "gateway:admin", Status: http.StatusNoContent, Handler: a.deletePolicy, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412}},
		{Method: http.MethodGet, Path: "/api/v1/gateway/policies/:id/versions", OperationID: "policyVersions", Tag: "gateway", Summary: "Version history",
			Permission: "gateway:read", Response: rmgw.PolicyVersion{}, List: true, Handler: a.policyVersions, Errors: []int{404}},
		{Method: http.MethodPost, Path: "/api/v1/gateway/policies/:id/rollback", OperationID: "rollbackPolicy", Tag: "gateway", Summary: "Make an earlier version current (as a new version)",
			Permission: "gateway:admin", Request: RollbackRequest{}, Response: rmgw.PolicyView{}, Handler: a.rollbackPolicy, Errors: []int{404, 409}},

		{Method: http.MethodGet, Path: "/api/v1/gateway/kill-switch", OperationID: "killSwitches", Tag: "gateway", Summary: "Active kill switches (the tenant's and global ones)",
			Permission: "gateway:read", Response: KillSwitchState{}, Handler: a.killSwitches},
		{Method: http.MethodGet, Path: "/api/v1/gateway/kill-switch/history", OperationID: "killSwitchHistory", Tag: "gateway", Summary: "Every kill switch, newest first",
			Permission: "gateway:read", Response: rmgw.KillSwitch{}, List: true, Handler: a.killSwitchHistory},
		{Method: http.MethodPost, Path: "/api/v1/gateway/kill-switch/activate", OperationID: "activateKillSwitch", Tag: "gateway", Summary: "Stop traffic (global: platform admins)",
			Permission: "gateway:admin", Request: KillSwitchRequest{}, Response: rmgw.KillSwitch{}, Status: http.StatusCreated, Handler: a.activate, Errors: []int{422}},
		{Method: http.MethodPost, Path: "/api/v1/gateway/kill-switch/deactivate", OperationID: "deactivateKillSwitch", Tag: "gateway", Summary: "Resume traffic",
			Permission: "gateway:admin", Request: KillSwitchRequest{}, Response: rmgw.KillSwitch{}, Handler: a.deactivate, Errors: []int{404, 422}},

		{Method: http.MethodGet, Path: "/api/v1/gateway/cache", OperationID: "cacheStats", Tag: "gateway", Summary: "Cache configuration, statistics and entries",
			Permission: "gateway:read", Response: CacheView{}, Handler: a.cache},
		{Method: http.MethodDelete, Path: "/api/v1/gateway/cache", OperationID: "purgeCache", Tag: "gateway", Summary: "Purge the tenant's cache",
			Permission: "gateway:admin", Response: Purged{}, Handler: a.purge},
		{Method: http.MethodDelete, Path: "/api/v1/gateway/cache/:key", OperationID: "purgeCacheKey", Tag: "gateway", Summary: "Purge one entry",
			Permission: "gateway:admin", Response: Purged{}, Handler: a.purgeKey},
		{Method: http.MethodGet, Path: "/api/v1/gateway/cache/config", OperationID: "cacheConfig", Tag: "gateway", Summary: "Cache configuration",
			Permission: "gateway:read", Response: rmgw.CacheConfig{}, Handler: a.cacheConfig},
		{Method: http.MethodPut, Path: "/api/v1/gateway/cache/config", OperationID: "setCacheConfig", Tag: "gateway", Summary: "Configure the cache (TTL, size)",
			Permission: "gateway:admin", Request: CacheConfigRequest{}, Response: rmgw.CacheConfig{}, Handler: a.setCacheConfig},

		{Method: http.MethodGet, Path: "/api/v1/gateway/budgets", OperationID: "listBudgets", Tag: "gateway", Summary: "Budgets with current usage",
			Permission: "gateway:read", Response: BudgetUsage{}, List: true, Handler: a.listBudgets},
		{Method: http.MethodPost, Path: "/api/v1/gateway/budgets", OperationID: "createBudget", Tag: "gateway", Summary: "Set a token/cost budget (tenant, user:<id> or api_key:<id>)",
			Permission: "gateway:admin", Request: BudgetRequest{}, Response: BudgetUsage{}, Status: http.StatusCreated, Handler: a.createBudget, Errors: []int{422}},
		{Method: http.MethodPatch, Path: "/api/v1/gateway/budgets/:id", OperationID: "updateBudget", Tag: "gateway", Summary: "Replace a budget",
			Permission: "gateway:admin", Request: BudgetRequest{}, Response: BudgetUsage{}, Handler: a.updateBudget, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/gateway/budgets/:id", OperationID: "deleteBudget", Tag: "gateway", Summary: "Delete a budget",
			Permission: "gateway:admin", Status: http.StatusNoContent, Handler: a.deleteBudget, Errors: []int{404}},

		{Method: http.MethodGet, Path: "/api/v1/gateway/detectors", OperationID: "listDetectors", Tag: "gateway", Summary: "Detector catalogue, versions and thresholds",
			Permission: "gateway:read", Response: Detector{}, List: true, Handler: a.detectors},
		{Method: http.MethodPatch, Path: "/api/v1/gateway/detectors/:name", OperationID: "tuneDetector", Tag: "gateway", Summary: "Tune a detector's tenant default",
			Permission: "gateway:admin", Request: DetectorPatch{}, Response: Detector{}, Handler: a.tuneDetector, Errors: []int{404}},
	})
}

func tenantOf(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

func settingsFrom(in *ProviderSettingsIn, base gw.ProviderSettings) gw.ProviderSettings {
	if in == nil {
		return base
	}
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&base.TimeoutMs, in.TimeoutMs)
	set(&base.MaxRetries, in.MaxRetries)
	set(&base.MockLatencyMs, in.MockLatencyMs)
	set(&base.BreakerFailures, in.BreakerFailures)
	set(&base.BreakerCooldownS, in.BreakerCooldownS)
	if in.APIVersion != nil {
		base.APIVersion = *in.APIVersion
	}
	if in.Deployment != nil {
		base.Deployment = *in.Deployment
	}
	if in.Enabled != nil {
		base.Enabled = *in.Enabled
	}
	if in.AllowAnyModel != nil {
		base.AllowAnyModel = *in.AllowAnyModel
	}
	return base
}

var defaultSettings = gw.ProviderSettings{TimeoutMs: 30000, MaxRetries: 2, BreakerFailures: 5, BreakerCooldownS: 30, Enabled: true}

func (a *Admin) checkBaseURL(kind, raw string) error {
	if raw == "" {
		raw = providers.DefaultBaseURL(kind)
	}
	if kind == providers.KindMock || raw == "" {
		if kind != providers.KindMock && kind != providers.KindOpenAI && kind != providers.KindAnthropic {
			return platform.Problem("VAL-001", "base_url is required for this kind.").WithFields(platform.FieldError{Field: "base_url", Message: "required"})
		}
		return nil
	}
	if a.CheckURL != nil {
		if err := a.CheckURL(raw); err != nil {
			return platform.Problem("GW-016", "The base URL is refused: "+err.Error()+
				". A provider on a private or loopback address (a local Ollama, say) needs ASTRA_ALLOW_PRIVATE_URLS (e.g. loopback, or its CIDR) on the server.").WithFields(platform.FieldError{Field: "base_url", Message: err.Error()})
		}
	}
	return nil
}

func (a *Admin) listProviders(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmgw.Provider], error) {
		return a.Queries.ListProviders(c.Request().Context(), tenantOf(c), p)
	})
}

func (a *Admin) answerProvider(c echo.Context, status int, id string) error {
	p, err := a.Queries.Provider(c.Request().Context(), tenantOf(c), id)
	if err != nil {
		return err
	}
	if p == nil {
		return gw.ErrProviderNotFound
	}
	writes.ETag(c, p.Version)
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/gateway/providers/"+p.ID)
	}
	return platform.Respond(c, status, p)
}

func (a *Admin) registerProvider(c echo.Context) error {
	var req ProviderRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if err := a.checkBaseURL(req.Kind, req.BaseURL); err != nil {
		return err
	}
	if existing, err := a.Queries.Provider(c.Request().Context(), tenantOf(c), req.Name); err != nil {
		return err
	} else if existing != nil {
		return gw.ErrProviderNameTaken
	}
	in := gw.ProviderRegisteredV1{Name: strings.TrimSpace(req.Name), Kind: req.Kind, BaseURL: req.BaseURL, Models: req.Models,
		Settings: settingsFrom(req.Settings, defaultSettings)}
	id, evs, err := a.Commands.RegisterProvider(c.Request().Context(), writes.Metadata(c), cmdgw.RegisterProvider{Provider: in, APIKey: req.APIKey})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return a.answerProvider(c, http.StatusCreated, id)
}

func (a *Admin) getProvider(c echo.Context) error {
	return a.answerProvider(c, http.StatusOK, c.Param("id"))
}

func pathUUID(c echo.Context, name string, notFound error) (string, error) {
	id := c.Param(name)
	if uuid.Validate(id) != nil {
		return "", notFound
	}
	return id, nil
}

// providerID, policyID and budgetID read the :id of their routes.
func providerID(c echo.Context) (string, error) { return pathUUID(c, "id", gw.ErrProviderNotFound) }
func policyID(c echo.Context) (string, error)   { return pathUUID(c, "id", gw.ErrPolicyNotFound) }
func budgetID(c echo.Context) (string, error)   { return pathUUID(c, "id", gw.ErrBudgetNotFound) }

func (a *Admin) updateProvider(c echo.Context) error {
	id, expected, err := writes.Versioned(c, providerID)
	if err != nil {
		return err
	}
	var req ProviderPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	cur, err := a.Queries.Provider(c.Request().Context(), tenantOf(c), id)
	if err != nil {
		return err
	}
	if cur == nil {
		return gw.ErrProviderNotFound
	}
	if req.BaseURL != nil {
		if err := a.checkBaseURL(cur.Kind, *req.BaseURL); err != nil {
			return err
		}
	}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		if name == "" {
			return platform.Problem("VAL-001", "name must not be blank.").WithFields(platform.FieldError{Field: "name", Message: "must not be blank"})
		}
		if other, err := a.Queries.Provider(c.Request().Context(), tenantOf(c), name); err != nil {
			return err
		} else if other != nil && other.ID != id {
			return gw.ErrProviderNameTaken
		}
		req.Name = &name
	}
	upd := gw.ProviderUpdatedV1{Name: req.Name, BaseURL: req.BaseURL, Models: req.Models}
	if req.Settings != nil {
		s := settingsFrom(req.Settings, cur.Settings)
		upd.Settings = &s
	}
	evs, err := a.Commands.UpdateProvider(c.Request().Context(), writes.Metadata(c), cmdgw.UpdateProvider{ProviderID: id, Expected: expected, Changes: upd})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return a.answerProvider(c, http.StatusOK, id)
}

func (a *Admin) removeProvider(c echo.Context) error {
	id, expected, err := writes.Versioned(c, providerID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.RemoveProvider(c.Request().Context(), writes.Metadata(c), cmdgw.RemoveProvider{ProviderID: id, Expected: expected})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return c.NoContent(http.StatusNoContent)
}

func (a *Admin) rotateCredentials(c echo.Context) error {
	id, err := providerID(c)
	if err != nil {
		return err
	}
	var req CredentialsRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.RotateCredentials(c.Request().Context(), writes.Metadata(c), cmdgw.RotateCredentials{ProviderID: id, APIKey: req.APIKey})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return c.NoContent(http.StatusNoContent)
}

func (a *Admin) testProvider(c echo.Context) error {
	p, err := a.Queries.Provider(c.Request().Context(), tenantOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if p == nil {
		return gw.ErrProviderNotFound
	}
	d, err := a.Runtime.TestProvider(c.Request().Context(), tenantOf(c), p.ID)
	out := ProviderTest{OK: err == nil, LatencyMs: float64(d.Microseconds()) / 1000}
	if err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) {
			out.Error = pe.Error()
		} else {
			out.Error = "unavailable"
		}
	}
	return platform.Respond(c, http.StatusOK, out)
}

func (a *Admin) providerHealth(c echo.Context) error {
	p, err := a.Queries.Provider(c.Request().Context(), tenantOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if p == nil {
		return gw.ErrProviderNotFound
	}
	h, err := a.Runtime.ProviderHealth(c.Request().Context(), tenantOf(c), p.ID)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, h)
}

func (a *Admin) listPolicies(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmgw.PolicyView], error) {
		return a.Queries.ListPolicies(c.Request().Context(), tenantOf(c), p)
	})
}

func (a *Admin) answerPolicy(c echo.Context, status int, id string) error {
	p, err := a.Queries.Policy(c.Request().Context(), tenantOf(c), id)
	if err != nil {
		return err
	}
	if p == nil {
		return gw.ErrPolicyNotFound
	}
	writes.ETag(c, int64(p.Version))
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/gateway/policies/"+p.ID)
	}
	return platform.Respond(c, status, p)
}

func (a *Admin) createPolicy(c echo.Context) error {
	var p gw.Policy
	if err := platform.Bind(c, &p); err != nil {
		return err
	}
	id, evs, err := a.Commands.CreatePolicy(c.Request().Context(), writes.Metadata(c), cmdgw.CreatePolicy{Policy: p})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return a.answerPolicy(c, http.StatusCreated, id)
}

func (a *Admin) getPolicy(c echo.Context) error {
	return a.answerPolicy(c, http.StatusOK, c.Param("id"))
}

func (a *Admin) updatePolicy(c echo.Context) error {
	id, expected, err := writes.Versioned(c, policyID)
	if err != nil {
		return err
	}
	var p gw.Policy
	if err := platform.Bind(c, &p); err != nil {
		return err
	}
	evs, err := a.Commands.UpdatePolicy(c.Request().Context(), writes.Metadata(c), cmdgw.UpdatePolicy{PolicyID: id, Expected: expected, Policy: p})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return a.answerPolicy(c, http.StatusOK, id)
}

func (a *Admin) deletePolicy(c echo.Context) error {
	id, expected, err := writes.Versioned(c, policyID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeletePolicy(c.Request().Context(), writes.Metadata(c), cmdgw.DeletePolicy{PolicyID: id, Expected: expected})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return c.NoContent(http.StatusNoContent)
}

func (a *Admin) policyVersions(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmgw.PolicyVersion], error) {
		page, err := a.Queries.ListPolicyVersions(c.Request().Context(), tenantOf(c), c.Param("id"), p)
		if err == nil && page.Total == 0 {
			// Every policy has a version 1: none means no such policy here.
			err = gw.ErrPolicyNotFound
		}
		return page, err
	})
}

func (a *Admin) rollbackPolicy(c echo.Context) error {
	id, err := policyID(c)
	if err != nil {
		return err
	}
	var req RollbackRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.RollbackPolicy(c.Request().Context(), writes.Metadata(c), cmdgw.RollbackPolicy{PolicyID: id, To: req.Version})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return a.answerPolicy(c, http.StatusOK, id)
}

func (a *Admin) killSwitches(c echo.Context) error {
	ks, err := a.Queries.KillSwitches(c.Request().Context(), tenantOf(c), true)
	if err != nil {
		return err
	}
	if ks == nil {
		ks = []rmgw.KillSwitch{}
	}
	return platform.Respond(c, http.StatusOK, KillSwitchState{Active: ks})
}

func (a *Admin) killSwitchHistory(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmgw.KillSwitch], error) {
		return a.Queries.ListKillSwitches(c.Request().Context(), tenantOf(c), p)
	})
}

func (a *Admin) switchByID(c echo.Context, id string) (*rmgw.KillSwitch, error) {
	return a.Queries.KillSwitchByID(c.Request().Context(), tenantOf(c), id)
}

func (a *Admin) activate(c echo.Context) error {
	var req KillSwitchRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if req.Scope.Kind == gw.ScopeModel {
		if _, err := gw.NormaliseModel(req.Scope.Value); err != nil {
			return gw.ErrInvalidScope
		}
	}
	// Stored as requests are matched: a normalised model, a canonical UUID.
	req.Scope = gw.CanonicalScope(req.Scope)
	if req.Scope.Kind == gw.ScopeGlobal && auth.PrincipalOf(c).Role != iam.RolePlatformAdmin {
		return platform.Problem("AUTH-006", "Only platform administrators may stop all traffic.")
	}
	id, evs, err := a.Commands.ActivateKillSwitch(c.Request().Context(), writes.Metadata(c), cmdgw.ActivateKillSwitch{Scope: req.Scope, Reason: req.Reason, Now: time.Now()})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return a.answerSwitch(c, http.StatusCreated, id)
}

func (a *Admin) answerSwitch(c echo.Context, status int, id string) error {
	k, err := a.switchByID(c, id)
	if err != nil {
		return err
	}
	if k == nil {
		return gw.ErrSwitchNotFound
	}
	return platform.Respond(c, status, k)
}

func (a *Admin) deactivate(c echo.Context) error {
	var req KillSwitchRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if req.ID == "" && req.Scope.Validate() != nil {
		return gw.ErrInvalidScope
	}
	req.Scope = gw.CanonicalScope(req.Scope)
	id := req.ID
	if id != "" {
		k, err := a.switchByID(c, id)
		if err != nil {
			return err
		}
		if k == nil || !k.Active {
			return gw.ErrSwitchNotFound
		}
		req.Scope = k.Scope
	}
	if req.Scope.Kind == gw.ScopeGlobal && auth.PrincipalOf(c).Role != iam.RolePlatformAdmin {
		return platform.Problem("AUTH-006", "Only platform administrators may resume all traffic.")
	}
	evs, err := a.Commands.DeactivateKillSwitch(c.Request().Context(), writes.Metadata(c), cmdgw.DeactivateKillSwitch{SwitchID: id, Scope: req.Scope, Reason: req.Reason, Now: time.Now()})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	var sid string
	if len(evs) > 0 {
		sid = evs[0].Subject
	}
	return a.answerSwitch(c, http.StatusOK, sid)
}

func (a *Admin) cache(c echo.Context) error {
	cfg, err := a.Queries.CacheConfigOf(c.Request().Context(), tenantOf(c))
	if err != nil {
		return err
	}
	st, entries := a.Runtime.Cache.Stats(tenantOf(c), 100)
	return platform.Respond(c, http.StatusOK, CacheView{Config: cfg, Stats: st, Entries: entries})
}

func (a *Admin) purge(c echo.Context) error {
	n := a.Runtime.PurgeCache(tenantOf(c), "")
	if _, err := a.Commands.RecordCachePurge(c.Request().Context(), writes.Metadata(c), cmdgw.RecordCachePurge{Entries: n}); err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, Purged{Entries: n})
}

func (a *Admin) purgeKey(c echo.Context) error {
	key := c.Param("key")
	if len(key) != 64 {
		return platform.Problem("VAL-005", "key must be a cache key (64 hex characters).")
	}
	n := a.Runtime.PurgeCache(tenantOf(c), key)
	if _, err := a.Commands.RecordCachePurge(c.Request().Context(), writes.Metadata(c), cmdgw.RecordCachePurge{Key: key, Entries: n}); err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, Purged{Entries: n})
}

func (a *Admin) cacheConfig(c echo.Context) error {
	cfg, err := a.Queries.CacheConfigOf(c.Request().Context(), tenantOf(c))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, cfg)
}

func (a *Admin) setCacheConfig(c echo.Context) error {
	var req CacheConfigRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.ConfigureCache(c.Request().Context(), writes.Metadata(c), cmdgw.ConfigureCache{Config: gw.CacheConfiguredV1{Enabled: req.Enabled,
		TTLSeconds: req.TTLSeconds, MaxEntries: req.MaxEntries}})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return a.cacheConfig(c)
}

func (a *Admin) usageOf(c echo.Context, b rmgw.Budget) BudgetUsage {
	now := time.Now()
	window, _ := gateway.Window(b.Period, now)
	out := BudgetUsage{Budget: b, Window: window}
	if a.Runtime.Budgets != nil {
		out.UsedTokens, out.UsedCost, _ = a.Runtime.Budgets.Usage(c.Request().Context(), b.ID, b.Period, now)
	}
	out.Exceeded = (b.MaxTokens > 0 && out.UsedTokens >= b.MaxTokens) || (b.MaxCostUSD > 0 && out.UsedCost >= b.MaxCostUSD)
	return out
}

func (a *Admin) listBudgets(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[BudgetUsage], error) {
		page, err := a.Queries.ListBudgets(c.Request().Context(), tenantOf(c), p)
		return projections.MapPage(page, func(b rmgw.Budget) BudgetUsage { return a.usageOf(c, b) }), err
	})
}

// canonicalSubject spells a budget subject's id as the canonical lower-case
// UUID principals carry ("user:{ABC…}" would otherwise never match anyone).
func canonicalSubject(s string) string {
	kind, id, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return strings.TrimSpace(s)
	}
	if u, err := uuid.Parse(strings.TrimSpace(id)); err == nil {
		return kind + ":" + u.String()
	}
	return s
}

func validSubject(s string) bool {
	if s == "tenant" {
		return true
	}
	kind, id, ok := strings.Cut(s, ":")
	return ok && (kind == "user" || kind == "api_key") && uuid.Validate(id) == nil
}

func (a *Admin) saveBudget(c echo.Context, id string, status int) error {
	expected := int64(-1)
	if id != "" {
		var err error
		if expected, err = writes.IfMatch(c); err != nil {
			return err
		}
	}
	var req BudgetRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	req.Subject = canonicalSubject(req.Subject)
	if !validSubject(req.Subject) {
		return platform.Problem("VAL-001", "subject must be tenant, user:<id> or api_key:<id>.").WithFields(platform.FieldError{Field: "subject", Message: "tenant, user:<id> or api_key:<id>"})
	}
	if req.MaxTokens == 0 && req.MaxCostUSD == 0 {
		return platform.Problem("VAL-001", "Give max_tokens or max_cost_usd.").WithFields(platform.FieldError{Field: "max_tokens", Message: "max_tokens or max_cost_usd is required"})
	}
	if req.Action == "" {
		req.Action = gw.ActionBlock
	}
	bid, evs, err := a.Commands.SetBudget(c.Request().Context(), writes.Metadata(c), cmdgw.SetBudget{BudgetID: id, Expected: expected, Budget: gw.BudgetSetV1{Subject: req.Subject,
		Period: req.Period, MaxTokens: req.MaxTokens, MaxCostUSD: req.MaxCostUSD, Action: req.Action}})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	b, err := a.Queries.BudgetByID(c.Request().Context(), tenantOf(c), bid)
	if err != nil {
		return err
	}
	if b == nil {
		return gw.ErrBudgetNotFound
	}
	writes.ETag(c, b.Version)
	return platform.Respond(c, status, a.usageOf(c, *b))
}

func (a *Admin) createBudget(c echo.Context) error { return a.saveBudget(c, "", http.StatusCreated) }

func (a *Admin) updateBudget(c echo.Context) error {
	id, err := budgetID(c)
	if err != nil {
		return err
	}
	return a.saveBudget(c, id, http.StatusOK)
}

func (a *Admin) deleteBudget(c echo.Context) error {
	id, err := budgetID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteBudget(c.Request().Context(), writes.Metadata(c), cmdgw.DeleteBudget{BudgetID: id})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return c.NoContent(http.StatusNoContent)
}

func (a *Admin) catalogue(c echo.Context) ([]Detector, error) {
	ds, err := a.Queries.DetectorSettings(c.Request().Context(), tenantOf(c))
	if err != nil {
		return nil, err
	}
	inj := Detector{Name: "injection", Version: a.Runtime.Injection.Version(), DefaultThreshold: a.Runtime.Injection.DefaultThreshold(),
		Enabled: true, Threshold: a.Runtime.Injection.DefaultThreshold(), Families: a.Runtime.Families}
	pii := Detector{Name: "pii", Version: a.Runtime.PII.Version(), DefaultThreshold: 0.5, Enabled: true, Threshold: 0.5, Families: a.Runtime.PIITypes}
	out := []Detector{inj, pii}
	for i := range out {
		if s, ok := ds[out[i].Name]; ok {
			out[i].Enabled, out[i].Threshold = s.Enabled, s.Threshold
		}
	}
	return out, nil
}

func (a *Admin) detectors(c echo.Context) error {
	out, err := a.catalogue(c)
	if err != nil {
		return err
	}
	// By name: injection, pii.
	return platform.MemoryPage(c, out, func(d Detector) string { return d.Name })
}

func (a *Admin) tuneDetector(c echo.Context) error {
	var req DetectorPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	cat, err := a.catalogue(c)
	if err != nil {
		return err
	}
	var cur *Detector
	for i := range cat {
		if cat[i].Name == c.Param("name") {
			cur = &cat[i]
		}
	}
	if cur == nil {
		return gw.ErrDetectorNotFound
	}
	if req.Enabled != nil {
		cur.Enabled = *req.Enabled
	}
	if req.Threshold != nil {
		cur.Threshold = *req.Threshold
	}
	evs, err := a.Commands.TuneDetector(c.Request().Context(), writes.Metadata(c), cmdgw.TuneDetector{Setting: gw.DetectorTunedV1{Detector: cur.Name, Enabled: cur.Enabled, Threshold: cur.Threshold}})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return platform.Respond(c, http.StatusOK, cur)
}
