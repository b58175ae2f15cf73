-- +goose Up
-- Activities and sign-ups (issue 3, the core): activities with their items, entries (one row
-- per person and item), teams and their invitations, per-分工会 counters for quotas, and the
-- members' birth dates for age groups.
--
-- Seats are counted in counter columns (activities.confirmed_count, activity_items.
-- confirmed_count, signup_branch_counts.live_count) changed by conditional UPDATEs, never by
-- COUNT(*) under contention; waitlist positions come from waitlist_seq counters.

ALTER TABLE members ADD COLUMN birth_date DATE NULL;

CREATE TABLE activities (
    id                   BIGINT AUTO_INCREMENT PRIMARY KEY,
    title                VARCHAR(191) NOT NULL,
    kind                 VARCHAR(16) NOT NULL,
    description          TEXT NOT NULL,
    place                VARCHAR(191) NOT NULL DEFAULT '',
    starts_at            DATETIME(6) NOT NULL,
    ends_at              DATETIME(6) NOT NULL,
    signup_opens_at      DATETIME(6) NOT NULL,
    signup_closes_at     DATETIME(6) NOT NULL,
    cancel_deadline      DATETIME(6) NOT NULL,
    capacity             INT NOT NULL DEFAULT 0,
    branch_quota         INT NOT NULL DEFAULT 0,
    entry_mode           VARCHAR(16) NOT NULL,
    one_item_per_person  TINYINT(1) NOT NULL DEFAULT 0,
    allocation           VARCHAR(16) NOT NULL,
    branch_confirm       TINYINT(1) NOT NULL DEFAULT 0,
    needs_insurance      TINYINT(1) NOT NULL DEFAULT 0,
    min_entries          INT NOT NULL DEFAULT 0,
    is_sensitive         TINYINT(1) NOT NULL DEFAULT 0,
    members_only         TINYINT(1) NOT NULL DEFAULT 0,
    women_only           TINYINT(1) NOT NULL DEFAULT 0,
    branches             TEXT NOT NULL,
    age_min              INT NOT NULL DEFAULT 0,
    age_max              INT NOT NULL DEFAULT 0,
    age_ref_date         DATE NULL,
    publish_chats        TEXT NOT NULL,
    notify_all           TINYINT(1) NOT NULL DEFAULT 0,
    status               VARCHAR(16) NOT NULL,
    version              INT NOT NULL DEFAULT 1,
    lottery_seed         BIGINT NOT NULL DEFAULT 0,
    lottery_drawn_at     DATETIME(6) NULL,
    checkin_opened_at    DATETIME(6) NULL,
    confirmed_count      INT NOT NULL DEFAULT 0,
    waitlist_seq         INT NOT NULL DEFAULT 0,
    created_by           BIGINT NOT NULL DEFAULT 0,
    created_at           DATETIME(6) NOT NULL,
    updated_at           DATETIME(6) NOT NULL,
    KEY activities_status (status, signup_closes_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE activity_items (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    activity_id      BIGINT NOT NULL,
    name             VARCHAR(64) NOT NULL,
    capacity         INT NOT NULL DEFAULT 0,
    gender           VARCHAR(8) NOT NULL DEFAULT '',
    team_min         INT NOT NULL DEFAULT 0,
    team_max         INT NOT NULL DEFAULT 0,
    min_women        INT NOT NULL DEFAULT 0,
    position         INT NOT NULL DEFAULT 0,
    confirmed_count  INT NOT NULL DEFAULT 0,
    waitlist_seq     INT NOT NULL DEFAULT 0,
    UNIQUE KEY activity_items_name (activity_id, name),
    CONSTRAINT activity_items_activity_fk FOREIGN KEY (activity_id) REFERENCES activities(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE signup_teams (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    activity_id  BIGINT NOT NULL,
    item_id      BIGINT NOT NULL DEFAULT 0,
    branch_id    BIGINT NOT NULL DEFAULT 0,
    name         VARCHAR(64) NOT NULL,
    captain_id   BIGINT NOT NULL,
    status       VARCHAR(32) NOT NULL,
    position     INT NOT NULL DEFAULT 0,
    live_name    VARCHAR(64) NULL,
    created_at   DATETIME(6) NOT NULL,
    updated_at   DATETIME(6) NOT NULL,
    UNIQUE KEY signup_teams_name (activity_id, item_id, live_name),
    CONSTRAINT signup_teams_activity_fk FOREIGN KEY (activity_id) REFERENCES activities(id),
    CONSTRAINT signup_teams_captain_fk FOREIGN KEY (captain_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE signup_entries (
    id             BIGINT AUTO_INCREMENT PRIMARY KEY,
    activity_id    BIGINT NOT NULL,
    item_id        BIGINT NOT NULL DEFAULT 0,
    member_id      BIGINT NOT NULL,
    branch_id      BIGINT NOT NULL DEFAULT 0,
    team_id        BIGINT NOT NULL DEFAULT 0,
    role           VARCHAR(16) NOT NULL DEFAULT 'individual',
    status         VARCHAR(32) NOT NULL,
    position       INT NOT NULL DEFAULT 0,
    lottery_rank   INT NOT NULL DEFAULT 0,
    live_member    BIGINT NULL,
    id_cipher      VARCHAR(255) NOT NULL DEFAULT '',
    id_masked      VARCHAR(32) NOT NULL DEFAULT '',
    created_by     BIGINT NOT NULL DEFAULT 0,
    created_at     DATETIME(6) NOT NULL,
    updated_at     DATETIME(6) NOT NULL,
    checked_in_at  DATETIME(6) NULL,
    UNIQUE KEY signup_entries_live (activity_id, item_id, live_member),
    KEY signup_entries_member (member_id, activity_id),
    KEY signup_entries_status (activity_id, status, position),
    KEY signup_entries_team (team_id),
    -- No foreign key to activities: InnoDB would take a shared lock on the activity row for
    -- every inserted entry, and a sign-up inserts its entry before it updates that row's
    -- counters (to keep the exclusive lock short): the shared-then-exclusive pattern deadlocks
    -- under concurrency. The store writes entries only for activities it has just read.
    CONSTRAINT signup_entries_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE signup_invites (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    team_id     BIGINT NOT NULL,
    member_id   BIGINT NOT NULL,
    status      VARCHAR(16) NOT NULL,
    invited_by  BIGINT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    decided_at  DATETIME(6) NULL,
    UNIQUE KEY signup_invites_member (team_id, member_id),
    CONSTRAINT signup_invites_team_fk FOREIGN KEY (team_id) REFERENCES signup_teams(id),
    CONSTRAINT signup_invites_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE signup_branch_counts (
    activity_id  BIGINT NOT NULL,
    item_id      BIGINT NOT NULL,
    branch_id    BIGINT NOT NULL,
    live_count   INT NOT NULL DEFAULT 0,
    PRIMARY KEY (activity_id, item_id, branch_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE signup_branch_counts;
DROP TABLE signup_invites;
DROP TABLE signup_entries;
DROP TABLE signup_teams;
DROP TABLE activity_items;
DROP TABLE activities;
ALTER TABLE members DROP COLUMN birth_date;
