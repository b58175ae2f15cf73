-- +goose Up
-- Privacy across the bot (issue 14): the read audit and the members' consents.

-- Every view of a sensitive record (a card opened, a file sent, an export), written before
-- the record is shown (store.Tx.Reveal). viewer is an open_id or "cli:<os user>"; owner_id is
-- the member the record is about, so they can see who viewed it; what is a short code
-- ("card", "file", "export"), never the content.
CREATE TABLE read_audit (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    at          DATETIME(6) NOT NULL,
    viewer      VARCHAR(191) NOT NULL,
    viewer_id   BIGINT NOT NULL DEFAULT 0,
    owner_id    BIGINT NOT NULL DEFAULT 0,
    entity      VARCHAR(64) NOT NULL,
    entity_id   BIGINT NOT NULL,
    what        VARCHAR(64) NOT NULL,
    KEY read_audit_entity (entity, entity_id),
    KEY read_audit_owner (owner_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A member's consent to a purpose ("aid", "legal", "aid_publicity"): one row per acceptance,
-- of the version of the text they accepted; withdrawn_at ends it.
CREATE TABLE consents (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    member_id     BIGINT NOT NULL,
    purpose       VARCHAR(32) NOT NULL,
    version       INT NOT NULL,
    accepted_at   DATETIME(6) NOT NULL,
    withdrawn_at  DATETIME(6) NULL,
    KEY consents_member (member_id, purpose)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE consents;
DROP TABLE read_audit;
