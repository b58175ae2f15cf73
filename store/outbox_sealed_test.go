package store_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
	"github.com/unionbot/unionbot/store/storetest"
)

// rawOutbox is a message's content and file bytes as stored.
func rawOutbox(t *testing.T, db *store.DB, id string) (content string, data []byte) {
	t.Helper()
	var row struct {
		Content string `db:"content"`
		Data    []byte `db:"file_data"`
	}
	if err := db.Get(ctx, &row, `SELECT content, file_data FROM outbox WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return row.Content, row.Data
}

// TestOutboxSealed: a sensitive message is stored sealed (neither its content nor its file
// holds the plaintext), the claim hands the worker the plaintext, and once sent the content
// is dropped. A file is sealed whenever a key is configured, without being asked. A sealed
// value copied to another message does not open there: that message is claimed Unreadable,
// with nothing of the value. Without a key a sensitive message is refused and nothing is
// queued.
func TestOutboxSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		db.SetKeyring(testRing(t))
		const card = `{"elements":[{"tag":"markdown","content":"诊断：胃癌晚期，自付 38,000 元"}]}`
		secretFile := []byte("姓名,身份证号\n张三,110101199001011234\n")
		send := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_a", MsgType: "interactive",
			Content: card, Sealed: true}
		file := &store.OutboxMessage{Kind: store.OutboxFile, ReceiveIDType: "open_id", ReceiveID: "ou_b", MsgType: "file",
			FileName: "名单.csv", FileData: secretFile}
		plain := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_c", MsgType: "text",
			Content: `{"text":"报名成功"}`}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, m := range []*store.OutboxMessage{send, file, plain} {
				if _, err := tx.Enqueue(ctx, m); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if send.Content != card {
			t.Errorf("Enqueue changed the caller's content")
		}
		c, _ := rawOutbox(t, db, send.ID)
		if strings.Contains(c, "胃癌") || strings.Contains(c, "elements") || !strings.HasPrefix(c, "v2:") {
			t.Errorf("the sensitive card is stored readable: %.60q", c)
		}
		_, d := rawOutbox(t, db, file.ID)
		if strings.Contains(string(d), "110101") || !strings.HasPrefix(string(d), "v2:") {
			t.Errorf("the file is stored readable: %.60q", d)
		}
		if c, _ := rawOutbox(t, db, plain.ID); c != plain.Content {
			t.Errorf("an ordinary message is stored as %q", c)
		}

		msgs, err := db.ClaimOutbox(ctx, "w1", 10, time.Minute)
		if err != nil || len(msgs) != 3 {
			t.Fatalf("claim: %d %v", len(msgs), err)
		}
		got := map[string]*store.OutboxMessage{}
		for _, m := range msgs {
			got[m.ID] = m
			if m.Unreadable != "" {
				t.Errorf("%s unreadable: %s", m.ID, m.Unreadable)
			}
		}
		if got[send.ID].Content != card || string(got[file.ID].FileData) != string(secretFile) || !got[file.ID].Sealed {
			t.Errorf("the claim does not give the plaintext: %q / %q", got[send.ID].Content, got[file.ID].FileData)
		}
		for _, m := range msgs {
			if err := db.MarkSent(ctx, m, "om_"+m.ID[:8]); err != nil {
				t.Fatal(err)
			}
		}
		if c, d := rawOutbox(t, db, send.ID); c != "" || d != nil {
			t.Errorf("a sent sensitive message keeps its sealed content: %.40q", c)
		}
		if c, _ := rawOutbox(t, db, plain.ID); c != plain.Content {
			t.Errorf("a sent ordinary message lost its content: %q", c)
		}

		// A sealed value moved to another message does not open there.
		a := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_d", MsgType: "interactive", Content: card, Sealed: true}
		b := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_e", MsgType: "interactive", Content: `{}`, Sealed: true}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Enqueue(ctx, a); err != nil {
				return err
			}
			_, err := tx.Enqueue(ctx, b)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ca, _ := rawOutbox(t, db, a.ID)
		if _, err := db.SQL().ExecContext(ctx, `UPDATE outbox SET content = ? WHERE id = ?`, ca, b.ID); err != nil {
			t.Fatal(err)
		}
		msgs, err = db.ClaimOutbox(ctx, "w1", 10, time.Minute)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("claim: %d %v", len(msgs), err)
		}
		for _, m := range msgs {
			switch m.ID {
			case a.ID:
				if m.Unreadable != "" || m.Content != card {
					t.Errorf("a: %q %s", m.Content, m.Unreadable)
				}
			case b.ID:
				if m.Unreadable == "" || m.Content != "" {
					t.Errorf("a value copied to b opened there: %q", m.Content)
				}
			}
		}

		// No key: refused, nothing queued.
		db.SetKeyring(nil)
		var n0, n1 int
		db.Get(ctx, &n0, `SELECT COUNT(*) FROM outbox`)
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_f",
				MsgType: "interactive", Content: card, Sealed: true})
			return err
		})
		var se *store.Error
		if !errors.As(err, &se) || se.Code != store.EINVALID {
			t.Errorf("a sensitive message without a key: %v", err)
		}
		db.Get(ctx, &n1, `SELECT COUNT(*) FROM outbox`)
		if n1 != n0 {
			t.Errorf("%d messages queued without a key", n1-n0)
		}
		// Without a key, an ordinary file is stored as it is (there is nothing to seal with).
		f2 := &store.OutboxMessage{Kind: store.OutboxFile, ReceiveIDType: "open_id", ReceiveID: "ou_g", MsgType: "file", FileName: "x.csv", FileData: []byte("a,b")}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Enqueue(ctx, f2); return err }); err != nil {
			t.Fatal(err)
		}
		if _, d := rawOutbox(t, db, f2.ID); string(d) != "a,b" {
			t.Errorf("an unkeyed file is stored as %q", d)
		}
	})
}

// TestRotateOutbox: a rotation re-seals the pending sensitive messages (content and file) with
// the new key, so the old key can go while Feishu is still away; a sent message holds nothing
// to re-seal. `keys status` counts the pending ones.
func TestRotateOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		createSealTest(t, db) // the package's tests register a sealed column of that table
		k1 := bytes.Repeat([]byte{1}, secret.KeySize)
		db.SetKeyring(testRing(t))
		queue := func(m *store.OutboxMessage) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Enqueue(ctx, m); return err }); err != nil {
				t.Fatal(err)
			}
		}
		sent := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_s", MsgType: "interactive", Content: `{"a":"已送达"}`, Sealed: true}
		queue(sent)
		msgs, err := db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("claim: %v", err)
		}
		if err := db.MarkSent(ctx, msgs[0], "om_1"); err != nil {
			t.Fatal(err)
		}
		card := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_a", MsgType: "interactive", Content: `{"a":"诊断"}`, Sealed: true}
		file := &store.OutboxMessage{Kind: store.OutboxFile, ReceiveIDType: "open_id", ReceiveID: "ou_b", MsgType: "file", FileName: "f.csv", FileData: []byte("身份证")}
		queue(card)
		queue(file)
		if u, err := db.KeyUsage(ctx); err != nil || u["k1"] != 2 {
			t.Errorf("keys status before: %v %v", u, err)
		}

		k2 := bytes.Repeat([]byte{2}, secret.KeySize)
		both, _ := secret.NewKeyring("k2", map[string][]byte{"k2": k2, "k1": k1})
		rep, err := db.RotateKeys(ctx, both, store.RotateOptions{Actor: "test"})
		if err != nil || rep.Columns["outbox.content"] != 1 || rep.Columns["outbox.file_data"] != 1 || len(rep.InUse) != 1 || rep.InUse["k2"] != 2 {
			t.Fatalf("rotate: %+v %v", rep, err)
		}
		only2, _ := secret.NewKeyring("k2", map[string][]byte{"k2": k2})
		db.SetKeyring(only2)
		msgs, err = db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("claim after: %d %v", len(msgs), err)
		}
		for _, m := range msgs {
			if m.Unreadable != "" || (m.ID == card.ID && m.Content != card.Content) || (m.ID == file.ID && string(m.FileData) != "身份证") {
				t.Errorf("after the rotation %s: %q %q %s", m.ID, m.Content, m.FileData, m.Unreadable)
			}
		}
	})
}
