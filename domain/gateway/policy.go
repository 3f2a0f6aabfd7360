package gateway

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/astrabastion/astra/domain/gateway/pii"
)

// Pipeline steps, in order. Every step has a declared fail mode.
const (
	StepAuthenticate  = "authenticate"
	StepTenant        = "resolve_tenant"
	StepKillSwitch    = "kill_switch"
	StepRateBudget    = "rate_limit_budget"
	StepValidate      = "validate"
	StepPolicy        = "resolve_policy"
	StepAllowList     = "allow_list"
	StepInjection     = "injection_detection"
	StepPII           = "pii_detection"
	StepContentRules  = "content_rules"
	StepCache         = "cache_lookup"
	StepProvider      = "provider_call"
	StepResponseScan  = "response_scan"
	StepAuditAndUsage = "audit_usage"
)

// Steps lists the pipeline's steps in order.
var Steps = []string{StepAuthenticate, StepTenant, StepKillSwitch, StepRateBudget, StepValidate, StepPolicy, StepAllowList,
	StepInjection, StepPII, StepContentRules, StepCache, StepProvider, StepResponseScan, StepAuditAndUsage}

// Fail modes: what a step does when it cannot decide (error, timeout).
const (
	FailClosed = "closed"
	FailOpen   = "open"
)

// Actions.
const (
	ActionBlock   = "block"
	ActionMonitor = "monitor"
	ActionRedact  = "redact"
	ActionAllow   = "allow"
)

// Content logging modes of the audit trail.
const (
	LogNone     = "none"
	LogRedacted = "redacted"
	LogFull     = "full"
)

// Policy is what a tenant's traffic is held to. Every change is a new version.
type Policy struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Injection: action block (refuse at or above threshold) or monitor (score only).
	Injection DetectorRule `json:"injection"`
	// PII: action allow, redact (before the provider sees it) or block.
	PII PIIRule `json:"pii"`
	// AllowedProviders and AllowedModels are allow-lists ("*" or empty = any).
	AllowedProviders []string `json:"allowed_providers"`
	AllowedModels    []string `json:"allowed_models"`
	// MaxInputTokens and MaxOutputTokens bound a request (0 = no bound).
	MaxInputTokens  int `json:"max_input_tokens"`
	MaxOutputTokens int `json:"max_output_tokens"`
	// Fallbacks are tried in order when the provider fails.
	Fallbacks []Target `json:"fallbacks"`
	// Routing holds model aliases (weighted targets, fallbacks) and whether
	// the X-Astra-Route header may override them (see Routing).
	Routing Routing `json:"routing"`
	// ContentRules deny (or redact) text matching regular expressions.
	ContentRules []ContentRule `json:"content_rules"`
	// ResponseScan checks completions for PII and canaries.
	ResponseScan ResponseRule `json:"response_scan"`
	// FailModes overrides the fail mode per step (closed by default).
	FailModes map[string]string `json:"fail_modes"`
	// LogContent says how prompts and completions are kept in the audit trail.
	LogContent string `json:"log_content"`
	// Cache enables exact-match caching for this policy.
	Cache bool `json:"cache"`
}

// DetectorRule configures a detector.
type DetectorRule struct {
	Enabled   bool    `json:"enabled"`
	Threshold float64 `json:"threshold"`
	Action    string  `json:"action"`
	// Places sets the rule of each place text can hide in (injection only).
	Places ScanPlaces `json:"places"`
}

// PIIRule configures PII handling.
type PIIRule struct {
	Enabled bool   `json:"enabled"`
	Action  string `json:"action"`
	// Types are the entity types looked for; empty means the detector's default types. Any type of
	// the catalogue may be listed, those off by default (DATE_TIME, URL, PERSON, LOCATION,
	// ORGANIZATION, STREET_ADDRESS) included. PIIEntityTypes lists them; a test holds the enum to it.
	Types    []string `json:"types,omitempty" enum:"CREDIT_CARD,IBAN_CODE,US_SSN,US_ITIN,EMAIL_ADDRESS,PHONE_NUMBER,IP_ADDRESS,URL,CRYPTO,API_KEY,PRIVATE_KEY,SECRET,US_BANK_NUMBER,ABA_ROUTING_NUMBER,UK_NHS,US_DRIVER_LICENSE,DATE_TIME,PERSON,LOCATION,ORGANIZATION,STREET_ADDRESS" doc:"Entity types looked for (empty: the default types, which leave out DATE_TIME, URL, PERSON, LOCATION, ORGANIZATION and STREET_ADDRESS). An unknown name is refused with VAL-001 naming it."`
	MinScore float64  `json:"min_score"`
	// PhoneRegion is the default region (ISO 3166 alpha-2, e.g. "AU") of phone numbers written without
	// a country prefix: its numbering plan is tried first, and its local numbers are recognised.
	PhoneRegion string `json:"phone_region,omitempty" doc:"Default region (ISO 3166 alpha-2, e.g. AU) of phone numbers written without a country prefix; empty: the detector's regions (US, GB, DE, FR, IN, CA, AU and other common ones)."`
}

