package proposals

import (
	"fmt"
	"sort"
	"strings"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// similarity is the Dice coefficient of two titles' character bigrams (0 to 1), with the
// words every proposal title shares left out.
func similarity(a, b string) float64 {
	ba, bb := bigrams(a), bigrams(b)
	if len(ba) == 0 || len(bb) == 0 {
		return 0
	}
	common := 0
	for g := range ba {
		if bb[g] {
			common++
		}
	}
	return 2 * float64(common) / float64(len(ba)+len(bb))
}

var titleNoise = strings.NewReplacer("关于", "", "的建议", "", "的提案", "", "建议", "", "提案", "", "进一步", "", "加强", "", " ", "", "，", "", "、", "")

func bigrams(s string) map[string]bool {
	r := []rune(titleNoise.Replace(s))
	out := map[string]bool{}
	for i := 0; i+1 < len(r); i++ {
		out[string(r[i:i+2])] = true
	}
	return out
}

// similarThreshold is how alike two titles must be to be shown as similar.
const similarThreshold = 0.5

// similarTo returns up to 3 filed proposals whose titles are like p's, most alike first.
func similarTo(p *store.Proposal, filed []*store.Proposal) []*store.Proposal {
	type hit struct {
		p *store.Proposal
		s float64
	}
	var hits []hit
	for _, f := range filed {
		if f.ID == p.ID {
			continue
		}
		if s := similarity(p.Title, f.Title); s >= similarThreshold {
			hits = append(hits, hit{f, s})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].s > hits[j].s })
	var out []*store.Proposal
	for i := 0; i < len(hits) && i < 3; i++ {
		out = append(out, hits[i].p)
	}
	return out
}

// similarPanel tells a drafting delegate about similar proposals of this and earlier sessions,
// with a button to see each (and 附议 it, while it is in co-signing) instead of a duplicate.
func similarPanel(ps []*store.Proposal) []card.Element {
	if len(ps) == 0 {
		return nil
	}
	els := []card.Element{card.Markdown("**相似提案**：以下提案与本案由相近。如为同一事项，可附议已有提案，不必重复提出（一事一案）。")}
	for _, p := range ps {
		els = append(els, card.Markdown(fmt.Sprintf("· %s %s（%s，%s）", md(p.Title), p.Number, md(p.SessionName), store.ProposalStateNames[p.State])),
			card.Buttons(card.Button{Text: card.T("查看"), Value: card.Action(actShow).With("proposal_id", p.ID)}))
	}
	return append(els, card.Divider())
}
