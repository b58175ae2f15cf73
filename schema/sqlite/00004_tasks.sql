-- +goose Up
-- The ten-task tracker (十件实事): tasks per year, their responsible members, milestones,
-- extension requests, the supervision log (督办记录), and the heads of the lead units.
-- Calendar dates (deadline, planned and actual dates) are DATE strings "2006-01-02" in the
-- union's time zone; instants are DATETIME in UTC.

-- A lead unit (牵头单位) by name, with the member who heads it: yellow (behind pace) notices
-- go to the task's responsible members and to the head of its lead unit.
CREATE TABLE task_units (
    name            TEXT PRIMARY KEY,
    head_member_id  INTEGER REFERENCES members(id),
    updated_at      DATETIME NOT NULL
);

CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    year             INTEGER NOT NULL,
    number           INTEGER NOT NULL,
    title            TEXT NOT NULL,
    goal             TEXT NOT NULL DEFAULT '',
    lead_unit        TEXT NOT NULL DEFAULT '',
    partner_units    TEXT NOT NULL DEFAULT '',
    leader           TEXT NOT NULL DEFAULT '',
    leader_member_id INTEGER REFERENCES members(id),
    start_date       DATE NOT NULL,
    deadline         DATE NOT NULL,
    progress         INTEGER NOT NULL DEFAULT 0,
    note             TEXT NOT NULL DEFAULT '',
    problems         TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'open',
    completed_on     DATE,
    extensions       INTEGER NOT NULL DEFAULT 0,
    last_update_at   DATETIME,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    UNIQUE (year, number)
);
CREATE INDEX tasks_status ON tasks(status, deadline);

CREATE TABLE task_owners (
    task_id    INTEGER NOT NULL REFERENCES tasks(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    PRIMARY KEY (task_id, member_id)
);
CREATE INDEX task_owners_member ON task_owners(member_id);

CREATE TABLE task_milestones (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id     INTEGER NOT NULL REFERENCES tasks(id),
    name        TEXT NOT NULL,
    planned     DATE NOT NULL,
    actual      DATE,
    status      TEXT NOT NULL DEFAULT 'pending',
    evidence    TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
CREATE INDEX task_milestones_task ON task_milestones(task_id, planned);

CREATE TABLE task_extensions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id       INTEGER NOT NULL REFERENCES tasks(id),
    reason        TEXT NOT NULL,
    old_deadline  DATE NOT NULL,
    new_deadline  DATE NOT NULL,
    requested_by  INTEGER NOT NULL REFERENCES members(id),
    requested_at  DATETIME NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    decided_by    INTEGER REFERENCES members(id),
    decided_at    DATETIME
);
CREATE INDEX task_extensions_task ON task_extensions(task_id, status);

-- The supervision log: every change of a task, who made it and when. Append-only.
CREATE TABLE task_history (
    id         INTEGER PRIMARY KEY,
    task_id    INTEGER NOT NULL REFERENCES tasks(id),
    at         DATETIME NOT NULL,
    actor      TEXT NOT NULL,
    actor_name TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX task_history_task ON task_history(task_id, id);

-- +goose Down
DROP TABLE task_history;
DROP TABLE task_extensions;
DROP TABLE task_milestones;
DROP TABLE task_owners;
DROP TABLE tasks;
DROP TABLE task_units;
