-- +goose Up
-- Sign-up publishing and reminders (issue 3, the admin side): the group-chat messages an
-- activity's sign-up card was posted as (to patch them as seats fill), and the members who
-- turned off sign-up reminders.

-- One row per group chat an activity was published to. outbox_id is the queued send; the
-- message_id is copied from it once the outbox has delivered it (sent outbox rows are pruned
-- after 30 days; Feishu lets a card be patched for 14).
CREATE TABLE activity_publications (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    activity_id  BIGINT NOT NULL,
    chat_id      VARCHAR(191) NOT NULL,
    outbox_id    VARCHAR(36) NOT NULL,
    message_id   VARCHAR(191) NOT NULL DEFAULT '',
    created_at   DATETIME(6) NOT NULL,
    UNIQUE KEY activity_publications_chat (activity_id, chat_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Members who do not want "sign-up closes soon" reminders (退订活动提醒).
CREATE TABLE signup_reminder_optouts (
    member_id   BIGINT NOT NULL PRIMARY KEY,
    created_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE signup_reminder_optouts;
DROP TABLE activity_publications;
