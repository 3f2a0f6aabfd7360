// Package gateway is the AI gateway's domain: providers, versioned policies,
// kill switches, budgets and the request facts the pipeline records. The
// detectors live in its subpackages (injection, pii).
package gateway

import (
	"time"

	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/domain/events"
)

// evt makes the module's event types.
var evt = events.Of("gateway")

// Event types of the gateway.
var (
	ProviderRegistered         = evt("ProviderRegistered", func() any { return &ProviderRegisteredV1{} })
	ProviderUpdated            = evt("ProviderUpdated", func() any { return &ProviderUpdatedV1{} })
	ProviderRemoved            = evt("ProviderRemoved", func() any { return &ProviderRemovedV1{} })
	ProviderCredentialsRotated = evt("ProviderCredentialsRotated", func() any { return &ProviderCredentialsRotatedV1{} })
	PolicyCreated              = evt("PolicyCreated", func() any { return &PolicyVersionedV1{} })
	PolicyUpdated              = evt("PolicyUpdated", func() any { return &PolicyVersionedV1{} })
	PolicyRolledBack           = evt("PolicyRolledBack", func() any { return &PolicyVersionedV1{} })
	PolicyDeleted              = evt("PolicyDeleted", func() any { return &PolicyDeletedV1{} })
	KillSwitchActivated        = evt("KillSwitchActivated", func() any { return &KillSwitchV1{} })
	KillSwitchDeactivated      = evt("KillSwitchDeactivated", func() any { return &KillSwitchV1{} })
	CachePurged                = evt("CachePurged", func() any { return &CachePurgedV1{} })
	CacheConfigured            = evt("CacheConfigured", func() any { return &CacheConfiguredV1{} })
	BudgetSet                  = evt("BudgetSet", func() any { return &BudgetSetV1{} })
	BudgetDeleted              = evt("BudgetDeleted", func() any { return &BudgetDeletedV1{} })
	BudgetExceeded             = evt("BudgetExceeded", func() any { return &BudgetExceededV1{} })
	DetectorTuned              = evt("DetectorTuned", func() any { return &DetectorTunedV1{} })
	RequestCompleted           = evt("RequestCompleted", func() any { return &RequestRecordedV1{} }).AsTraffic()
	RequestBlocked             = evt("RequestBlocked", func() any { return &RequestRecordedV1{} }).AsTraffic()
	RequestFailed              = evt("RequestFailed", func() any { return &RequestRecordedV1{} }).AsTraffic()
	PromptScanned              = evt("PromptScanned", func() any { return &PromptScannedV1{} })
)

func init() {
	events.Register(ProviderRegistered, ProviderUpdated, ProviderRemoved, ProviderCredentialsRotated, PolicyCreated,
		PolicyUpdated, PolicyRolledBack, PolicyDeleted, KillSwitchActivated, KillSwitchDeactivated, CachePurged,
		CacheConfigured, BudgetSet, BudgetDeleted, BudgetExceeded, DetectorTuned, RequestCompleted, RequestBlocked, RequestFailed, PromptScanned)
}

// ProviderRegisteredV1 records a provider connection. The API key is sealed.
type ProviderRegisteredV1 struct {
	ProviderID string            `json:"provider_id"`
	TenantID   string            `json:"tenant_id"`
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	BaseURL    string            `json:"base_url"`
	Models     []string          `json:"models"`
	APIKey     string            `json:"api_key,omitempty"`
	Settings   ProviderSettings  `json:"settings"`
	Headers    map[string]string `json:"headers,omitempty"`
}

// ProviderSettings are a connection's resilience knobs.
type ProviderSettings struct {
	TimeoutMs        int    `json:"timeout_ms"`
	MaxRetries       int    `json:"max_retries"`
	APIVersion       string `json:"api_version,omitempty"` // azure_openai
	Deployment       string `json:"deployment,omitempty"`  // azure_openai
	MockLatencyMs    int    `json:"mock_latency_ms,omitempty"`
	BreakerFailures  int    `json:"breaker_failures"`
	BreakerCooldownS int    `json:"breaker_cooldown_s"`
	Enabled          bool   `json:"enabled"`
	// AllowAnyModel lets requests name any model; otherwise only the
	// provider's declared models (matched normalised) are accepted.
	AllowAnyModel bool `json:"allow_any_model,omitempty"`
}

// ProviderUpdatedV1 records changed provider fields.
type ProviderUpdatedV1 struct {
	ProviderID string            `json:"provider_id"`
	Name       *string           `json:"name,omitempty"`
	BaseURL    *string           `json:"base_url,omitempty"`
	Models     *[]string         `json:"models,omitempty"`
	Settings   *ProviderSettings `json:"settings,omitempty"`
}

// ProviderRemovedV1 records a provider's removal.
type ProviderRemovedV1 struct {
	ProviderID string `json:"provider_id"`
}

// ProviderCredentialsRotatedV1 records a new (sealed) API key.
type ProviderCredentialsRotatedV1 struct {
	ProviderID string `json:"provider_id"`
	APIKey     string `json:"api_key"`
}

// PolicyVersionedV1 records a policy version: creation, update or rollback all
// carry the complete policy, so any version can be read on its own.
type PolicyVersionedV1 struct {
	PolicyID string `json:"policy_id"`
	TenantID string `json:"tenant_id"`
	Version  int    `json:"version"`
	Policy   Policy `json:"policy"`
	// From is the version a rollback restored.
	From int `json:"from,omitempty"`
}

// PolicyDeletedV1 records a policy's removal.
type PolicyDeletedV1 struct {
	PolicyID string `json:"policy_id"`
}

