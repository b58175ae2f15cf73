package proposals

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/handlers/signup"
	"github.com/unionbot/unionbot/store"
)

// SessionFormCard is the 新建届次 form (s nil), or the edit form of a session: the same fields
// and rules as the session YAML (examples/proposal-session.yaml); a session's name and code
// are set at creation (the code prefixes its 立案编号).
func SessionFormCard(s *store.ProposalSession, loc *time.Location) *card.Card {
	title, id := "新建届次", int64(0)
	v := &store.ProposalSession{MinCosigners: store.DefaultMinCosigners, ReplyWorkdays: store.DefaultReplyWorkdays,
		RatingWorkdays: store.DefaultRatingWorkdays, LateAsSuggestion: true, CategoriesText: strings.Join(store.DefaultProposalCategories, "\n")}
	if s != nil {
		title, id, v = "修改届次："+s.Name, s.ID, s
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(card.DateTimeLayout)
	}
	num := func(n int) string { return strconv.Itoa(n) }
	var els []card.Element
	if s == nil {
		els = append(els,
			card.Input{Name: "name", Label: card.T("届次名称（如 第四届第三次，最多 50 字）"), Required: true, MaxLength: 50},
			card.Input{Name: "code", Label: card.T("届次代码（立案编号前缀，如 4-3，最多 20 个字符，不含空格）"), Required: true, MaxLength: 20})
	}
	els = append(els,
		card.DateTimePicker{Name: "opens", Label: card.T("征集开始"), Required: true, Initial: at(v.OpensAt)},
		card.DateTimePicker{Name: "closes", Label: card.T("征集截止"), Required: true, Initial: at(v.ClosesAt)},
		card.DatePicker{Name: "congress", Label: card.T("大会日期"), Required: true, Initial: v.CongressDate},
		card.Input{Name: "min_cosigners", Label: card.T("提交前至少附议人数（0 到 50）"), Default: num(v.MinCosigners), MaxLength: 2},
		card.Input{Name: "categories", Label: card.T("类别（用顿号分隔，每类最多 20 字）"), Default: strings.Join(v.Categories(), "、"), MaxLength: 300},
		card.Input{Name: "reply_workdays", Label: card.T("交办后答复期限（工作日，1 到 250）"), Default: num(v.ReplyWorkdays), MaxLength: 3},
		card.Input{Name: "rating_workdays", Label: card.T("答复后评价期限（工作日，1 到 250）"), Default: num(v.RatingWorkdays), MaxLength: 3},
		card.Checker{Name: "cosigners_rate", Text: card.T("附议人也评价答复"), Checked: v.CosignersRate},
		card.Checker{Name: "public_after_register", Text: card.T("立案后向全体会员公开"), Checked: v.PublicAfterRegister},
		card.Checker{Name: "late_as_suggestion", Text: card.T("截止后提交的作为意见建议接收"), Checked: v.LateAsSuggestion},
		card.Checker{Name: "reply_review", Text: card.T("答复审核：答复先经提案工作委员会审核再送提案人"), Checked: v.ReplyReview},
		card.Buttons(card.Button{Text: card.T("保存"), Type: card.Primary, Name: "save_session", Form: card.Submit,
			Value: card.Action(actSessionSave).With("session_id", id)}))
	c := card.New(title).Color(card.Blue)
	if s != nil {
		c.Subtitle("代码 " + s.Code)
	}
	return c.Add(card.Form("session_form", els...))
}

// SessionCard shows a session's settings, with 修改 for the officers.
func SessionCard(s *store.ProposalSession, loc *time.Location) *card.Card {
	yes := map[bool]string{true: "是", false: "否"}
	f := func(label, v string) card.Field { return card.Field{Label: card.T(label), Value: card.T(md(v))} }
	clock := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	return card.New("届次："+s.Name).Subtitle("代码 "+s.Code).Color(card.Indigo).Add(
		card.Fields(f("征集开始", clock(s.OpensAt)), f("征集截止", clock(s.ClosesAt)), f("大会日期", s.CongressDate),
			f("至少附议", fmt.Sprintf("%d 人", s.MinCosigners)), f("答复期限", fmt.Sprintf("%d 个工作日", s.ReplyWorkdays)),
			f("评价期限", fmt.Sprintf("%d 个工作日", s.RatingWorkdays)), f("附议人评价", yes[s.CosignersRate]),
			f("立案后公开", yes[s.PublicAfterRegister]), f("截止后作意见建议", yes[s.LateAsSuggestion]), f("答复审核", yes[s.ReplyReview])),
		card.Markdown("**类别**："+md(strings.Join(s.Categories(), "、"))),
		card.Buttons(card.Button{Text: card.T("修改"), Value: card.Action(actSessionForm).With("session_id", s.ID)}))
}

// newSession answers 新建届次: the form, 1:1.
func (h *Handlers) newSession(c *bot.Context) (*bot.Response, error) {
	return h.oneToOne(c, SessionFormCard(nil, h.Loc), "届次表单已私信发给你。")
}

// oneToOne answers with cd, or sends it 1:1 when asked in a group.
func (h *Handlers) oneToOne(c *bot.Context, cd *card.Card, told string) (*bot.Response, error) {
	if c.ChatType == "group" {
		if err := sendCard(c, c.Sender.OpenID, cd); err != nil {
			return nil, err
		}
		return bot.Info(told), nil
	}
	return bot.ReplyCard(cd), nil
}

