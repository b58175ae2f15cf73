package store

import (
	"context"
	"time"
)

// BotChat is a group chat the bot is in.
type BotChat struct {
	ChatID  string    `db:"chat_id"`
	Name    string    `db:"name"`
	AddedBy string    `db:"added_by"` // the open_id of who added the bot
	AddedAt time.Time `db:"added_at"`
}

// AddBotChat remembers that the bot is in the group chat. It returns false when the chat was
// already known (nothing is written then).
func (tx *Tx) AddBotChat(ctx context.Context, chatID, name, addedBy string) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO bot_chats (chat_id, name, added_by, added_at) VALUES (?, ?, ?, ?)`,
		chatID, name, addedBy, tx.now)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.AddBotChat", Err: err}
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.AddBotChat", Err: err}
	}
	return n == 1, nil
}

// RemoveBotChat forgets a group chat the bot left (or that was disbanded). It returns false
// when the chat was not known.
func (tx *Tx) RemoveBotChat(ctx context.Context, chatID string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM bot_chats WHERE chat_id = ?`, chatID)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.RemoveBotChat", Err: err}
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.RemoveBotChat", Err: err}
	}
	return n == 1, nil
}

// BotChats lists the group chats the bot is in, oldest first.
func (db *DB) BotChats(ctx context.Context) ([]BotChat, error) {
	var out []BotChat
	if err := db.Select(ctx, &out, `SELECT chat_id, name, added_by, added_at FROM bot_chats ORDER BY added_at, chat_id`); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.BotChats", Err: err}
	}
	return out, nil
}
