-- +goose Up
-- The ledger: one row per event, positions gapless and assigned in commit order
-- (ledger_head is row-locked by every append transaction).
CREATE TABLE ledger_head (
    id       int PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL
);
INSERT INTO ledger_head (id, position) VALUES (1, 0);

CREATE TABLE events (
    position       bigint PRIMARY KEY,
    event_id       uuid   NOT NULL UNIQUE,
    stream_id      text   NOT NULL,
    version        bigint NOT NULL CHECK (version > 0),
    tenant_id      text   NOT NULL,
    type           text   NOT NULL,
    source         text   NOT NULL,
    subject        text   NOT NULL,
    actor          text   NOT NULL,
    time           timestamptz NOT NULL,
    correlation_id text   NOT NULL,
    causation_id   text   NOT NULL,
    schema_version int    NOT NULL,
    data           bytea  NOT NULL,
    prev_hash      bytea  NOT NULL,
    hash           bytea  NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE INDEX events_tenant_position ON events (tenant_id, position);
CREATE INDEX events_tenant_type ON events (tenant_id, type, position);
CREATE INDEX events_tenant_subject ON events (tenant_id, subject, position);
CREATE INDEX events_tenant_actor ON events (tenant_id, actor, position);

-- Stream heads: last version and hash per stream, so an append needs no max() scan.
CREATE TABLE streams (
    stream_id text PRIMARY KEY,
    tenant_id text   NOT NULL,
    version   bigint NOT NULL,
    hash      bytea  NOT NULL
);

-- The relay's checkpoint: the highest ledger position acknowledged by Kafka.
CREATE TABLE relay_checkpoint (
    id         int PRIMARY KEY CHECK (id = 1),
    position   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO relay_checkpoint (id, position) VALUES (1, 0);

-- Crypto-shredding: one data key per subject, wrapped by the key-encryption key.
-- Erasing a subject deletes its key; the ciphertext in the ledger stays (and verifies).
CREATE TABLE subject_keys (
    subject_id  text PRIMARY KEY,
    tenant_id   text NOT NULL,
    wrapped_key bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz
);

-- Platform secrets (the generated key-encryption key when none is configured, JWT signing keys).
CREATE TABLE platform_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Projections: generations (blue/green) and their per-partition positions.
CREATE TABLE projection_generations (
    projection   text NOT NULL,
    generation   int  NOT NULL,
    schema_name  text NOT NULL,
    status       text NOT NULL, -- building | active | retired
    created_at   timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz,
    PRIMARY KEY (projection, generation)
);
CREATE TABLE projection_offsets (
    projection    text   NOT NULL,
    generation    int    NOT NULL,
    topic         text   NOT NULL,
    partition     int    NOT NULL,
    next_offset   bigint NOT NULL,
    last_position bigint NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, generation, topic, partition)
);
CREATE TABLE projection_errors (
    id          bigserial PRIMARY KEY,
    projection  text NOT NULL,
    generation  int  NOT NULL,
    position    bigint,
    message     text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now()
);

-- Idempotency-Key records: the first answer to a key is replayed for retries.
CREATE TABLE idempotency_keys (
    tenant_id    text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       int,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

-- Read models are queried under this role so that row-level security applies
-- (the connecting role may be a superuser, which bypasses RLS).
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'astra_reader') THEN
        CREATE ROLE astra_reader NOLOGIN;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE idempotency_keys, projection_errors, projection_offsets, projection_generations,
    platform_secrets, subject_keys, relay_checkpoint, streams, events, ledger_head;
