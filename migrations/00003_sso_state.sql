-- +goose Up
-- Single sign-on login state: one row per authorization request in flight,
-- between GET /auth/sso/{tenant}/login and the identity provider's redirect to
-- /auth/sso/callback. Operational state, not history: a row is consumed (deleted)
-- by its callback, expires after 10 minutes, and nothing reads it afterwards.
-- The state is stored as its SHA-256, so that reading this table is not enough
-- to complete someone else's sign-in.
CREATE TABLE sso_login_states (
    state_hash    bytea PRIMARY KEY,
    tenant_id     text NOT NULL,
    provider_id   text NOT NULL,
    code_verifier text NOT NULL,
    nonce         text NOT NULL,
    redirect_uri  text NOT NULL,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sso_login_states_expires_at ON sso_login_states (expires_at);

-- +goose Down
DROP TABLE sso_login_states;
