-- +goose Up
-- The ten-task tracker (十件实事): tasks per year, their responsible members, milestones,
-- extension requests, the supervision log (督办记录), and the heads of the lead units.
-- Calendar dates (deadline, planned and actual dates) are DATE in the union's time zone;
-- instants are DATETIME(6) in UTC.

-- A lead unit (牵头单位) by name, with the member who heads it: yellow (behind pace) notices
-- go to the task's responsible members and to the head of its lead unit.
CREATE TABLE task_units (
    name            VARCHAR(191) NOT NULL PRIMARY KEY,
    head_member_id  BIGINT NULL,
    updated_at      DATETIME(6) NOT NULL,
    CONSTRAINT task_units_head_fk FOREIGN KEY (head_member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tasks (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    year             INT NOT NULL,
    number           INT NOT NULL,
    title            VARCHAR(500) NOT NULL,
    goal             TEXT NOT NULL,
    lead_unit        VARCHAR(191) NOT NULL DEFAULT '',
    partner_units    VARCHAR(1000) NOT NULL DEFAULT '',
    leader           VARCHAR(191) NOT NULL DEFAULT '',
    leader_member_id BIGINT NULL,
    start_date       DATE NOT NULL,
    deadline         DATE NOT NULL,
    progress         INT NOT NULL DEFAULT 0,
    note             TEXT NOT NULL,
    problems         TEXT NOT NULL,
    status           VARCHAR(16) NOT NULL DEFAULT 'open',
    completed_on     DATE NULL,
    extensions       INT NOT NULL DEFAULT 0,
    last_update_at   DATETIME(6) NULL,
    version          INT NOT NULL DEFAULT 1,
    created_at       DATETIME(6) NOT NULL,
    updated_at       DATETIME(6) NOT NULL,
    UNIQUE KEY tasks_year_number (year, number),
    KEY tasks_status (status, deadline),
    CONSTRAINT tasks_leader_fk FOREIGN KEY (leader_member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE task_owners (
    task_id    BIGINT NOT NULL,
    member_id  BIGINT NOT NULL,
    PRIMARY KEY (task_id, member_id),
    KEY task_owners_member (member_id),
    CONSTRAINT task_owners_task_fk FOREIGN KEY (task_id) REFERENCES tasks(id),
    CONSTRAINT task_owners_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE task_milestones (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    task_id     BIGINT NOT NULL,
    name        VARCHAR(500) NOT NULL,
    planned     DATE NOT NULL,
    actual      DATE NULL,
    status      VARCHAR(16) NOT NULL DEFAULT 'pending',
    evidence    TEXT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    KEY task_milestones_task (task_id, planned),
    CONSTRAINT task_milestones_task_fk FOREIGN KEY (task_id) REFERENCES tasks(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE task_extensions (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    task_id       BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    old_deadline  DATE NOT NULL,
    new_deadline  DATE NOT NULL,
    requested_by  BIGINT NOT NULL,
    requested_at  DATETIME(6) NOT NULL,
    status        VARCHAR(16) NOT NULL DEFAULT 'pending',
    decided_by    BIGINT NULL,
    decided_at    DATETIME(6) NULL,
    KEY task_extensions_task (task_id, status),
    CONSTRAINT task_extensions_task_fk FOREIGN KEY (task_id) REFERENCES tasks(id),
    CONSTRAINT task_extensions_requester_fk FOREIGN KEY (requested_by) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The supervision log: every change of a task, who made it and when. Append-only.
CREATE TABLE task_history (
    id         BIGINT AUTO_INCREMENT PRIMARY KEY,
    task_id    BIGINT NOT NULL,
    at         DATETIME(6) NOT NULL,
    actor      VARCHAR(191) NOT NULL,
    actor_name VARCHAR(191) NOT NULL DEFAULT '',
    action     VARCHAR(64) NOT NULL,
    detail     TEXT NOT NULL,
    KEY task_history_task (task_id, id),
    CONSTRAINT task_history_task_fk FOREIGN KEY (task_id) REFERENCES tasks(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE task_history;
DROP TABLE task_extensions;
DROP TABLE task_milestones;
DROP TABLE task_owners;
DROP TABLE tasks;
DROP TABLE task_units;