// KillSwitchV1 records a kill switch turned on or off.
type KillSwitchV1 struct {
	SwitchID string    `json:"switch_id"`
	TenantID string    `json:"tenant_id"`
	Scope    Scope     `json:"scope"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// CachePurgedV1 records a cache purge (all of a tenant's entries, or one key).
type CachePurgedV1 struct {
	TenantID string `json:"tenant_id"`
	Key      string `json:"key,omitempty"`
	Entries  int    `json:"entries"`
}

// CacheConfiguredV1 records the tenant's cache settings.
type CacheConfiguredV1 struct {
	TenantID   string `json:"tenant_id"`
	Enabled    bool   `json:"enabled"`
	TTLSeconds int    `json:"ttl_seconds"`
	MaxEntries int    `json:"max_entries"`
}

// BudgetSetV1 records a token/cost budget.
type BudgetSetV1 struct {
	BudgetID   string  `json:"budget_id"`
	TenantID   string  `json:"tenant_id"`
	Subject    string  `json:"subject"` // "tenant", "user:<id>", "api_key:<id>"
	Period     string  `json:"period"`  // day | month
	MaxTokens  int64   `json:"max_tokens"`
	MaxCostUSD float64 `json:"max_cost_usd"`
	Action     string  `json:"action"` // block | alert
}

// BudgetDeletedV1 records a budget's removal.
type BudgetDeletedV1 struct {
	BudgetID string `json:"budget_id"`
}

// BudgetExceededV1 records the first request refused (or alerted) over a budget in a period.
type BudgetExceededV1 struct {
	BudgetID string  `json:"budget_id"`
	Subject  string  `json:"subject"`
	Period   string  `json:"period"`
	Window   string  `json:"window"`
	Tokens   int64   `json:"tokens"`
	CostUSD  float64 `json:"cost_usd"`
}

// DetectorTunedV1 records a tenant's detector default.
type DetectorTunedV1 struct {
	TenantID  string  `json:"tenant_id"`
	Detector  string  `json:"detector"`
	Enabled   bool    `json:"enabled"`
	Threshold float64 `json:"threshold"`
}

// RequestRecordedV1 is the audit record of one gateway request: completed,
// blocked or failed (no provider answered), with the trace of every pipeline step. Prompt and Completion are
// stored only as the policy says and always sealed under the tenant's monthly
// content key.
type RequestRecordedV1 struct {
	RequestID     string   `json:"request_id"`
	TenantID      string   `json:"tenant_id"`
	Principal     string   `json:"principal"`
	PrincipalKind string   `json:"principal_kind"`
	Endpoint      string   `json:"endpoint"`
	Provider      string   `json:"provider"`
	Model         string   `json:"model"`
	PolicyID      string   `json:"policy_id,omitempty"`
	PolicyVersion int      `json:"policy_version"`
	Stream        bool     `json:"stream"`
	Status        int      `json:"status"`
	ErrorCode     string   `json:"error_code,omitempty"`
	Blocked       bool     `json:"blocked"`
	BlockedBy     string   `json:"blocked_by,omitempty"`
	CacheHit      bool     `json:"cache_hit"`
	Injection     float64  `json:"injection_score"`
	Patterns      []string `json:"patterns,omitempty"`
	PIITypes      []string `json:"pii_types,omitempty"`
	Violations    []string `json:"policy_violations,omitempty"`
	Usage         Usage    `json:"usage"`
	// CostUSD is what the request cost at the tenant's (or the default)
	// price of the model that answered; null when that model has no price.
	CostUSD       *float64    `json:"cost_usd"`
	LatencyMs     float64     `json:"latency_ms"`
	PipelineMs    float64     `json:"pipeline_ms"`
	ProviderMs    float64     `json:"provider_ms"`
	Steps         []StepTrace `json:"steps"`
	ContentMode   string      `json:"content_mode"`
	Prompt        string      `json:"prompt,omitempty"`
	Completion    string      `json:"completion,omitempty"`
	ContentKey    string      `json:"content_key,omitempty"`
	StreamActions []string    `json:"stream_actions,omitempty"`
	// Failure is why no provider answered (RequestFailed only).
	Failure *ProviderFailure `json:"failure,omitempty"`
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// StepTrace is one pipeline step's verdict.
type StepTrace struct {
	Step       string  `json:"step"`
	Verdict    string  `json:"verdict"` // pass | block | redact | skip | error | hit | miss
	Score      float64 `json:"score,omitempty"`
	DurationUs int64   `json:"duration_us"`
	Detector   string  `json:"detector_version,omitempty"`
	Detail     string  `json:"detail,omitempty"`
	FailMode   string  `json:"fail_mode,omitempty"`
	// Findings name the parts of the request a detector found something in.
	Findings []Finding `json:"findings,omitempty"`
	// Guardrails are the guardrails (AEGIS's, and the policy's content rules)
	// that matched, each with its id and version.
	Guardrails []guardrail.Hit `json:"guardrails,omitempty"`
}

// PromptScannedV1 records a scan-only request (no provider called).
type PromptScannedV1 struct {
	ScanID        string   `json:"scan_id"`
	TenantID      string   `json:"tenant_id"`
	PolicyID      string   `json:"policy_id,omitempty"`
	PolicyVersion int      `json:"policy_version"`
	Injection     float64  `json:"injection_score"`
	Blocked       bool     `json:"blocked"`
	Patterns      []string `json:"patterns,omitempty"`
	PIITypes      []string `json:"pii_types,omitempty"`
}