// PIIEntityTypes lists every PII entity type a policy may select.
func PIIEntityTypes() []string { return pii.TypeNames() }

// normalize validates the PII types and phone region, spelling them canonically (upper case, no
// duplicates).
func (r *PIIRule) normalize() error {
	types := make([]string, 0, len(r.Types))
	for i, t := range r.Types {
		t = strings.ToUpper(strings.TrimSpace(t))
		if _, err := pii.TypeSetOf(t); err != nil {
			return &InvalidPolicyError{fmt.Sprintf("pii.types[%d]", i), fmt.Sprintf("a PII entity type (%q is not; the types are %s)", r.Types[i], strings.Join(pii.TypeNames(), ", "))}
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	if len(r.Types) > 0 {
		r.Types = types
	}
	r.PhoneRegion = strings.ToUpper(strings.TrimSpace(r.PhoneRegion))
	if r.PhoneRegion != "" && !pii.KnownRegion(r.PhoneRegion) {
		return &InvalidPolicyError{"pii.phone_region", fmt.Sprintf("an ISO 3166 alpha-2 region with a telephone numbering plan (%q is not)", r.PhoneRegion)}
	}
	return nil
}

// ResponseRule configures response scanning.
type ResponseRule struct {
	Enabled   bool     `json:"enabled"`
	PIIAction string   `json:"pii_action"` // allow | redact | block
	Canaries  []string `json:"canaries,omitempty"`
}

// ContentRule is a deny rule over the prompt.
type ContentRule struct {
	Name    string `json:"name"`
	Pattern string `json:"pattern"`
	Action  string `json:"action"` // block | redact
}

// Target names a provider and model.
type Target struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
}

// DefaultPolicy is what applies when a tenant has no policy: detectors on,
// injection blocked at the detector's default threshold, PII redacted,
// everything fails closed, content logged redacted.
func DefaultPolicy(injectionThreshold float64) Policy {
	return Policy{Name: "default", Injection: DetectorRule{Enabled: true, Threshold: injectionThreshold, Action: ActionBlock},
		PII: PIIRule{Enabled: true, Action: ActionRedact, MinScore: 0.5}, AllowedProviders: []string{"*"}, AllowedModels: []string{"*"},
		ResponseScan: ResponseRule{Enabled: true, PIIAction: ActionRedact}, LogContent: LogRedacted, Cache: true}
}

// Policy errors.
var (
	ErrPolicyNotFound   = errors.New("gateway: policy not found")
	ErrPolicyInvalid    = errors.New("gateway: policy invalid")
	ErrVersionNotFound  = errors.New("gateway: policy version not found")
	ErrProviderNotFound = errors.New("gateway: provider not found")
)

// InvalidPolicyError names what is wrong with a policy; it is
// ErrPolicyInvalid (errors.Is), and its text is what the client reads.
type InvalidPolicyError struct{ Field, Problem string }

func (e *InvalidPolicyError) Error() string {
	return fmt.Sprintf("gateway: the policy is invalid: %s must be %s", e.Field, e.Problem)
}

// Unwrap lets errors.Is match ErrPolicyInvalid.
func (e *InvalidPolicyError) Unwrap() error { return ErrPolicyInvalid }

// Normalize fills defaults and validates a policy.
func (p *Policy) Normalize() error {
	bad := func(f, m string) error { return &InvalidPolicyError{f, m} }
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || len(p.Name) > 100 {
		return bad("name", "1 to 100 characters")
	}
	if p.Injection.Action == "" {
		p.Injection.Action = ActionBlock
	}
	if p.Injection.Action != ActionBlock && p.Injection.Action != ActionMonitor {
		return bad("injection.action", "block or monitor")
	}
	if p.Injection.Threshold < 0 || p.Injection.Threshold > 1 {
		return bad("injection.threshold", "between 0 and 1")
	}
	if err := p.Injection.Places.normalize(); err != nil {
		return err
	}
	if p.PII.Action == "" {
		p.PII.Action = ActionRedact
	}
	switch p.PII.Action {
	case ActionAllow, ActionRedact, ActionBlock:
	default:
		return bad("pii.action", "allow, redact or block")
	}
	if p.PII.MinScore < 0 || p.PII.MinScore > 1 {
		return bad("pii.min_score", "between 0 and 1")
	}
	if err := p.PII.normalize(); err != nil {
		return err
	}
	if p.ResponseScan.PIIAction == "" {
		p.ResponseScan.PIIAction = ActionRedact
	}
	switch p.ResponseScan.PIIAction {
	case ActionAllow, ActionRedact, ActionBlock:
	default:
		return bad("response_scan.pii_action", "allow, redact or block")
	}
	if len(p.ResponseScan.Canaries) > 50 {
		return bad("response_scan.canaries", "at most 50")
	}
	if p.MaxInputTokens < 0 || p.MaxOutputTokens < 0 {
		return bad("max_tokens", "not negative")
	}
	if len(p.Fallbacks) > 5 {
		return bad("fallbacks", "at most 5")
	}
	if len(p.ContentRules) > 100 {
		return bad("content_rules", "at most 100")
	}
	for i, r := range p.ContentRules {
		if _, err := regexp.Compile(r.Pattern); err != nil || r.Pattern == "" || len(r.Pattern) > 1000 {
			return bad(fmt.Sprintf("content_rules[%d].pattern", i), "a valid regular expression of at most 1000 characters")
		}
		if r.Action == "" {
			p.ContentRules[i].Action = ActionBlock
		} else if r.Action != ActionBlock && r.Action != ActionRedact {
			return bad(fmt.Sprintf("content_rules[%d].action", i), "block or redact")
		}
	}
	for step, mode := range p.FailModes {
		if !isStep(step) {
			return bad("fail_modes", "unknown step "+step)
		}
		if mode != FailClosed && mode != FailOpen {
			return bad("fail_modes."+step, "closed or open")
		}
	}
	switch p.LogContent {
	case "":
		p.LogContent = LogRedacted
	case LogNone, LogRedacted, LogFull:
	default:
		return bad("log_content", "none, redacted or full")
	}
	if len(p.AllowedProviders) == 0 {
		p.AllowedProviders = []string{"*"}
	}
	if len(p.AllowedModels) == 0 {
		p.AllowedModels = []string{"*"}
	}
	return p.Routing.normalize(p)
}

func isStep(s string) bool {
	for _, x := range Steps {
		if x == s {
			return true
		}
	}
	return false
}

// FailMode is a step's fail mode under the policy (closed unless opened).
func (p *Policy) FailMode(step string) string {
	if m, ok := p.FailModes[step]; ok {
		return m
	}
	return FailClosed
}

// Allows reports whether the allow-list admits a value ("*" admits all; a
// trailing "*" is a prefix match, e.g. "gpt-4o*").
func Allows(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || x == v || (strings.HasSuffix(x, "*") && strings.HasPrefix(v, strings.TrimSuffix(x, "*"))) {
			return true
		}
	}
	return false
}

// StreamOfPolicy names a policy's stream.
func StreamOfPolicy(id string) string { return "gateway.policy-" + id }

// StreamOfProvider names a provider's stream.
func StreamOfProvider(id string) string { return "gateway.provider-" + id }

// StreamOfKillSwitches names a tenant's kill switch stream (global: tenant "*").
func StreamOfKillSwitches(tenantID string) string { return "gateway.killswitch-" + tenantID }

// StreamOfBudget names a budget's stream.
func StreamOfBudget(id string) string { return "gateway.budget-" + id }

// StreamOfRequest names one request's stream.
func StreamOfRequest(id string) string { return "gateway.request-" + id }
