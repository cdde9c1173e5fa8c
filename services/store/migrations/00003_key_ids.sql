-- Keys encrypted at rest: an index on the key id each API key is sealed under, so the
-- start-up check finds the key ids in use, and rekey the records still sealed under an
-- older key (or in plain text), without reading every record.

-- +goose Up
CREATE INDEX connections_by_key ON connections (key_id);

-- +goose Down
DROP INDEX connections_by_key;
