-- +goose Up
-- Instances rebuild their revocation sets from the ledger at start (every
-- SessionRevoked / ApiKeyRevoked across tenants), which needs type lookups
-- without a tenant.
CREATE INDEX events_type_position ON events (type, position);

-- +goose Down
DROP INDEX events_type_position;
