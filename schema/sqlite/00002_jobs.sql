-- +goose Up
-- The job engine: one lease per job (so one replica runs it at a time), the record of runs,
-- the unique reminders (written in the transaction of their outbox row), and the workday
-- overrides (next year's holiday arrangement entered by admins).

CREATE TABLE job_leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL DEFAULT '',
    token        INTEGER NOT NULL DEFAULT 0,
    acquired_at  DATETIME,
    expires_at   DATETIME NOT NULL
);

CREATE TABLE job_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job          TEXT NOT NULL,
    at           DATETIME NOT NULL,
    since        DATETIME,
    started_at   DATETIME NOT NULL,
    finished_at  DATETIME,
    holder       TEXT NOT NULL,
    manual       INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT NOT NULL,
    error        TEXT NOT NULL DEFAULT '',
    sent         INTEGER NOT NULL DEFAULT 0,
    late         INTEGER NOT NULL DEFAULT 0,
    dropped      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX job_runs_job ON job_runs(job, outcome, at);

CREATE TABLE reminders (
    reminder_key  TEXT PRIMARY KEY,
    job           TEXT NOT NULL,
    recipient     TEXT NOT NULL DEFAULT '',
    due_at        DATETIME NOT NULL,
    run_at        DATETIME NOT NULL,
    created_at    DATETIME NOT NULL,
    outbox_id     TEXT,
    status        TEXT NOT NULL
);
CREATE INDEX reminders_job ON reminders(job, due_at);

CREATE TABLE holiday_overrides (
    day         DATE PRIMARY KEY,
    workday     INTEGER NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);

-- +goose Down
DROP TABLE holiday_overrides;
DROP TABLE reminders;
DROP TABLE job_runs;
DROP TABLE job_leases;
