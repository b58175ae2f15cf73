-- +goose Up
-- Staff-congress proposals (教代会提案, issue 13): the congress sessions that collect them, the
-- departments (承办单位) that answer them with their contact persons, the proposals, their
-- co-signers (附议), their assignment to departments (交办) and their ratings (评价). Every
-- transition of a proposal is in audit_log (entity "proposal"). Instants are DATETIME in UTC;
-- calendar dates are DATE strings "2006-01-02" in the union's time zone.

-- A congress session (届次). code prefixes the 立案编号 ("4-3" gives 4-3-001).
CREATE TABLE proposal_sessions (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    name                  TEXT NOT NULL UNIQUE,
    code                  TEXT NOT NULL UNIQUE,
    opens_at              DATETIME NOT NULL,
    closes_at             DATETIME NOT NULL,
    congress_date         DATE NOT NULL,
    min_cosigners         INTEGER NOT NULL DEFAULT 2,
    categories            TEXT NOT NULL,
    reply_workdays        INTEGER NOT NULL DEFAULT 30,
    rating_workdays       INTEGER NOT NULL DEFAULT 15,
    cosigners_rate        INTEGER NOT NULL DEFAULT 0,
    public_after_register INTEGER NOT NULL DEFAULT 0,
    late_as_suggestion    INTEGER NOT NULL DEFAULT 1,
    created_by            TEXT NOT NULL,
    created_at            DATETIME NOT NULL
);

-- A department that answers proposals, with the 分管校领导 (a member) escalations go to.
CREATE TABLE departments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL UNIQUE,
    leader_member_id INTEGER REFERENCES members(id),
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL
);

-- A department's contact persons (承办联系人): they act for that department only.
CREATE TABLE department_contacts (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    PRIMARY KEY (department_id, member_id)
);
CREATE INDEX department_contacts_member ON department_contacts(member_id);

-- A proposal. state is one of store's Proposal* states; seq and number (立案编号) are set at
-- 立案, unique and in order per session. phone is sealed (store/secret). kind is "proposal"
-- or "suggestion" (意见建议: converted by the committee, or late); late marks one filed after
-- the collection closed.
CREATE TABLE proposals (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id            INTEGER NOT NULL REFERENCES proposal_sessions(id),
    proposer_id           INTEGER NOT NULL REFERENCES members(id),
    kind                  TEXT NOT NULL DEFAULT 'proposal',
    late                  INTEGER NOT NULL DEFAULT 0,
    state                 TEXT NOT NULL DEFAULT 'draft',
    title                 TEXT NOT NULL,
    category              TEXT NOT NULL DEFAULT '',
    reason                TEXT NOT NULL DEFAULT '',
    suggestion            TEXT NOT NULL DEFAULT '',
    suggested_departments TEXT NOT NULL DEFAULT '',
    phone                 TEXT NOT NULL DEFAULT '',
    seq                   INTEGER,
    number                TEXT,
    merged_into_id        INTEGER REFERENCES proposals(id),
    decision              TEXT NOT NULL DEFAULT '',
    decision_note         TEXT NOT NULL DEFAULT '',
    round                 INTEGER NOT NULL DEFAULT 1,
    assigned_at           DATETIME,
    reply_due             DATE,
    reply_class           TEXT NOT NULL DEFAULT '',
    reply_text            TEXT NOT NULL DEFAULT '',
    replied_at            DATETIME,
    submitted_at          DATETIME,
    closed_at             DATETIME,
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    UNIQUE (session_id, seq)
);
CREATE INDEX proposals_session ON proposals(session_id, state);
CREATE INDEX proposals_proposer ON proposals(proposer_id);

-- 附议: each invitee's own answer (invited, agreed, declined, withdrawn).
CREATE TABLE proposal_cosigners (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    status      TEXT NOT NULL DEFAULT 'invited',
    invited_at  DATETIME NOT NULL,
    answered_at DATETIME,
    PRIMARY KEY (proposal_id, member_id)
);
CREATE INDEX proposal_cosigners_member ON proposal_cosigners(member_id);

-- 交办: one host (主办) and any helpers (协办) per proposal.
CREATE TABLE proposal_departments (
    proposal_id   INTEGER NOT NULL REFERENCES proposals(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    role          TEXT NOT NULL,
    assigned_at   DATETIME NOT NULL,
    PRIMARY KEY (proposal_id, department_id)
);
CREATE INDEX proposal_departments_department ON proposal_departments(department_id);

-- 评价: one rating per rater and round.
CREATE TABLE proposal_ratings (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    round       INTEGER NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    rating      TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (proposal_id, round, member_id)
);

-- +goose Down
DROP TABLE proposal_ratings;
DROP TABLE proposal_departments;
DROP TABLE proposal_cosigners;
DROP TABLE proposals;
DROP TABLE department_contacts;
DROP TABLE departments;
DROP TABLE proposal_sessions;
