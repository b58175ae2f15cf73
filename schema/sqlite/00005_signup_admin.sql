-- +goose Up
-- Sign-up publishing and reminders (issue 3, the admin side): the group-chat messages an
-- activity's sign-up card was posted as (to patch them as seats fill), and the members who
-- turned off sign-up reminders.

-- One row per group chat an activity was published to. outbox_id is the queued send; the
-- message_id is copied from it once the outbox has delivered it (sent outbox rows are pruned
-- after 30 days; Feishu lets a card be patched for 14).
CREATE TABLE activity_publications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id  INTEGER NOT NULL,
    chat_id      TEXT NOT NULL,
    outbox_id    TEXT NOT NULL,
    message_id   TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    UNIQUE (activity_id, chat_id)
);

-- Members who do not want "sign-up closes soon" reminders (退订活动提醒).
CREATE TABLE signup_reminder_optouts (
    member_id   INTEGER PRIMARY KEY,
    created_at  DATETIME NOT NULL
);

-- +goose Down
DROP TABLE signup_reminder_optouts;
DROP TABLE activity_publications;
