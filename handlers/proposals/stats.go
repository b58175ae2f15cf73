package proposals

import (
	"fmt"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// stats answers 提案统计 [届次] with the session's figures, computed now.
func (h *Handlers) stats(c *bot.Context) (*bot.Response, error) {
	s, err := h.session(c)
	if err != nil {
		return c.Refusal(err)
	}
	rep, err := c.Tx.ProposalReportOf(c.Ctx, s, h.Loc)
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(StatsCard(s, rep)), nil
}

// statsTableRows is the most rows of each table on the statistics card: the card stays well
// under Feishu's 30 KB with the largest; the workbook (导出Excel) has every row.
const statsTableRows = 30

// StatsCard shows a session's figures: the totals, then tables per category, per 主办
// department and per 代表团, and the 导出Excel button.
func StatsCard(s *store.ProposalSession, rep *store.ProposalReport) *card.Card {
	st := rep.Total
	f := func(label string, v any) card.Field {
		return card.Field{Label: card.T(label), Value: card.T(fmt.Sprint(v))}
	}
	cd := card.New("提案统计").Subtitle(s.Name).Color(card.Indigo).Add(
		card.Fields(f("征集数", st.Collected), f("立案数", st.Registered), f("并案数", st.Merged), f("转建议数", st.ToSuggestion),
			f("不立案数", st.Rejected), f("退回修改", st.Returned), f("立案率", st.RegisterRate()), f("已答复", st.Replied),
			f("办复率", st.ReplyRate()), f("按时答复率", st.OnTimeRate()), f("办结率", st.CloseRate()), f("逾期未答复", st.Overdue),
			f("延期", st.Extended), f("部门退回", st.DeptReturned), f("第二轮办理", st.SecondRound), f("已评价", st.Rated()), f("满意率", st.SatisfactionRate()), f("满意", st.Satisfied),
			f("基本满意", st.Basic), f("不满意", st.Unsatisfied), f("未评价", st.Unrated)),
		card.Markdown(fmt.Sprintf("**办理结果**：A %d · B %d · C %d · D %d", st.ClassA, st.ClassB, st.ClassC, st.ClassD)))
	cd.Add(groupTable("按类别", "类别", rep.Categories, false)...)
	cd.Add(groupTable("按承办单位（主办）", "承办单位", rep.Departments, true)...)
	cd.Add(groupTable("按代表团", "代表团", rep.Branches, false)...)
	return cd.Add(
		card.Buttons(card.Button{Text: card.T("导出Excel"), Type: card.Primary,
			Value: card.Action(actExport).With("session_id", s.ID)}),
		card.Note("立案率 = 立案/征集；办复率 = 已答复/立案；按时答复率 = 在答复期限内答复/本轮已答复；办结率 = 办结/立案；"+
			"满意率 =（满意+基本满意）/已评价，以提案人对最近一轮答复的评价计；未评价从不计为满意。承办单位按主办计，协办另列；承办单位的退回为该单位退回的提案数。"))
}

// groupTable is a titled table of groups (at most statsTableRows, the rest named in a note);
// dept shows the handling figures of a 主办 department instead of the collection's.
func groupTable(title, label string, gs []store.ProposalGroup, dept bool) []card.Element {
	if len(gs) == 0 {
		return nil
	}
	cols := []card.TableColumn{{Name: "n", Label: label, Width: "120px"}}
	if dept {
		cols = append(cols, card.TableColumn{Name: "host", Label: "主办", Number: true}, card.TableColumn{Name: "help", Label: "协办", Number: true})
	} else {
		cols = append(cols, card.TableColumn{Name: "col", Label: "征集", Number: true}, card.TableColumn{Name: "reg", Label: "立案", Number: true},
			card.TableColumn{Name: "rr", Label: "立案率"})
	}
	cols = append(cols, card.TableColumn{Name: "rep", Label: "办复率"}, card.TableColumn{Name: "ot", Label: "按时率"},
		card.TableColumn{Name: "sat", Label: "满意率"})
	if dept {
		cols = append(cols, card.TableColumn{Name: "od", Label: "逾期", Number: true}, card.TableColumn{Name: "ret", Label: "退回", Number: true})
	}
	var rows []map[string]any
	for i, g := range gs {
		if i == statsTableRows {
			break
		}
		r := map[string]any{"n": g.Name, "rep": g.ReplyRate(), "ot": g.OnTimeRate(), "sat": g.SatisfactionRate()}
		if dept {
			r["host"], r["help"], r["od"], r["ret"] = g.Registered, g.Helper, g.Overdue, g.DeptReturned
		} else {
			r["col"], r["reg"], r["rr"] = g.Collected, g.Registered, g.RegisterRate()
		}
		rows = append(rows, r)
	}
	out := []card.Element{card.Markdown("**" + title + "**"), card.Table(5, cols, rows)}
	if n := len(gs) - statsTableRows; n > 0 {
		out = append(out, card.Note(fmt.Sprintf("另有 %d 项未列出，见导出的 Excel。", n)))
	}
	return out
}
