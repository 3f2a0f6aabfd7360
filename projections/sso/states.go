package sso

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LoginState is what the callback needs of the login that sent the browser
// away: where it signs in, and the secrets that bind the answer to it.
type LoginState struct {
	TenantID    string
	ProviderID  string
	Verifier    string // PKCE code verifier
	Nonce       string
	RedirectURI string
	ExpiresAt   time.Time
}

// LoginStates keeps logins in flight in Postgres (sso_login_states), so that
// the callback may reach any instance. The state itself is stored hashed.
// It is the Postgres adapter behind http/sso's LoginStore: the HTTP layer
// holds no SQL.
type LoginStates struct {
	Pool *pgxpool.Pool
}

func stateKey(state string) []byte {
	sum := sha256.Sum256([]byte(state))
	return sum[:]
}

// Save records a login in flight and purges a bounded batch of expired ones.
func (s *LoginStates) Save(ctx context.Context, state string, st LoginState) error {
	if _, err := s.Pool.Exec(ctx, `INSERT INTO sso_login_states (state_hash, tenant_id, provider_id, code_verifier, nonce, redirect_uri, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, stateKey(state), st.TenantID, st.ProviderID, st.Verifier, st.Nonce, st.RedirectURI, st.ExpiresAt); err != nil {
		return fmt.Errorf("sso: save login state: %w", err)
	}
	if _, err := s.Pool.Exec(ctx, `DELETE FROM sso_login_states WHERE state_hash IN (
		SELECT state_hash FROM sso_login_states WHERE expires_at < now() ORDER BY expires_at LIMIT 100)`); err != nil {
		return fmt.Errorf("sso: purge login states: %w", err)
	}
	return nil
}

// Consume takes a login state exactly once: the row is deleted as it is read,
// so a replayed callback finds nothing. nil means unknown, used or expired.
func (s *LoginStates) Consume(ctx context.Context, state string, now time.Time) (*LoginState, error) {
	var st LoginState
	err := s.Pool.QueryRow(ctx, `DELETE FROM sso_login_states WHERE state_hash = $1
		RETURNING tenant_id, provider_id, code_verifier, nonce, redirect_uri, expires_at`, stateKey(state)).
		Scan(&st.TenantID, &st.ProviderID, &st.Verifier, &st.Nonce, &st.RedirectURI, &st.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sso: consume login state: %w", err)
	}
	if !now.Before(st.ExpiresAt) {
		return nil, nil
	}
	return &st, nil
}
