package gateway

import (
	"errors"
	"strings"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of model prices and the tenant's mock setting.
var (
	ModelPriceSet     = evt("ModelPriceSet", func() any { return &ModelPriceSetV1{} })
	ModelPriceRemoved = evt("ModelPriceRemoved", func() any { return &ModelPriceRemovedV1{} })
	MockConfigured    = evt("MockConfigured", func() any { return &MockConfiguredV1{} })
)

func init() { events.Register(ModelPriceSet, ModelPriceRemoved, MockConfigured) }

// ModelPriceSetV1 records a tenant's price of a model (USD per million
// tokens), which replaces the default for it.
type ModelPriceSetV1 struct {
	TenantID         string  `json:"tenant_id"`
	Model            string  `json:"model"`
	InputPerMillion  float64 `json:"input_per_million"`
	OutputPerMillion float64 `json:"output_per_million"`
}

// ModelPriceRemovedV1 records that a tenant's price of a model is removed
// (the default, if any, applies again).
type ModelPriceRemovedV1 struct {
	TenantID string `json:"tenant_id"`
	Model    string `json:"model"`
}

// MockConfiguredV1 records whether the built-in mock provider answers for a
// tenant. Off, it answers nothing: not when the tenant has no provider, not
// when a request names it (mock/…, X-Astra-Provider: mock).
type MockConfiguredV1 struct {
	TenantID string `json:"tenant_id"`
	Enabled  bool   `json:"enabled"`
}

// StreamOfPrices names a tenant's price stream.
func StreamOfPrices(tenantID string) string { return "gateway.prices-" + tenantID }

// StreamOfMock names a tenant's mock setting stream.
func StreamOfMock(tenantID string) string { return "gateway.mock-" + tenantID }

// ErrPriceNotFound reports a model the tenant set no price for.
var ErrPriceNotFound = errors.New("gateway: no price set for that model")

// MaxTenantPrices bounds the prices a tenant sets.
const MaxTenantPrices = 1000

// Price is a model's price in USD per million input (prompt) and output
// (completion) tokens. Model is a model id as NormaliseModel spells it; it
// prices that model and its dated snapshots ("gpt-4o" prices
// "gpt-4o-2024-08-06"; a longer entry, "gpt-4o-mini", wins for its models).
type Price struct {
	Model            string  `json:"model"`
	InputPerMillion  float64 `json:"input_per_million"`
	OutputPerMillion float64 `json:"output_per_million"`
}

// Cost is what prompt and completion tokens cost at this price, in USD.
func (p Price) Cost(prompt, completion int) float64 {
	return (float64(prompt)*p.InputPerMillion + float64(completion)*p.OutputPerMillion) / 1e6
}

// DefaultPrices are the list prices of the common public models, USD per
// million tokens, standard (not batch, not cached-input) tier, as published
// in November 2025 by OpenAI (https://openai.com/api/pricing/) and Anthropic
// (https://docs.anthropic.com/en/docs/about-claude/pricing); Anthropic's
// long-context (>200k input tokens) surcharge is not modelled. A tenant's own
// price (PUT /api/v1/gateway/prices) replaces a default; a model with neither
// is recorded with its cost unknown (null), never as free. The built-in
// mock's models ("mock-…") cost nothing.
var DefaultPrices = []Price{
	// OpenAI
	{"gpt-4o", 2.50, 10.00}, {"gpt-4o-mini", 0.15, 0.60},
	{"gpt-4.1", 2.00, 8.00}, {"gpt-4.1-mini", 0.40, 1.60}, {"gpt-4.1-nano", 0.10, 0.40},
	{"gpt-5", 1.25, 10.00}, {"gpt-5-mini", 0.25, 2.00}, {"gpt-5-nano", 0.05, 0.40},
	{"o1", 15.00, 60.00}, {"o1-mini", 1.10, 4.40}, {"o1-pro", 150.00, 600.00},
	{"o3", 2.00, 8.00}, {"o3-mini", 1.10, 4.40}, {"o3-pro", 20.00, 80.00}, {"o4-mini", 1.10, 4.40},
	{"gpt-4-turbo", 10.00, 30.00}, {"gpt-3.5-turbo", 0.50, 1.50},
	{"text-embedding-3-small", 0.02, 0}, {"text-embedding-3-large", 0.13, 0}, {"text-embedding-ada-002", 0.10, 0},
	// Anthropic
	{"claude-3-haiku", 0.25, 1.25}, {"claude-3-5-haiku", 0.80, 4.00}, {"claude-haiku-4-5", 1.00, 5.00},
	{"claude-3-5-sonnet", 3.00, 15.00}, {"claude-3-7-sonnet", 3.00, 15.00},
	{"claude-sonnet-4", 3.00, 15.00}, {"claude-sonnet-4-5", 3.00, 15.00},
	{"claude-3-opus", 15.00, 75.00}, {"claude-opus-4", 15.00, 75.00}, {"claude-opus-4-1", 15.00, 75.00}, {"claude-opus-4-5", 5.00, 25.00},
	// The built-in mock provider's models.
	{"mock", 0, 0},
}

// PriceKey validates and spells a model id as prices are keyed.
func PriceKey(model string) (string, error) { return NormaliseModel(model) }

// PriceOf is the price of a normalised model id: the entry (the tenant's or
// a default) whose model is the longest that names it — the model itself or
// a prefix of it followed by '-', '@' or ':' — the tenant's winning a tie.
func PriceOf(model string, tenant []Price) (p Price, fromTenant, ok bool) {
	best := -1
	for _, set := range [2]struct {
		prices []Price
		tenant bool
	}{{tenant, true}, {DefaultPrices, false}} {
		for _, x := range set.prices {
			if len(x.Model) <= best || !names(x.Model, model) {
				continue
			}
			best, p, fromTenant, ok = len(x.Model), x, set.tenant, true
		}
	}
	return p, fromTenant, ok
}

// names reports whether a price entry's model names a model: itself, or a
// snapshot of it ("gpt-4o" names "gpt-4o-2024-08-06", "claude-3-5-sonnet"
// names "claude-3-5-sonnet-latest").
func names(entry, model string) bool {
	if !strings.HasPrefix(model, entry) {
		return false
	}
	if len(model) == len(entry) {
		return true
	}
	switch model[len(entry)] {
	case '-', '@', ':':
		return true
	}
	return false
}

// ErrPriceInvalid reports a price that cannot be set.
var ErrPriceInvalid = errors.New("gateway: price invalid")

// InvalidPriceError names what is wrong with a price; it is ErrPriceInvalid
// (errors.Is), and its text is what the client reads.
type InvalidPriceError struct{ Field, Problem string }

func (e *InvalidPriceError) Error() string {
	return "gateway: the price is invalid: " + e.Field + " must be " + e.Problem
}

// Unwrap lets errors.Is match ErrPriceInvalid.
func (e *InvalidPriceError) Unwrap() error { return ErrPriceInvalid }
