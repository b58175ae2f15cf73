-- +goose Up
-- Privacy across the bot (issue 14): the read audit and the members' consents.

-- Every view of a sensitive record (a card opened, a file sent, an export), written before
-- the record is shown (store.Tx.Reveal). viewer is an open_id or "cli:<os user>"; owner_id is
-- the member the record is about, so they can see who viewed it; what is a short code
-- ("card", "file", "export"), never the content.
CREATE TABLE read_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          DATETIME NOT NULL,
    viewer      TEXT NOT NULL,
    viewer_id   INTEGER NOT NULL DEFAULT 0,
    owner_id    INTEGER NOT NULL DEFAULT 0,
    entity      TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    what        TEXT NOT NULL
);
CREATE INDEX read_audit_entity ON read_audit(entity, entity_id);
CREATE INDEX read_audit_owner ON read_audit(owner_id);

-- A member's consent to a purpose ("aid", "legal", "aid_publicity"): one row per acceptance,
-- of the version of the text they accepted; withdrawn_at ends it.
CREATE TABLE consents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id     INTEGER NOT NULL,
    purpose       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    accepted_at   DATETIME NOT NULL,
    withdrawn_at  DATETIME NULL
);
CREATE INDEX consents_member ON consents(member_id, purpose);

-- +goose Down
DROP TABLE consents;
DROP TABLE read_audit;
