package schema_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/unionbot/unionbot/schema"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestLiveCardsMigration: the sign-up publications of a database made before live cards
// become live cards of kind "activity", delivered ones with their message and a send time, and
// the migration goes back down to the publications.
func TestLiveCardsMigration(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "old.db")
			gd := goose.DialectSQLite3
			if dialect == store.MySQL {
				dsn, gd = storetest.CreateMySQLDatabase(t), goose.DialectMySQL
			}
			db, err := store.Open(ctx, dialect, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			fsys, err := schema.Files(dialect)
			if err != nil {
				t.Fatal(err)
			}
			p, err := goose.NewProvider(gd, db.SQL(), fsys, goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 5); err != nil {
				t.Fatal(err)
			}
			at := time.Date(2024, 4, 1, 2, 0, 0, 0, time.UTC)
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO activity_publications (activity_id, chat_id, outbox_id, message_id, created_at)
				VALUES (7, 'oc_a', 'ob-1', 'om_1', ?), (7, 'oc_b', 'ob-2', '', ?)`, at, at); err != nil {
				t.Fatal(err)
			}
			if _, err := schema.Migrate(ctx, db.SQL(), dialect); err != nil {
				t.Fatal(err)
			}
			db.Now = func() time.Time { return at.Add(time.Hour) }
			var cards []store.LiveCard
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				cards, err = tx.LiveCards(ctx, "activity", 7, false)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if len(cards) != 2 || cards[0].ChatID != "oc_a" || cards[0].MessageID != "om_1" || cards[0].OutboxID != "ob-1" ||
				cards[0].SentAt == nil || !cards[0].SentAt.Equal(at) || cards[0].Content != "" ||
				cards[1].ChatID != "oc_b" || cards[1].MessageID != "" || cards[1].SentAt != nil {
				t.Fatalf("live cards after the migration: %+v", cards)
			}
			if _, err := p.DownTo(ctx, 5); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM activity_publications WHERE activity_id = 7 AND message_id = 'om_1'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("publications after going down: %d, %v", n, err)
			}
		})
	}
}
