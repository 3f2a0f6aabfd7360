package gateway

import (
	"errors"
	"strings"

	"github.com/google/uuid"
)

// Kill switch scopes.
const (
	ScopeGlobal   = "global"
	ScopeTenant   = "tenant"
	ScopeProvider = "provider"
	ScopeModel    = "model"
	ScopePolicy   = "policy"
	ScopeAPIKey   = "api_key"
)

// Scope is what a kill switch stops: everything (global, platform admins
// only), a tenant, or a tenant's provider, model, policy or API key.
type Scope struct {
	Kind string `json:"kind" enum:"global,tenant,provider,model,policy,api_key" doc:"What the switch stops: everything (global, platform admins only), a tenant, or one of its providers, models, policies or API keys."`
	// Value names the provider, model, policy id or API key id (the tenant id for a platform admin's tenant scope).
	Value string `json:"value,omitempty" doc:"The provider name, model, policy id or API key id the scope names (empty for global and for one's own tenant)."`
}

// ErrInvalidScope reports a malformed scope.
var ErrInvalidScope = errors.New("gateway: invalid kill switch scope")

// Validate checks a scope.
func (s Scope) Validate() error {
	switch s.Kind {
	case ScopeGlobal, ScopeTenant:
		if s.Value != "" {
			return ErrInvalidScope
		}
	case ScopeProvider, ScopeModel, ScopePolicy, ScopeAPIKey:
		if strings.TrimSpace(s.Value) == "" || len(s.Value) > 200 {
			return ErrInvalidScope
		}
	default:
		return ErrInvalidScope
	}
	return nil
}

// CanonicalScope spells a scope's value the way requests are matched: a
// model normalised (NormaliseModel), an id that is a UUID in its canonical
// lower-case form, a provider name trimmed and in lower case.
func CanonicalScope(s Scope) Scope {
	v := strings.TrimSpace(s.Value)
	switch s.Kind {
	case ScopeModel:
		if n, err := NormaliseModel(v); err == nil {
			s.Value = n
		}
	case ScopeProvider, ScopePolicy, ScopeAPIKey:
		switch id, err := uuid.Parse(v); {
		case err == nil:
			s.Value = id.String()
		case s.Kind == ScopeProvider:
			s.Value = strings.ToLower(v) // provider names are matched case-insensitively
		default:
			s.Value = v
		}
	}
	return s
}

// Key identifies a scope within a tenant.
func (s Scope) Key() string { return s.Kind + ":" + s.Value }

// RequestFacts are what a kill switch is matched against.
type RequestFacts struct {
	TenantID string
	Provider string
	Model    string
	PolicyID string
	APIKeyID string
}

// Matches reports whether an active switch of tenant (or "*" for global) stops a request.
func (s Scope) Matches(switchTenant string, r RequestFacts) bool {
	if s.Kind == ScopeGlobal {
		return true
	}
	if switchTenant != r.TenantID {
		return false
	}
	switch s.Kind {
	case ScopeTenant:
		return true
	case ScopeProvider:
		// Case-insensitively: a switch on "LOOP" stops the provider "loop"
		// (stopping one too many is the safe way to be wrong).
		return strings.EqualFold(s.Value, r.Provider)
	case ScopeModel:
		return s.Value == r.Model
	case ScopePolicy:
		return s.Value == r.PolicyID
	case ScopeAPIKey:
		return s.Value == r.APIKeyID
	}
	return false
}
