-- +goose Up
-- The group chats the bot is in, as Feishu told it (im.chat.member.bot.added_v1 adds a row,
-- im.chat.member.bot.deleted_v1 and im.chat.disbanded_v1 remove it).
CREATE TABLE bot_chats (
    chat_id   VARCHAR(191) NOT NULL PRIMARY KEY,
    name      VARCHAR(255) NOT NULL DEFAULT '',
    added_by  VARCHAR(191) NOT NULL DEFAULT '',
    added_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE bot_chats;
