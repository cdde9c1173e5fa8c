-- The audit log: what happened, who did it, to whom, never a key or a secret. Each record
-- carries the SHA-256 of its canonical content and of the record before it (prev_hash), so
-- a record changed, removed or moved breaks the chain (see audit.go for the canonical form).
--
-- seq numbers the records without gaps, in the order they were appended; audit_head is the
-- chain's one head row: the last record's seq and hash, locked by every append (SELECT …
-- FOR UPDATE on PostgreSQL; SQLite serializes write transactions), so portals sharing the
-- database never fork the chain. anchor_seq and anchor_hash are where verification starts:
-- the first record kept and the hash it must follow (zeros at the start of the log; the
-- last pruned record's hash once retention has deleted older records).

-- +goose Up
CREATE TABLE audit_log (
    seq        BIGINT NOT NULL PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    person     TEXT   NOT NULL DEFAULT '',
    account    TEXT   NOT NULL DEFAULT '',
    service_id TEXT   NOT NULL DEFAULT '',
    token_id   TEXT   NOT NULL DEFAULT '',
    outcome    TEXT   NOT NULL DEFAULT '',
    reason     TEXT   NOT NULL DEFAULT '',
    prev_hash  TEXT   NOT NULL,
    hash       TEXT   NOT NULL
);
CREATE INDEX audit_log_by_person ON audit_log (person, seq);
CREATE INDEX audit_log_by_service ON audit_log (service_id, seq);
CREATE INDEX audit_log_by_time ON audit_log (at);

CREATE TABLE audit_head (
    id          INTEGER NOT NULL PRIMARY KEY,
    seq         BIGINT  NOT NULL,
    hash        TEXT    NOT NULL,
    anchor_seq  BIGINT  NOT NULL,
    anchor_hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash, anchor_seq, anchor_hash) VALUES
    (1, 0, '0000000000000000000000000000000000000000000000000000000000000000',
     1, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
