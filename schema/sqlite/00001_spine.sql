-- +goose Up
-- The spine: branches, members, roles, the audit trail, event deduplication and the outbox.
-- Rule for time: every instant is stored in UTC (DATETIME, written by the store as UTC);
-- calendar dates are DATE strings in the union's time zone.

CREATE TABLE branches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  DATETIME NOT NULL
);

CREATE TABLE members (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    open_id      TEXT UNIQUE,
    user_id      TEXT,
    union_id     TEXT,
    name         TEXT NOT NULL DEFAULT '',
    employee_no  TEXT UNIQUE,
    branch_id    INTEGER REFERENCES branches(id),
    gender       TEXT NOT NULL DEFAULT '',
    mobile       TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    active       INTEGER NOT NULL DEFAULT 1,
    placeholder  INTEGER NOT NULL DEFAULT 0,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE INDEX members_branch ON members(branch_id);
CREATE INDEX members_mobile ON members(mobile);
CREATE INDEX members_email ON members(email);

CREATE TABLE member_roles (
    member_id   INTEGER NOT NULL REFERENCES members(id),
    role        TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    granted_at  DATETIME NOT NULL,
    PRIMARY KEY (member_id, role)
);

-- Append-only, never deleted from: a plain rowid key (no AUTOINCREMENT bookkeeping per insert).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          DATETIME NOT NULL,
    actor       TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);

CREATE TABLE processed_events (
    event_key     TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    processed_at  DATETIME NOT NULL
);
CREATE INDEX processed_events_at ON processed_events(processed_at);

CREATE TABLE outbox (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    receive_id_type    TEXT NOT NULL DEFAULT '',
    receive_id         TEXT NOT NULL DEFAULT '',
    target_message_id  TEXT NOT NULL DEFAULT '',
    msg_type           TEXT NOT NULL DEFAULT '',
    content            TEXT NOT NULL DEFAULT '',
    file_name          TEXT NOT NULL DEFAULT '',
    file_data          BLOB,
    dedup_key          TEXT UNIQUE,
    status             TEXT NOT NULL DEFAULT 'pending',
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    DATETIME NOT NULL,
    claimed_by         TEXT NOT NULL DEFAULT '',
    claimed_until      DATETIME,
    last_code          INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT NOT NULL DEFAULT '',
    message_id         TEXT NOT NULL DEFAULT '',
    created_at         DATETIME NOT NULL,
    sent_at            DATETIME
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE processed_events;
DROP TABLE audit_log;
DROP TABLE member_roles;
DROP TABLE members;
DROP TABLE branches;
