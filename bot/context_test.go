package bot

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/unionbot/unionbot/store"
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
