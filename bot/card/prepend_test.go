package card_test

import (
	"strings"
	"testing"

	"github.com/unionbot/unionbot/bot/card"
)

func TestPrepend(t *testing.T) {
	orig := card.New("提醒").Add(card.Markdown("正文"))
	before := string(orig.MustJSON())
	cp := *orig
	got := string(cp.Prepend(card.Note("迟发提醒")).MustJSON())
	if i, j := strings.Index(got, "迟发提醒"), strings.Index(got, "正文"); i < 0 || j < 0 || i > j {
		t.Errorf("the note is not first: %s", got)
	}
	if after := string(orig.MustJSON()); after != before {
		t.Errorf("Prepend on a copy changed the original:\n%s\n%s", before, after)
	}
}
