package roster

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestImportLogMatchesReport: the import's log line counts the same problems its report shows
// (rows the parser refused included), and names nobody.
func TestImportLogMatchesReport(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(old)
	db := storetest.Open(t, store.SQLite)
	rep := importFile(t, db, "r.csv", []byte(csvText(
		"姓名,工号,分工会,性别,手机",
		"王五,001,A分工会,男,13800000001",
		",,,,",
		"周九,004,,,1234567",
		"赵六,,A分工会,,",
	)), nil, false)
	var line struct {
		Msg      string `json:"msg"`
		Problems int    `json:"problems"`
		Created  int    `json:"created"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line.Msg != "roster import" {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	if line.Problems != len(rep.Problems) || line.Created != rep.Created || len(rep.Problems) == 0 {
		t.Errorf("log says %d problems and %d created; the report %d and %d", line.Problems, line.Created, len(rep.Problems), rep.Created)
	}
	if bytes.Contains(buf.Bytes(), []byte("王五")) || bytes.Contains(buf.Bytes(), []byte("13800000001")) {
		t.Errorf("the log names a member: %s", buf.String())
	}
}
