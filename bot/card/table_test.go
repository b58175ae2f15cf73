package card_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/bot/card"
)

// TestTable: a table renders Feishu's table component (columns without a tag, numeric ones
// right-aligned, rows by column name) and is refused off the root, beyond five in a card, with
// a page size outside 1 to 10, or with a column name empty or twice; no rows render nothing.
func TestTable(t *testing.T) {
	cols := []card.TableColumn{{Name: "n", Label: "名称"}, {Name: "c", Label: "数量", Number: true}}
	rows := []map[string]any{{"n": "教务处", "c": 3}}
	got := card.New("t").Add(card.Table(5, cols, rows)).String()
	want := `{"tag":"table","page_size":5,"freeze_first_column":true,"rows":[{"c":3,"n":"教务处"}],"columns":[` +
		`{"name":"n","width":"auto","display_name":"名称","data_type":"text"},` +
		`{"name":"c","width":"auto","display_name":"数量","data_type":"number","horizontal_align":"right"}]}`
	if !strings.Contains(got, want) {
		t.Errorf("table JSON\n got %s\nwant %s", got, want)
	}
	if got := card.New("t").Add(card.Table(5, cols, nil)).String(); strings.Contains(got, "table") {
		t.Errorf("no rows: %s", got)
	}
	six := card.New("t")
	for range 6 {
		six.Add(card.Table(5, cols, rows))
	}
	for name, c := range map[string]*card.Card{
		"in a column":  card.New("t").Add(card.Columns(card.Column{Elements: []card.Element{card.Table(5, cols, rows)}})),
		"six":          six,
		"page size 0":  card.New("t").Add(card.Table(0, cols, rows)),
		"page size 11": card.New("t").Add(card.Table(11, cols, rows)),
		"same name":    card.New("t").Add(card.Table(5, append(cols, card.TableColumn{Name: "n"}), rows)),
	} {
		if _, err := c.JSON(); !errors.Is(err, card.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
