-- +goose Up
-- Legal aid (法律援助, issue 14): a member's intake, seen only by the member, the legal-aid
-- officers and the lawyers (every view in read_audit), and appointments with the duty lawyer.
-- facts and other_party are sealed (store/secret, bound to the row). limit_date is the labour
-- arbitration limit (the dispute date plus one year), a DATE in the union's time zone.
CREATE TABLE legal_cases (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    member_id     BIGINT NOT NULL,
    status        VARCHAR(16) NOT NULL,
    category      VARCHAR(32) NOT NULL,
    urgent        TINYINT(1) NOT NULL DEFAULT 0,
    facts         MEDIUMTEXT NOT NULL,
    other_party   TEXT NOT NULL,
    conflict      TINYINT(1) NOT NULL DEFAULT 0,
    dispute_date  DATE NOT NULL,
    limit_date    DATE NOT NULL,
    close_note    TEXT NOT NULL,
    version       INT NOT NULL DEFAULT 1,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL,
    closed_at     DATETIME(6) NULL,
    materials_purged_at DATETIME(6) NULL,
    KEY legal_cases_member (member_id),
    KEY legal_cases_status (status, closed_at),
    CONSTRAINT legal_cases_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An appointment with the duty lawyer in a configured slot. live_slot is starts_at while the
-- appointment stands and NULL once cancelled, so a slot is booked once (unique); live_case
-- likewise gives a case one standing appointment.
CREATE TABLE legal_bookings (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    case_id       BIGINT NOT NULL,
    starts_at     DATETIME(6) NOT NULL,
    ends_at       DATETIME(6) NOT NULL,
    status        VARCHAR(16) NOT NULL,
    live_slot     DATETIME(6) NULL,
    live_case     BIGINT NULL,
    created_at    DATETIME(6) NOT NULL,
    cancelled_at  DATETIME(6) NULL,
    UNIQUE KEY legal_bookings_slot (live_slot),
    UNIQUE KEY legal_bookings_case_live (live_case),
    KEY legal_bookings_case (case_id),
    KEY legal_bookings_starts (starts_at),
    CONSTRAINT legal_bookings_case_fk FOREIGN KEY (case_id) REFERENCES legal_cases(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE legal_bookings;
DROP TABLE legal_cases;
