-- +goose Up
-- Legal aid (法律援助, issue 14): a member's intake, seen only by the member, the legal-aid
-- officers and the lawyers (every view in read_audit), and appointments with the duty lawyer.
-- facts and other_party are sealed (store/secret, bound to the row). limit_date is the labour
-- arbitration limit (the dispute date plus one year), a DATE in the union's time zone.
CREATE TABLE legal_cases (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id     INTEGER NOT NULL REFERENCES members(id),
    status        TEXT NOT NULL,
    category      TEXT NOT NULL,
    urgent        INTEGER NOT NULL DEFAULT 0,
    facts         TEXT NOT NULL DEFAULT '',
    other_party   TEXT NOT NULL DEFAULT '',
    conflict      INTEGER NOT NULL DEFAULT 0,
    dispute_date  DATE NOT NULL,
    limit_date    DATE NOT NULL,
    close_note    TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    closed_at     DATETIME NULL,
    materials_purged_at DATETIME NULL
);
CREATE INDEX legal_cases_member ON legal_cases(member_id);
CREATE INDEX legal_cases_status ON legal_cases(status, closed_at);

-- An appointment with the duty lawyer in a configured slot. live_slot is starts_at while the
-- appointment stands and NULL once cancelled, so a slot is booked once (unique); live_case
-- likewise gives a case one standing appointment.
CREATE TABLE legal_bookings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES legal_cases(id),
    starts_at     DATETIME NOT NULL,
    ends_at       DATETIME NOT NULL,
    status        TEXT NOT NULL,
    live_slot     DATETIME NULL UNIQUE,
    live_case     INTEGER NULL UNIQUE,
    created_at    DATETIME NOT NULL,
    cancelled_at  DATETIME NULL
);
CREATE INDEX legal_bookings_case ON legal_bookings(case_id);
CREATE INDEX legal_bookings_starts ON legal_bookings(starts_at);

-- +goose Down
DROP TABLE legal_bookings;
DROP TABLE legal_cases;
