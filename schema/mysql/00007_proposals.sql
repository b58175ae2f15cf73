-- +goose Up
-- Staff-congress proposals (教代会提案, issue 13): the congress sessions that collect them, the
-- departments (承办单位) that answer them with their contact persons, the proposals, their
-- co-signers (附议), their assignment to departments (交办) and their ratings (评价). Every
-- transition of a proposal is in audit_log (entity "proposal"). Instants are DATETIME(6) in
-- UTC; calendar dates are DATE in the union's time zone.

-- A congress session (届次). code prefixes the 立案编号 ("4-3" gives 4-3-001).
CREATE TABLE proposal_sessions (
    id                    BIGINT AUTO_INCREMENT PRIMARY KEY,
    name                  VARCHAR(191) NOT NULL,
    code                  VARCHAR(64) NOT NULL,
    opens_at              DATETIME(6) NOT NULL,
    closes_at             DATETIME(6) NOT NULL,
    congress_date         DATE NOT NULL,
    min_cosigners         INT NOT NULL DEFAULT 2,
    categories            TEXT NOT NULL,
    reply_workdays        INT NOT NULL DEFAULT 30,
    rating_workdays       INT NOT NULL DEFAULT 15,
    cosigners_rate        TINYINT NOT NULL DEFAULT 0,
    public_after_register TINYINT NOT NULL DEFAULT 0,
    late_as_suggestion    TINYINT NOT NULL DEFAULT 1,
    created_by            VARCHAR(191) NOT NULL,
    created_at            DATETIME(6) NOT NULL,
    UNIQUE KEY proposal_sessions_name (name),
    UNIQUE KEY proposal_sessions_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A department that answers proposals, with the 分管校领导 (a member) escalations go to.
CREATE TABLE departments (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    name             VARCHAR(191) NOT NULL,
    leader_member_id BIGINT NULL,
    created_at       DATETIME(6) NOT NULL,
    updated_at       DATETIME(6) NOT NULL,
    UNIQUE KEY departments_name (name),
    CONSTRAINT departments_leader_fk FOREIGN KEY (leader_member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A department's contact persons (承办联系人): they act for that department only.
CREATE TABLE department_contacts (
    department_id BIGINT NOT NULL,
    member_id     BIGINT NOT NULL,
    PRIMARY KEY (department_id, member_id),
    KEY department_contacts_member (member_id),
    CONSTRAINT department_contacts_department_fk FOREIGN KEY (department_id) REFERENCES departments(id),
    CONSTRAINT department_contacts_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A proposal. state is one of store's Proposal* states; seq and number (立案编号) are set at
-- 立案, unique and in order per session. phone is sealed (store/secret). kind is "proposal"
-- or "suggestion" (意见建议: converted by the committee, or late); late marks one filed after
-- the collection closed.
CREATE TABLE proposals (
    id                    BIGINT AUTO_INCREMENT PRIMARY KEY,
    session_id            BIGINT NOT NULL,
    proposer_id           BIGINT NOT NULL,
    kind                  VARCHAR(16) NOT NULL DEFAULT 'proposal',
    late                  TINYINT NOT NULL DEFAULT 0,
    state                 VARCHAR(16) NOT NULL DEFAULT 'draft',
    title                 VARCHAR(500) NOT NULL,
    category              VARCHAR(191) NOT NULL DEFAULT '',
    reason                TEXT NOT NULL,
    suggestion            TEXT NOT NULL,
    suggested_departments VARCHAR(1000) NOT NULL DEFAULT '',
    phone                 VARCHAR(500) NOT NULL DEFAULT '',
    seq                   INT NULL,
    number                VARCHAR(64) NULL,
    merged_into_id        BIGINT NULL,
    decision              VARCHAR(16) NOT NULL DEFAULT '',
    decision_note         TEXT NOT NULL,
    round                 INT NOT NULL DEFAULT 1,
    assigned_at           DATETIME(6) NULL,
    reply_due             DATE NULL,
    reply_class           VARCHAR(4) NOT NULL DEFAULT '',
    reply_text            TEXT NOT NULL,
    replied_at            DATETIME(6) NULL,
    submitted_at          DATETIME(6) NULL,
    closed_at             DATETIME(6) NULL,
    version               INT NOT NULL DEFAULT 1,
    created_at            DATETIME(6) NOT NULL,
    updated_at            DATETIME(6) NOT NULL,
    UNIQUE KEY proposals_session_seq (session_id, seq),
    KEY proposals_session (session_id, state),
    KEY proposals_proposer (proposer_id),
    CONSTRAINT proposals_session_fk FOREIGN KEY (session_id) REFERENCES proposal_sessions(id),
    CONSTRAINT proposals_proposer_fk FOREIGN KEY (proposer_id) REFERENCES members(id),
    CONSTRAINT proposals_merged_fk FOREIGN KEY (merged_into_id) REFERENCES proposals(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 附议: each invitee's own answer (invited, agreed, declined, withdrawn).
CREATE TABLE proposal_cosigners (
    proposal_id BIGINT NOT NULL,
    member_id   BIGINT NOT NULL,
    status      VARCHAR(16) NOT NULL DEFAULT 'invited',
    invited_at  DATETIME(6) NOT NULL,
    answered_at DATETIME(6) NULL,
    PRIMARY KEY (proposal_id, member_id),
    KEY proposal_cosigners_member (member_id),
    CONSTRAINT proposal_cosigners_proposal_fk FOREIGN KEY (proposal_id) REFERENCES proposals(id),
    CONSTRAINT proposal_cosigners_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 交办: one host (主办) and any helpers (协办) per proposal.
CREATE TABLE proposal_departments (
    proposal_id   BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    role          VARCHAR(16) NOT NULL,
    assigned_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (proposal_id, department_id),
    KEY proposal_departments_department (department_id),
    CONSTRAINT proposal_departments_proposal_fk FOREIGN KEY (proposal_id) REFERENCES proposals(id),
    CONSTRAINT proposal_departments_department_fk FOREIGN KEY (department_id) REFERENCES departments(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 评价: one rating per rater and round.
CREATE TABLE proposal_ratings (
    proposal_id BIGINT NOT NULL,
    round       INT NOT NULL,
    member_id   BIGINT NOT NULL,
    rating      VARCHAR(16) NOT NULL,
    comment     TEXT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (proposal_id, round, member_id),
    CONSTRAINT proposal_ratings_proposal_fk FOREIGN KEY (proposal_id) REFERENCES proposals(id),
    CONSTRAINT proposal_ratings_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE proposal_ratings;
DROP TABLE proposal_departments;
DROP TABLE proposal_cosigners;
DROP TABLE proposals;
DROP TABLE department_contacts;
DROP TABLE departments;
DROP TABLE proposal_sessions;