// sessions answers 届次 [名称或代码]: a session's card, or every session with its dates.
func (h *Handlers) sessions(c *bot.Context) (*bot.Response, error) {
	if a := strings.TrimSpace(c.ArgText); a != "" {
		s, err := c.Tx.ProposalSessionByName(c.Ctx, a)
		if err != nil {
			return c.Refusal(err)
		}
		return bot.ReplyCard(SessionCard(s, h.Loc)), nil
	}
	ss, err := c.Tx.ProposalSessionsAll(c.Ctx)
	if err != nil {
		return nil, err
	}
	cd := card.New("届次").Color(card.Indigo)
	for _, s := range ss {
		cd.Add(card.Markdown(fmt.Sprintf("**%s**（%s）· 征集 %s 至 %s · 大会 %s", md(s.Name), md(s.Code),
			s.OpensAt.In(h.Loc).Format("2006-01-02"), s.ClosesAt.In(h.Loc).Format("2006-01-02"), s.CongressDate)),
			card.Buttons(card.Button{Text: card.T("查看"), Value: card.Action(actSessionShow).With("session_id", s.ID)},
				card.Button{Text: card.T("修改"), Value: card.Action(actSessionForm).With("session_id", s.ID)}))
	}
	if len(ss) == 0 {
		cd.Add(card.Markdown("还没有届次。"))
	}
	return bot.ReplyCard(cd.Add(card.Buttons(card.Button{Text: card.T("新建届次"), Type: card.Primary, Value: card.Action(actSessionForm).With("session_id", 0)}))), nil
}

// sessionShow is a session's card (the 查看 button of 届次).
func (h *Handlers) sessionShow(c *bot.Context) (*bot.Response, error) {
	s, err := c.Tx.ProposalSessionByID(c.Ctx, c.Int("session_id"))
	if err != nil {
		return c.Refusal(err)
	}
	return bot.ReplyCard(SessionCard(s, h.Loc)), nil
}

// sessionForm is the form: empty (session_id 0) or the session's.
func (h *Handlers) sessionForm(c *bot.Context) (*bot.Response, error) {
	id := c.Int("session_id")
	if id == 0 {
		return bot.ReplyCard(SessionFormCard(nil, h.Loc)), nil
	}
	s, err := c.Tx.ProposalSessionByID(c.Ctx, id)
	if err != nil {
		return c.Refusal(err)
	}
	return bot.ReplyCard(SessionFormCard(s, h.Loc)), nil
}

// sessionSave creates a session from the form, or updates one (its name and code stay): the
// same validation as the YAML; a problem is named and nothing is written.
func (h *Handlers) sessionSave(c *bot.Context) (*bot.Response, error) {
	s := &store.ProposalSession{}
	id := c.Int("session_id")
	if id != 0 {
		old, err := c.Tx.ProposalSessionByID(c.Ctx, id)
		if err != nil {
			return c.Refusal(err)
		}
		s = old
	} else {
		s.Name, s.Code = c.FormString("name"), c.FormString("code")
	}
	if err := h.readSessionForm(c, s); err != nil {
		return c.Refusal(err)
	}
	toast := "届次已创建。"
	if id == 0 {
		if err := c.Tx.CreateProposalSession(c.Ctx, s, c.Sender.OpenID); err != nil {
			return c.Refusal(err)
		}
	} else {
		if err := c.Tx.UpdateProposalSession(c.Ctx, s, c.Sender.OpenID); err != nil {
			return c.Refusal(err)
		}
		toast = "届次已修改。"
	}
	r := bot.ReplyCard(SessionCard(s, h.Loc))
	r.Toast = &bot.Toast{Type: "success", Text: toast}
	return r, nil
}

// readSessionForm reads the form's times, numbers, categories and switches into s.
func (h *Handlers) readSessionForm(c *bot.Context, s *store.ProposalSession) error {
	bad := func(format string, args ...any) error { return store.Errorf(store.EINVALID, format, args...) }
	for _, t := range []struct {
		key, label string
		dst        *time.Time
	}{{"opens", "征集开始时间", &s.OpensAt}, {"closes", "征集截止时间", &s.ClosesAt}} {
		v, err := signup.ParseLocalTime(c.FormString(t.key), h.Loc)
		if err != nil {
			return bad("%s「%s」看不懂，请用日期时间选择器选择。", t.label, c.FormString(t.key))
		}
		*t.dst = v
	}
	s.CongressDate = strings.TrimSpace(c.FormString("congress"))
	if d, _, ok := strings.Cut(s.CongressDate, " "); ok { // the picker sends "2027-04-15 +0800"
		s.CongressDate = d
	}
	for _, n := range []struct {
		key, label string
		dst        *int
	}{{"min_cosigners", "附议人数", &s.MinCosigners}, {"reply_workdays", "答复期限", &s.ReplyWorkdays}, {"rating_workdays", "评价期限", &s.RatingWorkdays}} {
		raw := strings.TrimSpace(c.FormString(n.key))
		v, err := strconv.Atoi(raw)
		if err != nil {
			return bad("%s要填整数，「%s」不是整数。", n.label, raw)
		}
		*n.dst = v
	}
	// 0 is the YAML's "default"; typed in the form it is out of range.
	for _, n := range []struct {
		label string
		v     int
	}{{"答复期限", s.ReplyWorkdays}, {"评价期限", s.RatingWorkdays}} {
		if n.v < 1 {
			return bad("%s应在 1 到 250 个工作日之间，收到 %d。", n.label, n.v)
		}
	}
	s.CategoriesText = strings.Join(splitNames(c.FormString("categories")), "\n")
	flag := func(k string) bool { v, _ := c.FormValue[k].(bool); return v || c.FormString(k) == "true" }
	s.CosignersRate, s.PublicAfterRegister = flag("cosigners_rate"), flag("public_after_register")
	s.LateAsSuggestion, s.ReplyReview = flag("late_as_suggestion"), flag("reply_review")
	return nil
}
