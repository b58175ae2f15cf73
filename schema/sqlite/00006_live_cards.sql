-- +goose Up
-- Live cards (issue 11): one mechanism for every entity whose card is posted to chats and kept
-- current (sign-up activities first; proposals and aid cases next).

-- One row per chat an entity's card was posted to. kind names the entity's flow ("activity"),
-- outbox_id is the queued send; message_id and sent_at are copied from it once the outbox has
-- delivered it. content is what the card was last queued to show (the send, or the newest
-- patch): a refresh queues a patch only when the entity renders differently. Feishu lets a
-- message be updated for 14 days after sent_at; after that the card is posted afresh (a new
-- outbox_id, the message forgotten).
CREATE TABLE live_cards (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    chat_id     TEXT NOT NULL,
    outbox_id   TEXT NOT NULL,
    message_id  TEXT NOT NULL DEFAULT '',
    content     TEXT NOT NULL DEFAULT '',
    sent_at     DATETIME NULL,
    created_at  DATETIME NOT NULL,
    UNIQUE (kind, entity_id, chat_id)
);
CREATE INDEX live_cards_message ON live_cards(message_id);

-- The sign-up publications become live cards of kind "activity". Their last content is not
-- known: '' differs from any rendering, so the next refresh (or the sign-up job's repair)
-- patches them once. A delivered card's send time is taken as its publication's creation.
INSERT INTO live_cards (kind, entity_id, chat_id, outbox_id, message_id, content, sent_at, created_at)
    SELECT 'activity', activity_id, chat_id, outbox_id, message_id, '',
        CASE WHEN message_id <> '' THEN created_at END, created_at
    FROM activity_publications;
DROP TABLE activity_publications;

-- The pace of updates to one message, shared by every replica: Feishu takes at most 5 a
-- second. The outbox claims a patch only when not_before has passed, and moves not_before to
-- the claim's lease end (one patch in flight) and, when the patch is finished, a little after.
CREATE TABLE message_pace (
    message_id  TEXT NOT NULL PRIMARY KEY,
    not_before  DATETIME NOT NULL
);

-- A message's waiting patch is found by its target.
CREATE INDEX outbox_target ON outbox(target_message_id);

-- +goose Down
DROP INDEX outbox_target;
DROP TABLE message_pace;
CREATE TABLE activity_publications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id  INTEGER NOT NULL,
    chat_id      TEXT NOT NULL,
    outbox_id    TEXT NOT NULL,
    message_id   TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    UNIQUE (activity_id, chat_id)
);
INSERT INTO activity_publications (activity_id, chat_id, outbox_id, message_id, created_at)
    SELECT entity_id, chat_id, outbox_id, message_id, created_at FROM live_cards WHERE kind = 'activity';
DROP TABLE live_cards;
