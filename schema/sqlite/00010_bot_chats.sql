-- +goose Up
-- The group chats the bot is in, as Feishu told it (im.chat.member.bot.added_v1 adds a row,
-- im.chat.member.bot.deleted_v1 and im.chat.disbanded_v1 remove it).
CREATE TABLE bot_chats (
    chat_id   TEXT NOT NULL PRIMARY KEY,
    name      TEXT NOT NULL DEFAULT '',
    added_by  TEXT NOT NULL DEFAULT '',
    added_at  DATETIME NOT NULL
);

-- +goose Down
DROP TABLE bot_chats;
