-- The schema of Service Connector's state, for SQLite and PostgreSQL alike: it uses only
-- what both understand (TEXT, BIGINT, INTEGER, BOOLEAN, partial indexes).
--
-- Times are BIGINT nanoseconds since 1970-01-01 UTC, 0 meaning "none" (a key without
-- expiry, a retry due at once, no lease): the same numbers on both backends, compared and
-- indexed as numbers. In psql: to_timestamp(expires_at / 1e9).
--
-- Emails are stored lower-cased. Every table the worker polls has an index on its
-- next_attempt_at, and lease_owner/lease_until record which portal is working a row.

-- +goose Up
CREATE TABLE connections (
    user_email   TEXT    NOT NULL,
    service_id   TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    token_id     TEXT    NOT NULL,
    -- api_key is the key as keys.go encodes it: the key itself while key_id is empty;
    -- sealed under the key named by key_id once keys are encrypted at rest.
    api_key      TEXT    NOT NULL,
    key_id       TEXT    NOT NULL DEFAULT '',
    connected_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL DEFAULT 0,
    revoke_url   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_email, service_id)
);
CREATE INDEX connections_by_username ON connections (username);
CREATE INDEX connections_by_service ON connections (service_id);
CREATE INDEX connections_by_expiry ON connections (expires_at) WHERE expires_at > 0;

CREATE TABLE revocations (
    service_id      TEXT    NOT NULL,
    token_id        TEXT    NOT NULL,
    user_email      TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    revoke_url      TEXT    NOT NULL DEFAULT '',
    queued_at       BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    needs_attention BOOLEAN NOT NULL DEFAULT FALSE,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, token_id)
);
CREATE INDEX revocations_due ON revocations (next_attempt_at) WHERE needs_attention = FALSE;
CREATE INDEX revocations_by_queue_order ON revocations (needs_attention, queued_at);

CREATE TABLE deliveries (
    user_email      TEXT    NOT NULL PRIMARY KEY,
    username        TEXT    NOT NULL,
    since           BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at);
CREATE INDEX deliveries_by_username ON deliveries (username);
CREATE INDEX deliveries_by_since ON deliveries (since);

CREATE TABLE intents (
    request_id        TEXT    NOT NULL PRIMARY KEY,
    user_email        TEXT    NOT NULL,
    username          TEXT    NOT NULL DEFAULT '',
    service_id        TEXT    NOT NULL,
    ttl_days          INTEGER NOT NULL DEFAULT 0,
    started_at        BIGINT  NOT NULL,
    token_id          TEXT    NOT NULL DEFAULT '',
    replaces_token_id TEXT    NOT NULL DEFAULT '',
    cancelled         BOOLEAN NOT NULL DEFAULT FALSE,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT  NOT NULL DEFAULT 0,
    last_error        TEXT    NOT NULL DEFAULT '',
    lease_owner       TEXT    NOT NULL DEFAULT '',
    lease_until       BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX intents_by_user ON intents (user_email);
CREATE INDEX intents_by_username ON intents (username);
CREATE INDEX intents_due ON intents (next_attempt_at);
CREATE INDEX intents_by_start ON intents (started_at);

-- Server-side sessions. The cookie holds a random id; only its HMAC under the session
-- secret is stored, so the database (or a backup) holds nothing a browser could present, and
-- a row written into it without the secret opens no session.
CREATE TABLE sessions (
    id_hash    TEXT   NOT NULL PRIMARY KEY,
    user_email TEXT   NOT NULL DEFAULT '',
    data       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_email);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Per-person locks shared by every portal: a row is a lease held by owner (one Lock call of
-- the portal named by portal) until until.
CREATE TABLE person_locks (
    name   TEXT   NOT NULL PRIMARY KEY,
    owner  TEXT   NOT NULL,
    portal TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
CREATE INDEX person_locks_by_portal ON person_locks (portal);

-- The portal processes with the database open, and how to tell whether one has died: a
-- portal on the same machine (boot_id) and in the same process namespace (pid_ns) whose
-- process (pid, started: its start time in clock ticks since boot) is gone has its locks and
-- leases freed at once by the others; any other one's run out with their lease.
CREATE TABLE portals (
    owner     TEXT    NOT NULL PRIMARY KEY,
    boot_id   TEXT    NOT NULL,
    pid_ns    TEXT    NOT NULL,
    pid       INTEGER NOT NULL,
    started   BIGINT  NOT NULL,
    opened_at BIGINT  NOT NULL
);
CREATE INDEX portals_by_machine ON portals (boot_id, pid_ns);

-- What was moved in from connections.json, so a file imported once is recognised.
CREATE TABLE imports (
    source      TEXT    NOT NULL PRIMARY KEY,
    digest      TEXT    NOT NULL,
    imported_at BIGINT  NOT NULL,
    connections INTEGER NOT NULL
);

-- +goose Down
DROP TABLE imports;
DROP TABLE portals;
DROP TABLE person_locks;
DROP TABLE sessions;
DROP TABLE intents;
DROP TABLE deliveries;
DROP TABLE revocations;
DROP TABLE connections;
