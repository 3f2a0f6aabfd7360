-- +goose Up
-- Event data past ~2 kB (a gateway request record with its step trace) is
-- compressed when stored; lz4 costs a fraction of the CPU of the default pglz
-- on every append and every read (the relay reads each event back). A server
-- built without lz4 keeps pglz.
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE events ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR undefined_object THEN
    RAISE NOTICE 'lz4 is not available: event data keeps the default compression';
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE events ALTER COLUMN data SET COMPRESSION default;
