-- +goose Up
-- The spine: branches, members, roles, the audit trail, event deduplication and the outbox.
-- Rule for time: every instant is stored in UTC (DATETIME(6); the session runs at
-- time_zone '+00:00' and the driver at loc=UTC); calendar dates are DATE in the union's zone.

CREATE TABLE branches (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(191) NOT NULL UNIQUE,
    created_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE members (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    open_id      VARCHAR(64) UNIQUE,
    user_id      VARCHAR(64),
    union_id     VARCHAR(64),
    name         VARCHAR(191) NOT NULL DEFAULT '',
    employee_no  VARCHAR(64) UNIQUE,
    branch_id    BIGINT,
    gender       VARCHAR(8) NOT NULL DEFAULT '',
    mobile       VARCHAR(32) NOT NULL DEFAULT '',
    email        VARCHAR(191) NOT NULL DEFAULT '',
    active       TINYINT(1) NOT NULL DEFAULT 1,
    placeholder  TINYINT(1) NOT NULL DEFAULT 0,
    created_at   DATETIME(6) NOT NULL,
    updated_at   DATETIME(6) NOT NULL,
    KEY members_branch (branch_id),
    KEY members_mobile (mobile),
    KEY members_email (email),
    CONSTRAINT members_branch_fk FOREIGN KEY (branch_id) REFERENCES branches(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE member_roles (
    member_id   BIGINT NOT NULL,
    role        VARCHAR(32) NOT NULL,
    granted_by  VARCHAR(191) NOT NULL,
    granted_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (member_id, role),
    CONSTRAINT member_roles_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE audit_log (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    at          DATETIME(6) NOT NULL,
    actor       VARCHAR(191) NOT NULL,
    entity      VARCHAR(64) NOT NULL,
    entity_id   VARCHAR(191) NOT NULL,
    action      VARCHAR(64) NOT NULL,
    detail      TEXT NOT NULL,
    KEY audit_log_entity (entity, entity_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE processed_events (
    event_key     VARCHAR(191) NOT NULL PRIMARY KEY,
    kind          VARCHAR(64) NOT NULL,
    processed_at  DATETIME(6) NOT NULL,
    KEY processed_events_at (processed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE outbox (
    id                 VARCHAR(36) NOT NULL PRIMARY KEY,
    kind               VARCHAR(16) NOT NULL,
    receive_id_type    VARCHAR(16) NOT NULL DEFAULT '',
    receive_id         VARCHAR(191) NOT NULL DEFAULT '',
    target_message_id  VARCHAR(191) NOT NULL DEFAULT '',
    msg_type           VARCHAR(32) NOT NULL DEFAULT '',
    content            MEDIUMTEXT NOT NULL,
    file_name          VARCHAR(191) NOT NULL DEFAULT '',
    file_data          LONGBLOB,
    dedup_key          VARCHAR(191) UNIQUE,
    status             VARCHAR(16) NOT NULL DEFAULT 'pending',
    attempts           INT NOT NULL DEFAULT 0,
    next_attempt_at    DATETIME(6) NOT NULL,
    claimed_by         VARCHAR(64) NOT NULL DEFAULT '',
    claimed_until      DATETIME(6) NULL,
    last_code          INT NOT NULL DEFAULT 0,
    last_error         TEXT NOT NULL,
    message_id         VARCHAR(191) NOT NULL DEFAULT '',
    created_at         DATETIME(6) NOT NULL,
    sent_at            DATETIME(6) NULL,
    KEY outbox_due (status, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE outbox;
DROP TABLE processed_events;
DROP TABLE audit_log;
DROP TABLE member_roles;
DROP TABLE members;
DROP TABLE branches;
