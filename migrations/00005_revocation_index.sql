-- +goose Up
-- The one query that looks events up by type across tenants is the
-- revocation set every instance loads at start. A partial index serves it;
-- the full (type, position) index it replaces was maintained on every append
-- (a gateway request record among them) for that single query.
CREATE INDEX events_revocations ON events (position)
    WHERE type IN ('com.astra.iam.SessionRevoked', 'com.astra.iam.ApiKeyRevoked', 'com.astra.iam.ApiKeyRotated');
DROP INDEX events_type_position;

-- +goose Down
CREATE INDEX events_type_position ON events (type, position);
DROP INDEX events_revocations;
