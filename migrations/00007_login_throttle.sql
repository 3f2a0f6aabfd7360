-- +goose Up
-- Sign-in throttling per (account, client address): after five failed
-- sign-ins of one address on one account, that address waits 1 s, 2 s, 4 s …
-- (capped at 15 minutes) between attempts; other addresses are not affected,
-- so an attacker cannot lock the legitimate user (or the platform admin) out.
-- Operational state, not history (iam.LoginFailed events are the history):
-- account is a keyed hash of the normalised e-mail address (unknown addresses
-- are throttled the same way, so the throttle reveals nothing), a row is
-- deleted by a successful sign-in, and rows idle for a day are swept.
CREATE TABLE login_throttle (
    account       text NOT NULL,
    source        text NOT NULL,
    failures      int NOT NULL,
    blocked_until timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (account, source)
);
CREATE INDEX login_throttle_updated_at ON login_throttle (updated_at);

-- +goose Down
DROP TABLE login_throttle;
