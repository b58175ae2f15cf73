-- +goose Up
-- Aid requests (帮扶申请, issue 14): the cases, their materials (sealed, in the database),
-- the yearly enrolment in the mutual-aid fund (大病互助), declared families, the one-per-family
-- claims and the objections to a 公示. Every transition of a case is in audit_log (entity
-- "aid_case"), and every view of one too (entity "aid_read"): neither holds sensitive text.
-- Instants are DATETIME in UTC; calendar dates are TEXT "2006-01-02" in the union's time zone.
-- Amounts are integers in fen (分).

-- A case. details and reason are sealed (store/secret, bound to the case's row). state is
-- one of store's Aid* states; returned_from is the review step that asked for more
-- information. ledger_year is the calendar year the approved amount counts in.
CREATE TABLE aid_cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id       INTEGER NOT NULL REFERENCES members(id),
    branch_id       INTEGER REFERENCES branches(id),
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'draft',
    returned_from   TEXT NOT NULL DEFAULT '',
    opened_by       INTEGER NOT NULL REFERENCES members(id),
    emergency       INTEGER NOT NULL DEFAULT 0,
    details         TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    self_paid_fen   INTEGER NOT NULL DEFAULT 0,
    requested_fen   INTEGER NOT NULL DEFAULT 0,
    approved_fen    INTEGER NOT NULL DEFAULT 0,
    ledger_year     INTEGER NOT NULL DEFAULT 0,
    ledger_month    INTEGER NOT NULL DEFAULT 0,
    publicity       INTEGER NOT NULL DEFAULT 0,
    publicity_until TEXT NOT NULL DEFAULT '',
    paid_on         TEXT NOT NULL DEFAULT '',
    voucher         TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL,
    submitted_at    DATETIME,
    approved_at     DATETIME,
    closed_at       DATETIME,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX aid_cases_member ON aid_cases(member_id, kind, ledger_year);
CREATE INDEX aid_cases_state ON aid_cases(state);

-- A material: a photo or file the applicant sent into the 1:1 chat while the case was open
-- for it. name and data are sealed; status is pending (not fetched yet), stored or refused.
CREATE TABLE aid_materials (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES aid_cases(id),
    message_id  TEXT NOT NULL,
    file_key    TEXT NOT NULL,
    res_type    TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    ext         TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0,
    data        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'pending',
    note        TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    fetched_at  DATETIME,
    UNIQUE (message_id, file_key)
);
CREATE INDEX aid_materials_case ON aid_materials(case_id);
CREATE INDEX aid_materials_status ON aid_materials(status);

-- Enrolment in the mutual-aid fund (大病互助) for a calendar year.
CREATE TABLE aid_enrolments (
    year       INTEGER NOT NULL,
    member_id  INTEGER NOT NULL REFERENCES members(id),
    fee_fen    INTEGER NOT NULL,
    enrolled_by TEXT NOT NULL,
    enrolled_at DATETIME NOT NULL,
    PRIMARY KEY (year, member_id)
);

-- Members declared as one family (一户): the same family key.
CREATE TABLE aid_families (
    member_id  INTEGER PRIMARY KEY REFERENCES members(id),
    family     TEXT NOT NULL,
    declared_by TEXT NOT NULL,
    declared_at DATETIME NOT NULL
);
CREATE INDEX aid_families_family ON aid_families(family);

-- One case a year per family and kind, for kinds with one_per_family: the key makes a
-- second application (by the member or anyone of their family) fail, whatever the race.
CREATE TABLE aid_family_claims (
    family   TEXT NOT NULL,
    kind     TEXT NOT NULL,
    year     INTEGER NOT NULL,
    case_id  INTEGER NOT NULL REFERENCES aid_cases(id),
    PRIMARY KEY (family, kind, year)
);

-- An objection to a 公示, taken by name (实名), once per member and case.
CREATE TABLE aid_objections (
    case_id    INTEGER NOT NULL REFERENCES aid_cases(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    created_at DATETIME NOT NULL,
    PRIMARY KEY (case_id, member_id)
);

-- +goose Down
DROP TABLE aid_objections;
DROP TABLE aid_family_claims;
DROP TABLE aid_families;
DROP TABLE aid_enrolments;
DROP TABLE aid_materials;
DROP TABLE aid_cases;
