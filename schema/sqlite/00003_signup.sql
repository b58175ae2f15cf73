-- +goose Up
-- Activities and sign-ups (issue 3, the core): activities with their items, entries (one row
-- per person and item), teams and their invitations, per-分工会 counters for quotas, and the
-- members' birth dates for age groups.
--
-- Seats are counted in counter columns (activities.confirmed_count, activity_items.
-- confirmed_count, signup_branch_counts.live_count) changed by conditional UPDATEs, never by
-- COUNT(*) under contention; waitlist positions come from waitlist_seq counters.

ALTER TABLE members ADD COLUMN birth_date DATE;

CREATE TABLE activities (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    title                TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    place                TEXT NOT NULL DEFAULT '',
    starts_at            DATETIME NOT NULL,
    ends_at              DATETIME NOT NULL,
    signup_opens_at      DATETIME NOT NULL,
    signup_closes_at     DATETIME NOT NULL,
    cancel_deadline      DATETIME NOT NULL,
    capacity             INTEGER NOT NULL DEFAULT 0,
    branch_quota         INTEGER NOT NULL DEFAULT 0,
    entry_mode           TEXT NOT NULL,
    one_item_per_person  INTEGER NOT NULL DEFAULT 0,
    allocation           TEXT NOT NULL,
    branch_confirm       INTEGER NOT NULL DEFAULT 0,
    needs_insurance      INTEGER NOT NULL DEFAULT 0,
    min_entries          INTEGER NOT NULL DEFAULT 0,
    is_sensitive         INTEGER NOT NULL DEFAULT 0,
    members_only         INTEGER NOT NULL DEFAULT 0,
    women_only           INTEGER NOT NULL DEFAULT 0,
    branches             TEXT NOT NULL DEFAULT '',   -- allowed 分工会 names, one per line
    age_min              INTEGER NOT NULL DEFAULT 0,
    age_max              INTEGER NOT NULL DEFAULT 0,
    age_ref_date         DATE,
    publish_chats        TEXT NOT NULL DEFAULT '',   -- chat_ids, one per line
    notify_all           INTEGER NOT NULL DEFAULT 0,
    status               TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    lottery_seed         INTEGER NOT NULL DEFAULT 0,
    lottery_drawn_at     DATETIME,
    checkin_opened_at    DATETIME,
    confirmed_count      INTEGER NOT NULL DEFAULT 0, -- seats taken (entries, or teams in team mode)
    waitlist_seq         INTEGER NOT NULL DEFAULT 0, -- last waitlist position given (activities without items)
    created_by           INTEGER NOT NULL DEFAULT 0,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL
);
CREATE INDEX activities_status ON activities(status, signup_closes_at);

CREATE TABLE activity_items (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id      INTEGER NOT NULL REFERENCES activities(id),
    name             TEXT NOT NULL,
    capacity         INTEGER NOT NULL DEFAULT 0,
    gender           TEXT NOT NULL DEFAULT '',
    team_min         INTEGER NOT NULL DEFAULT 0,
    team_max         INTEGER NOT NULL DEFAULT 0,
    min_women        INTEGER NOT NULL DEFAULT 0,
    position         INTEGER NOT NULL DEFAULT 0,
    confirmed_count  INTEGER NOT NULL DEFAULT 0,
    waitlist_seq     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (activity_id, name)
);

CREATE TABLE signup_teams (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id  INTEGER NOT NULL REFERENCES activities(id),
    item_id      INTEGER NOT NULL DEFAULT 0,
    branch_id    INTEGER NOT NULL DEFAULT 0,
    name         TEXT NOT NULL,
    captain_id   INTEGER NOT NULL REFERENCES members(id),
    status       TEXT NOT NULL,
    position     INTEGER NOT NULL DEFAULT 0,
    live_name    TEXT,                              -- name while the team stands, NULL once cancelled
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (activity_id, item_id, live_name)
);

CREATE TABLE signup_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id    INTEGER NOT NULL REFERENCES activities(id),
    item_id        INTEGER NOT NULL DEFAULT 0,
    member_id      INTEGER NOT NULL REFERENCES members(id),
    branch_id      INTEGER NOT NULL DEFAULT 0,
    team_id        INTEGER NOT NULL DEFAULT 0,
    role           TEXT NOT NULL DEFAULT 'individual',
    status         TEXT NOT NULL,
    position       INTEGER NOT NULL DEFAULT 0,       -- waitlist position (its queue's counter)
    lottery_rank   INTEGER NOT NULL DEFAULT 0,       -- 1-based place in the draw
    live_member    INTEGER,                          -- member_id while the entry stands, else NULL
    id_cipher      TEXT NOT NULL DEFAULT '',         -- ID number, sealed by store/secret
    id_masked      TEXT NOT NULL DEFAULT '',         -- 110***********1234
    created_by     INTEGER NOT NULL DEFAULT 0,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    checked_in_at  DATETIME,
    UNIQUE (activity_id, item_id, live_member)
);
CREATE INDEX signup_entries_member ON signup_entries(member_id, activity_id);
CREATE INDEX signup_entries_status ON signup_entries(activity_id, status, position);
CREATE INDEX signup_entries_team ON signup_entries(team_id);

CREATE TABLE signup_invites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id     INTEGER NOT NULL REFERENCES signup_teams(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    status      TEXT NOT NULL,                      -- invited, accepted, declined, withdrawn
    invited_by  INTEGER NOT NULL,
    created_at  DATETIME NOT NULL,
    decided_at  DATETIME,
    UNIQUE (team_id, member_id)
);

CREATE TABLE signup_branch_counts (
    activity_id  INTEGER NOT NULL,
    item_id      INTEGER NOT NULL,
    branch_id    INTEGER NOT NULL,
    live_count   INTEGER NOT NULL DEFAULT 0,        -- entries (teams) of the 分工会 standing
    PRIMARY KEY (activity_id, item_id, branch_id)
);

-- +goose Down
DROP TABLE signup_branch_counts;
DROP TABLE signup_invites;
DROP TABLE signup_entries;
DROP TABLE signup_teams;
DROP TABLE activity_items;
DROP TABLE activities;
ALTER TABLE members DROP COLUMN birth_date;
