-- +goose Up
-- The webhook delivery queue of the Platform module's integrations: one row
-- per (integration, event). Operational state, not history: the events are
-- in the ledger, the integrations' changes (configured, disabled, replayed)
-- are events, and this table says where each delivery stands in its retry
-- schedule. Instances claim due rows with FOR UPDATE SKIP LOCKED and a lease
-- (claimed_by, claimed_until), and complete only the claim they hold
-- (attempts fences a claim that expired and was taken over), so that two
-- instances never send one event to one endpoint at the same time.
CREATE TABLE platform_deliveries (
    id             bigserial PRIMARY KEY,
    tenant_id      text NOT NULL,
    integration_id text NOT NULL,
    event_id       uuid NOT NULL,
    event_type     text NOT NULL,
    position       bigint NOT NULL,
    event          bytea NOT NULL,
    state          text NOT NULL,
    attempts       int NOT NULL DEFAULT 0,
    next_at        timestamptz NOT NULL,
    claimed_by     text,
    claimed_until  timestamptz,
    last_status    int,
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    delivered_at   timestamptz,
    delivered_by   text,
    UNIQUE (integration_id, event_id)
);
CREATE INDEX platform_deliveries_due ON platform_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX platform_deliveries_claimed ON platform_deliveries (claimed_until) WHERE state = 'delivering';
CREATE INDEX platform_deliveries_list ON platform_deliveries (tenant_id, integration_id, id DESC);

-- +goose Down
DROP TABLE platform_deliveries;
