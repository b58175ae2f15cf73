-- +goose Up
-- Aid requests (帮扶申请, issue 14): the cases, their materials (sealed, in the database),
-- the yearly enrolment in the mutual-aid fund (大病互助), declared families, the one-per-family
-- claims and the objections to a 公示. Every transition of a case is in audit_log (entity
-- "aid_case"), and every view of one too (entity "aid_read"): neither holds sensitive text.
-- Instants are DATETIME(6) in UTC; calendar dates are CHAR(10) "2006-01-02" in the union's
-- time zone. Amounts are integers in fen (分).

-- A case. details and reason are sealed (store/secret, bound to the case's row). state is
-- one of store's Aid* states; returned_from is the review step that asked for more
-- information. ledger_year is the calendar year the approved amount counts in.
CREATE TABLE aid_cases (
    id              BIGINT AUTO_INCREMENT PRIMARY KEY,
    member_id       BIGINT NOT NULL,
    branch_id       BIGINT NULL,
    kind            VARCHAR(32) NOT NULL,
    state           VARCHAR(16) NOT NULL DEFAULT 'draft',
    returned_from   VARCHAR(16) NOT NULL DEFAULT '',
    opened_by       BIGINT NOT NULL,
    emergency       TINYINT NOT NULL DEFAULT 0,
    details         MEDIUMTEXT NOT NULL,
    reason          TEXT NOT NULL,
    self_paid_fen   BIGINT NOT NULL DEFAULT 0,
    requested_fen   BIGINT NOT NULL DEFAULT 0,
    approved_fen    BIGINT NOT NULL DEFAULT 0,
    ledger_year     INT NOT NULL DEFAULT 0,
    ledger_month    INT NOT NULL DEFAULT 0,
    publicity       TINYINT NOT NULL DEFAULT 0,
    publicity_until VARCHAR(10) NOT NULL DEFAULT '',
    paid_on         VARCHAR(10) NOT NULL DEFAULT '',
    voucher         VARCHAR(64) NOT NULL DEFAULT '',
    version         INT NOT NULL DEFAULT 1,
    created_at      DATETIME(6) NOT NULL,
    submitted_at    DATETIME(6) NULL,
    approved_at     DATETIME(6) NULL,
    closed_at       DATETIME(6) NULL,
    updated_at      DATETIME(6) NOT NULL,
    KEY aid_cases_member (member_id, kind, ledger_year),
    KEY aid_cases_state (state),
    CONSTRAINT aid_cases_member_fk FOREIGN KEY (member_id) REFERENCES members(id),
    CONSTRAINT aid_cases_branch_fk FOREIGN KEY (branch_id) REFERENCES branches(id),
    CONSTRAINT aid_cases_opened_by_fk FOREIGN KEY (opened_by) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A material: a photo or file the applicant sent into the 1:1 chat while the case was open
-- for it. name and data are sealed; status is pending (not fetched yet), stored or refused.
CREATE TABLE aid_materials (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    case_id     BIGINT NOT NULL,
    message_id  VARCHAR(128) NOT NULL,
    file_key    VARCHAR(191) NOT NULL,
    res_type    VARCHAR(8) NOT NULL,
    name        TEXT NOT NULL,
    ext         VARCHAR(16) NOT NULL DEFAULT '',
    size        BIGINT NOT NULL DEFAULT 0,
    data        LONGTEXT NOT NULL,
    status      VARCHAR(16) NOT NULL DEFAULT 'pending',
    note        VARCHAR(191) NOT NULL DEFAULT '',
    created_at  DATETIME(6) NOT NULL,
    fetched_at  DATETIME(6) NULL,
    UNIQUE KEY aid_materials_message (message_id, file_key),
    KEY aid_materials_case (case_id),
    KEY aid_materials_status (status),
    CONSTRAINT aid_materials_case_fk FOREIGN KEY (case_id) REFERENCES aid_cases(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Enrolment in the mutual-aid fund (大病互助) for a calendar year.
CREATE TABLE aid_enrolments (
    year        INT NOT NULL,
    member_id   BIGINT NOT NULL,
    fee_fen     BIGINT NOT NULL,
    enrolled_by VARCHAR(191) NOT NULL,
    enrolled_at DATETIME(6) NOT NULL,
    PRIMARY KEY (year, member_id),
    CONSTRAINT aid_enrolments_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Members declared as one family (一户): the same family key.
CREATE TABLE aid_families (
    member_id   BIGINT NOT NULL PRIMARY KEY,
    family      VARCHAR(64) NOT NULL,
    declared_by VARCHAR(191) NOT NULL,
    declared_at DATETIME(6) NOT NULL,
    KEY aid_families_family (family),
    CONSTRAINT aid_families_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One case a year per family and kind, for kinds with one_per_family: the key makes a
-- second application (by the member or anyone of their family) fail, whatever the race.
CREATE TABLE aid_family_claims (
    family   VARCHAR(80) NOT NULL,
    kind     VARCHAR(32) NOT NULL,
    year     INT NOT NULL,
    case_id  BIGINT NOT NULL,
    PRIMARY KEY (family, kind, year),
    CONSTRAINT aid_family_claims_case_fk FOREIGN KEY (case_id) REFERENCES aid_cases(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An objection to a 公示, taken by name (实名), once per member and case.
CREATE TABLE aid_objections (
    case_id    BIGINT NOT NULL,
    member_id  BIGINT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (case_id, member_id),
    CONSTRAINT aid_objections_case_fk FOREIGN KEY (case_id) REFERENCES aid_cases(id),
    CONSTRAINT aid_objections_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE aid_objections;
DROP TABLE aid_family_claims;
DROP TABLE aid_families;
DROP TABLE aid_enrolments;
DROP TABLE aid_materials;
DROP TABLE aid_cases;
