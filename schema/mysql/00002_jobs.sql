-- +goose Up
-- The job engine: one lease per job (so one replica runs it at a time), the record of runs,
-- the unique reminders (written in the transaction of their outbox row), and the workday
-- overrides (next year's holiday arrangement entered by admins).

CREATE TABLE job_leases (
    name         VARCHAR(191) NOT NULL PRIMARY KEY,
    holder       VARCHAR(191) NOT NULL DEFAULT '',
    token        BIGINT NOT NULL DEFAULT 0,
    acquired_at  DATETIME(6) NULL,
    expires_at   DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE job_runs (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    job          VARCHAR(191) NOT NULL,
    at           DATETIME(6) NOT NULL,
    since        DATETIME(6) NULL,
    started_at   DATETIME(6) NOT NULL,
    finished_at  DATETIME(6) NULL,
    holder       VARCHAR(191) NOT NULL,
    manual       TINYINT(1) NOT NULL DEFAULT 0,
    outcome      VARCHAR(16) NOT NULL,
    error        TEXT NOT NULL,
    sent         INT NOT NULL DEFAULT 0,
    late         INT NOT NULL DEFAULT 0,
    dropped      INT NOT NULL DEFAULT 0,
    KEY job_runs_job (job, outcome, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE reminders (
    reminder_key  VARCHAR(191) NOT NULL PRIMARY KEY,
    job           VARCHAR(191) NOT NULL,
    recipient     VARCHAR(191) NOT NULL DEFAULT '',
    due_at        DATETIME(6) NOT NULL,
    run_at        DATETIME(6) NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    outbox_id     VARCHAR(36) NULL,
    status        VARCHAR(16) NOT NULL,
    KEY reminders_job (job, due_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE holiday_overrides (
    day         DATE NOT NULL PRIMARY KEY,
    workday     TINYINT(1) NOT NULL,
    name        VARCHAR(191) NOT NULL DEFAULT '',
    source      VARCHAR(191) NOT NULL DEFAULT '',
    created_by  VARCHAR(191) NOT NULL DEFAULT '',
    created_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE holiday_overrides;
DROP TABLE reminders;
DROP TABLE job_runs;
DROP TABLE job_leases;
