-- +goose Up
-- Events a projection could not or must not apply: quarantined here (with an
-- alert) so that everything else keeps flowing. reason is 'apply failed' (an
-- error of the event itself: a data or integrity error, a payload that does
-- not decode) or 'unauthenticated record' (a broker record that is not a
-- ledger event: no valid MAC and no matching ledger event).
CREATE TABLE projection_dead_letters (
    id           bigserial PRIMARY KEY,
    projection   text   NOT NULL,
    generation   int    NOT NULL,
    event_id     uuid,
    event_type   text   NOT NULL DEFAULT '',
    tenant_id    text   NOT NULL DEFAULT '',
    stream_id    text   NOT NULL DEFAULT '',
    version      bigint,
    position     bigint,
    topic        text   NOT NULL,
    partition    int    NOT NULL,
    kafka_offset bigint NOT NULL,
    reason       text   NOT NULL,
    error        text   NOT NULL,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (projection, generation, topic, partition, kafka_offset)
);
CREATE INDEX projection_dead_letters_recent ON projection_dead_letters (first_seen DESC, id DESC);

-- +goose Down
DROP TABLE projection_dead_letters;
