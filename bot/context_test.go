package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
	"github.com/unionbot/unionbot/store/storetest"
)

func TestContextValues(t *testing.T) {
	c := &Context{Value: map[string]any{
		"float": float64(42), "fraction": 1.5, "number": json.Number("7"), "int": 3, "int64": int64(1) << 40,
		"string": "12", "word": "abc", "yes": true, "one": float64(1), "zero": float64(0),
	}}
	for _, tc := range []struct {
		key  string
		want int64
		ok   bool
	}{
		{"float", 42, true}, {"fraction", 1, false}, {"number", 7, true}, {"int", 3, true},
		{"int64", 1 << 40, true}, {"string", 12, true}, {"word", 0, false}, {"missing", 0, false},
	} {
		if n, ok := c.IntOK(tc.key); n != tc.want || ok != tc.ok {
			t.Errorf("IntOK(%q) = %d, %v; want %d, %v", tc.key, n, ok, tc.want, tc.ok)
		}
		if tc.ok && c.Int(tc.key) != tc.want {
			t.Errorf("Int(%q) = %d, want %d", tc.key, c.Int(tc.key), tc.want)
		}
	}
	if !c.Bool("yes") || !c.Bool("one") || c.Bool("zero") || c.Bool("missing") || c.Bool("string") {
		t.Error("Bool: want true for true and 1, false otherwise")
	}
	if c.String("word") != "abc" || c.String("float") != "" {
		t.Error("String: want the string field, or empty for a non-string")
	}
}

func TestRefusal(t *testing.T) {
	c := &Context{}
	resp, err := c.Refusal(store.Errorf(store.ENOTFOUND, "找不到「%s」。", "羽毛球"))
	if err != nil || resp == nil || resp.Toast.Type != "warning" || resp.Toast.Text != "找不到「羽毛球」。" || resp.Reply == nil {
		t.Errorf("a store error with a message: %+v, %v; want a warning saying why and a nil error", resp, err)
	}
	failure := errors.New("disk on fire")
	if resp, err := c.Refusal(failure); resp != nil || err != failure {
		t.Errorf("a failure: %+v, %v; want the error as is", resp, err)
	}
	internal := &store.Error{Code: store.EINTERNAL, Message: "不该显示", Err: failure}
	if resp, err := c.Refusal(internal); resp != nil || err != internal {
		t.Errorf("an internal error: %+v, %v; want the error as is", resp, err)
	}
	// After a write the refusal goes through the error, so that the router rolls it back.
	db := storetest.Open(t, store.SQLite)
	tx, err := db.BeginTx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.Audit(context.Background(), "test", "refusal", "1", "write", ""); err != nil {
		t.Fatal(err)
	}
	wrote := &Context{Tx: tx}
	conflict := store.Errorf(store.ECONFLICT, "已经报名了")
	if resp, err := wrote.Refusal(conflict); resp != nil || err != conflict {
		t.Errorf("a refusal after a write: %+v, %v; want the error, to roll the write back", resp, err)
	}
}

// TestSensitiveNeverToChat: a card marked sensitive becomes sensitive content, which is
// queued sealed 1:1 (SendTo, a reply in a 1:1 chat) and refused to a chat (SendChat, a reply
// in a group) and as a patch, with nothing queued.
func TestSensitiveNeverToChat(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	ring, err := secret.NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte{7}, secret.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	db.SetKeyring(ring)
	cd := card.New("帮扶申请").Add(card.Markdown("诊断：胃癌晚期")).Sensitive("你有一条帮扶申请消息")
	msg, err := Card(cd)
	if err != nil || !msg.Sensitive {
		t.Fatalf("Card of a sensitive card: %+v %v", msg, err)
	}
	if plain, _ := Card(card.New("菜单").Add(card.Markdown("报名"))); plain.Sensitive {
		t.Error("an ordinary card is sensitive")
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	group := &Context{Ctx: ctx, Tx: tx, Kind: KindMessage, ChatType: "group", MessageID: "om_group"}
	if err := group.SendChat("oc_group", msg); !errors.Is(err, ErrSensitiveToChat) {
		t.Errorf("SendChat: %v", err)
	}
	if err := group.Reply(msg); !errors.Is(err, ErrSensitiveToChat) {
		t.Errorf("a reply in a group: %v", err)
	}
	if err := group.Patch("om_card", cd); !errors.Is(err, ErrSensitiveToChat) {
		t.Errorf("Patch: %v", err)
	}
	if err := group.SendTo("ou_member", msg); err != nil {
		t.Errorf("SendTo: %v", err)
	}
	p2p := &Context{Ctx: ctx, Tx: tx, Kind: KindMessage, ChatType: "p2p", MessageID: "om_p2p"}
	if err := p2p.Reply(msg); err != nil {
		t.Errorf("a reply 1:1: %v", err)
	}
	var rows []struct {
		Content string `db:"content"`
		Sealed  bool   `db:"sealed"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT content, sealed FROM outbox ORDER BY created_at`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d messages queued, want the 1:1 two", len(rows))
	}
	for _, r := range rows {
		if !r.Sealed || strings.Contains(r.Content, "胃癌") {
			t.Errorf("queued readable: sealed %v %.40q", r.Sealed, r.Content)
		}
	}
}
