package iam

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// CreateAPIKeyRequest is the body of POST /iam/api-keys.
type CreateAPIKeyRequest struct {
	Name               string     `json:"name" validate:"required,min=1,max=100"`
	Permissions        []string   `json:"permissions" validate:"required,min=1,max=100,dive,max=64"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
	RateLimitPerMinute int        `json:"rate_limit_per_minute,omitempty" validate:"min=0,max=1000000"`
}

// IssuedAPIKey is the answer of create and rotate: the only time the key is
// shown. A retry with the same Idempotency-Key answers key null and
// secret_redacted true (the secret is never stored).
type IssuedAPIKey struct {
	APIKey rmiam.APIKey `json:"api_key"`
	Key    *string      `json:"key"`
	// SecretRedacted is true on an Idempotency-Key replay: the key is not repeated.
	SecretRedacted bool `json:"secret_redacted,omitempty"`
}

// APIKeyRoutes declares the API key routes.
func (a *API) APIKeyRoutes() []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: "/api/v1/iam/api-keys", OperationID: "listApiKeys", Tag: "iam", Summary: "API keys (yours without iam:admin)",
			Permission: auth.Authenticated, Response: rmiam.APIKey{}, List: true, Handler: a.listAPIKeys},
		{Method: http.MethodPost, Path: "/api/v1/iam/api-keys", OperationID: "createApiKey", Tag: "iam", Summary: "Create an API key (shown once)",
			Permission: auth.Authenticated, Request: CreateAPIKeyRequest{}, Response: IssuedAPIKey{}, Status: http.StatusCreated,
			Handler: a.createAPIKey, Errors: []int{422}},
		{Method: http.MethodGet, Path: "/api/v1/iam/api-keys/:id", OperationID: "getApiKey", Tag: "iam", Summary: "Read an API key",
			Permission: auth.Authenticated, Response: rmiam.APIKey{}, Handler: a.getAPIKey, Errors: []int{404}},
		{Method: http.MethodDelete, Path: "/api/v1/iam/api-keys/:id", OperationID: "revokeApiKey", Tag: "iam", Summary: "Revoke an API key (every instance, at once)",
			Permission: auth.Authenticated, Status: http.StatusNoContent, Handler: a.revokeAPIKey, Errors: []int{404}},
		{Method: http.MethodPost, Path: "/api/v1/iam/api-keys/:id/rotate", OperationID: "rotateApiKey", Tag: "iam", Summary: "Issue a new secret; the old one stops working",
			Permission: auth.Authenticated, Response: IssuedAPIKey{}, Handler: a.rotateAPIKey, Errors: []int{404, 422}},
	}
}

func (a *API) listAPIKeys(c echo.Context) error {
	p := auth.PrincipalOf(c)
	owner := ""
	if !iam.Has(p.Permissions, "iam:admin") {
		owner = p.Subject
	}
	return platform.ListPage(c, func(page projections.PageRequest) (projections.Page[rmiam.APIKey], error) {
		return a.Queries.ListAPIKeys(c.Request().Context(), p.ActingTenant, owner, page)
	})
}

func (a *API) createAPIKey(c echo.Context) error {
	p, err := userPrincipal(c)
	if err != nil {
		return err
	}
	var req CreateAPIKeyRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if err := iam.ValidPermissions(req.Permissions); err != nil {
		return err
	}
	if err := mayGrantPermissions(p, "permissions", req.Permissions); err != nil {
		return err
	}
	issued, err := a.Commands.CreateAPIKey(c.Request().Context(), writes.Metadata(c), cmdiam.CreateAPIKey{Name: strings.TrimSpace(req.Name),
		Permissions: req.Permissions, ExpiresAt: req.ExpiresAt, RateLimitPerMinute: req.RateLimitPerMinute, OwnerID: p.Subject}, time.Now())
	if err != nil {
		return err
	}
	return a.answerIssued(c, http.StatusCreated, issued)
}

func (a *API) answerIssued(c echo.Context, status int, issued *cmdiam.IssuedAPIKey) error {
	a.Writes.Await(c, issued.Events, rmiam.Name) // the key works as soon as it is shown
	k, err := a.Queries.APIKeyByID(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, issued.KeyID)
	if err != nil {
		return err
	}
	if k == nil {
		return iam.ErrApiKeyNotFound
	}
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/iam/api-keys/"+k.ID)
	}
	writes.Secret(c, "key")
	return platform.Respond(c, status, IssuedAPIKey{APIKey: *k, Key: &issued.Key})
}

// ownKey finds a key the principal may manage: its own, or any with iam:admin.
func (a *API) ownKey(c echo.Context) (*rmiam.APIKey, error) {
	id := c.Param("id")
	if uuid.Validate(id) != nil {
		return nil, iam.ErrApiKeyNotFound
	}
	p := auth.PrincipalOf(c)
	k, err := a.Queries.APIKeyByID(c.Request().Context(), p.ActingTenant, id)
	if err != nil {
		return nil, err
	}
	if k == nil || (k.OwnerID != p.Subject && !iam.Has(p.Permissions, "iam:admin")) {
		return nil, iam.ErrApiKeyNotFound
	}
	return k, nil
}

// manageableKey is ownKey for a change (revoke, rotate): another user's key
// only when its owner is not stronger than the actor, and never a key that
// holds permissions the actor does not (a rotation hands out its secret).
func (a *API) manageableKey(c echo.Context) (*rmiam.APIKey, error) {
	k, err := a.ownKey(c)
	if err != nil {
		return nil, err
	}
	if k.OwnerID == auth.PrincipalOf(c).Subject {
		return k, nil
	}
	if err := a.mayActOn(c, k.OwnerID); err != nil && !isUserNotFound(err) {
		return nil, err
	}
	if missing := iam.Missing(k.Permissions, auth.PrincipalOf(c).Permissions); len(missing) > 0 {
		return nil, platform.Problem("AUTH-006", "The API key holds permissions you do not hold: "+strings.Join(missing, ", ")+".")
	}
	return k, nil
}

func (a *API) getAPIKey(c echo.Context) error {
	k, err := a.ownKey(c)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, k)
}

func (a *API) revokeAPIKey(c echo.Context) error {
	k, err := a.manageableKey(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.RevokeAPIKey(c.Request().Context(), writes.Metadata(c), cmdiam.RevokeAPIKey{ID: k.ID, Reason: "revoked"})
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) rotateAPIKey(c echo.Context) error {
	k, err := a.manageableKey(c)
	if err != nil {
		return err
	}
	issued, err := a.Commands.RotateAPIKey(c.Request().Context(), writes.Metadata(c), cmdiam.RotateAPIKey{ID: k.ID})
	if err != nil {
		return err
	}
	return a.answerIssued(c, http.StatusOK, issued)
}

// KeyResolver authenticates API keys, caching lookups briefly; every hit is
// re-checked against the revocation set, so a revoked or rotated key stops
// working at once.
type KeyResolver struct {
	Queries     *rmiam.Queries
	Revocations *auth.Revocations
	TTL         time.Duration

	mu    sync.Mutex
	cache map[string]cachedKey
}

type cachedKey struct {
	p        auth.Principal
	keyID    string
	secretID string
	expires  *time.Time
	until    time.Time
}

// Resolve implements auth.Authenticator.APIKeys.
func (r *KeyResolver) Resolve(ctx context.Context, key string) (*auth.Principal, error) {
	id, ok := cmdiam.ParseAPIKey(key)
	if !ok {
		return nil, auth.ErrAPIKeyInvalid
	}
	hash := cmdiam.APIKeyHash(key)
	now := time.Now()
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[string]cachedKey{}
	}
	ck, hit := r.cache[hash]
	r.mu.Unlock()
	if !hit || now.After(ck.until) {
		k, err := r.Queries.APIKeyForAuth(ctx, id)
		if err != nil {
			return nil, err
		}
		if k == nil || k.Revoked || subtle.ConstantTimeCompare([]byte(k.SecretHash), []byte(hash)) != 1 {
			return nil, auth.ErrAPIKeyInvalid
		}
		ck = cachedKey{keyID: k.ID, secretID: k.SecretID, expires: k.ExpiresAt, until: now.Add(r.ttl()),
			p: auth.Principal{Subject: k.ID, TenantID: k.TenantID, ActingTenant: k.TenantID, Role: "api_key", Kind: "api_key",
				Permissions: k.Permissions, RateLimitPerMinute: k.RateLimitPerMinute, Owner: k.OwnerID}}
		if k.ExpiresAt != nil {
			ck.p.ExpiresAt = *k.ExpiresAt
		}
		r.mu.Lock()
		r.cache[hash] = ck
		r.mu.Unlock()
	}
	if r.Revocations.Revoked("apikey", ck.keyID) || r.Revocations.Revoked("apikeysecret", ck.secretID) ||
		(ck.expires != nil && now.After(*ck.expires)) {
		return nil, auth.ErrAPIKeyInvalid
	}
	p := ck.p
	p.Permissions = append([]string(nil), ck.p.Permissions...)
	return &p, nil
}

func (r *KeyResolver) ttl() time.Duration {
	if r.TTL > 0 {
		return r.TTL
	}
	return time.Minute
}
