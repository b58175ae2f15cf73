package signup

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// Names of the form's fields (form_value keys).
const (
	fTitle, fKind, fDesc, fPlace                   = "title", "kind", "description", "place"
	fStart, fEnd, fOpens, fCloses, fCancelBy       = "starts_at", "ends_at", "signup_opens", "signup_closes", "cancel_deadline"
	fCapacity, fQuota, fMode, fItems, fOneItem     = "capacity", "branch_quota", "entry_mode", "items", "one_item"
	fMembersOnly, fWomenOnly, fBranches            = "members_only", "women_only", "branches"
	fAgeMin, fAgeMax, fAgeRef                      = "age_min", "age_max", "age_ref_date"
	fAlloc, fBranchConfirm, fInsurance, fMinEnries = "allocation", "branch_confirm", "insurance", "min_entries"
	fSensitive, fChats, fNotifyAll                 = "sensitive", "publish_chats", "notify_all"
)

// modeNames and allocNames are the entry modes and allocations as officers read them.
var (
	modeNames  = []card.Option{{Text: card.T("个人报名"), Value: store.ModeIndividual}, {Text: card.T("组队报名（队长邀请队员）"), Value: store.ModeTeam}, {Text: card.T("分工会名单（分工会主席录入）"), Value: store.ModeUnit}}
	allocNames = []card.Option{{Text: card.T("先到先得（满额后候补）"), Value: store.AllocFirstCome}, {Text: card.T("截止时抽签（仅个人报名）"), Value: store.AllocLottery}}
)

// activityForm is the 新建活动 form, or the edit form of a when a is not nil (prefilled; the
// submit carries the activity's id and version, so an edit of an older version is refused).
// branches are the 分工会 names offered for the eligibility list.
func activityForm(a *store.Activity, branches []string, loc *time.Location) *card.Card {
	title, submit := "新建活动", card.Action(actCreate)
	v := &store.Activity{Kind: store.KindSport, EntryMode: store.ModeIndividual, Allocation: store.AllocFirstCome, MembersOnly: true}
	if a != nil {
		title, submit, v = "编辑活动", card.Action(actUpdate).With("activity_id", a.ID).With("version", a.Version), a
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(card.DateTimeLayout)
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	var kinds []card.Option
	for _, k := range store.ActivityKinds {
		kinds = append(kinds, card.Option{Text: card.T(k.Name), Value: k.Kind})
	}
	var items []string
	for _, it := range v.Items {
		items = append(items, ItemLine(it))
	}
	els := []card.Element{
		card.Input{Name: fTitle, Label: card.T("活动名称"), Placeholder: card.T("如：2024年教职工羽毛球比赛"), Required: true, MaxLength: store.MaxTitleLen, Default: v.Title},
		card.Select{Name: fKind, Label: card.T("活动类型"), Required: true, Options: kinds, Initial: v.Kind},
		card.Input{Name: fDesc, Label: card.T("活动说明"), Placeholder: card.T("安排、要求、注意事项"), Multiline: true, MaxLength: 1000, Default: v.Description},
		card.Input{Name: fPlace, Label: card.T("地点"), MaxLength: 100, Default: v.Place},
		card.DateTimePicker{Name: fStart, Label: card.T("活动开始"), Required: true, Initial: at(v.StartsAt)},
		card.DateTimePicker{Name: fEnd, Label: card.T("活动结束"), Required: true, Initial: at(v.EndsAt)},
		card.DateTimePicker{Name: fOpens, Label: card.T("报名开始"), Required: true, Initial: at(v.SignupOpensAt)},
		card.DateTimePicker{Name: fCloses, Label: card.T("报名截止"), Required: true, Initial: at(v.SignupClosesAt)},
		card.DateTimePicker{Name: fCancelBy, Label: card.T("取消报名截止（不填则到活动开始）"), Initial: at(v.CancelDeadline)},
		card.Input{Name: fCapacity, Label: card.T("总名额（0 或不填表示不限）"), MaxLength: 6, Default: num(v.Capacity)},
		card.Input{Name: fQuota, Label: card.T("每个分工会限报（0 或不填表示不限）"), MaxLength: 6, Default: num(v.BranchQuota)},
		card.Select{Name: fMode, Label: card.T("报名方式"), Required: true, Options: modeNames, Initial: v.EntryMode},
		card.Input{Name: fItems, Label: card.T("项目（每行一个，可不填）"), Placeholder: card.T("男单 16\n混双 8 2-2 女1"), Multiline: true, MaxLength: 1000, Default: strings.Join(items, "\n")},
		card.Note(ItemLineHint),
		card.Checker{Name: fOneItem, Text: card.T("不得兼项（每人只能报一个项目）"), Checked: v.OneItemPerPerson},
		card.Select{Name: fAlloc, Label: card.T("名额分配"), Required: true, Options: allocNames, Initial: v.Allocation},
		card.Markdown("**报名条件**"),
		card.Checker{Name: fMembersOnly, Text: card.T("仅限工会会员"), Checked: v.MembersOnly},
		card.Checker{Name: fWomenOnly, Text: card.T("仅限女教职工"), Checked: v.WomenOnly},
	}
	if len(branches) > 0 {
		var opts []card.Option
		for _, b := range branches {
			opts = append(opts, card.Option{Text: card.T(b), Value: b})
		}
		els = append(els, card.MultiSelect{Name: fBranches, Label: card.T("限以下分工会（不选表示全部）"), Options: opts, Selected: v.Branches})
	}
	els = append(els,
		card.Input{Name: fAgeMin, Label: card.T("最小年龄（不填表示不限）"), MaxLength: 3, Default: num(v.AgeMin)},
		card.Input{Name: fAgeMax, Label: card.T("最大年龄（不填表示不限）"), MaxLength: 3, Default: num(v.AgeMax)},
		card.DatePicker{Name: fAgeRef, Label: card.T("年龄计算日期（不填为活动开始日）"), Initial: v.AgeRefDate},
		card.Markdown("**其他**"),
		card.Checker{Name: fBranchConfirm, Text: card.T("报名需分工会主席确认"), Checked: v.BranchConfirm},
		card.Checker{Name: fInsurance, Text: card.T("需要购买保险（收集身份证号，加密保存，活动后删除）"), Checked: v.NeedsInsurance},
		card.Checker{Name: fSensitive, Text: card.T("敏感活动（仅工会干事可见报名名单，群里只显示人数）"), Checked: v.Sensitive},
		card.Input{Name: fMinEnries, Label: card.T("最少成行人数/队数（截止时不足则取消；不填表示不限）"), MaxLength: 6, Default: num(v.MinEntries)},
		card.Input{Name: fChats, Label: card.T("发布到的群（群 chat_id，oc_ 开头，多个用逗号或换行分隔）"), Multiline: true, MaxLength: 1000, Default: strings.Join(v.PublishChats, "\n")},
		card.Checker{Name: fNotifyAll, Text: card.T("同时逐一私信所有符合条件的会员"), Checked: v.NotifyAll},
		card.Buttons(card.Button{Text: card.T("保存并预览"), Type: card.Primary, Name: "submit", Form: card.Submit, Value: submit}),
	)
	intro := "填写后点「保存并预览」：活动先存为草稿，预览无误后再发布。"
	if a != nil {
		intro = "修改后点「保存并预览」。已发出的报名卡片会更新，旧卡片上的操作将提示刷新。"
	}
	return card.New(title).Color(card.Blue).Add(card.Markdown(intro), card.Form("activity_form", els...))
}

// parseActivityForm reads a submitted activity form into an activity (times in loc unless
// the picker sent a zone) and checks it; the error names the first problem in Chinese.
func parseActivityForm(fv map[string]any, loc *time.Location) (*store.Activity, error) {
	str := func(k string) string {
		switch v := fv[k].(type) {
		case string:
			return strings.TrimSpace(v)
		case nil:
			return ""
		default:
			return strings.TrimSpace(fmt.Sprint(v))
		}
	}
	flag := func(k string) bool {
		switch v := fv[k].(type) {
		case bool:
			return v
		case string:
			return v == "true"
		}
		return false
	}
	bad := func(format string, args ...any) error { return store.Errorf(store.EINVALID, format, args...) }
	a := &store.Activity{
		Title: str(fTitle), Kind: str(fKind), Description: str(fDesc), Place: str(fPlace),
		EntryMode: str(fMode), Allocation: str(fAlloc), OneItemPerPerson: flag(fOneItem),
		MembersOnly: flag(fMembersOnly), WomenOnly: flag(fWomenOnly), BranchConfirm: flag(fBranchConfirm),
		NeedsInsurance: flag(fInsurance), Sensitive: flag(fSensitive), NotifyAll: flag(fNotifyAll),
	}
	if a.EntryMode == "" {
		a.EntryMode = store.ModeIndividual
	}
	if a.Allocation == "" {
		a.Allocation = store.AllocFirstCome
	}
	for _, t := range []struct {
		key, label string
		dst        *time.Time
	}{
		{fStart, "活动开始时间", &a.StartsAt}, {fEnd, "活动结束时间", &a.EndsAt},
		{fOpens, "报名开始时间", &a.SignupOpensAt}, {fCloses, "报名截止时间", &a.SignupClosesAt},
		{fCancelBy, "取消报名截止时间", &a.CancelDeadline},
	} {
		s := str(t.key)
		if s == "" {
			continue
		}
		v, err := ParseLocalTime(s, loc)
		if err != nil {
			return nil, bad("%s「%s」看不懂，请用日期时间选择器选择。", t.label, s)
		}
		*t.dst = v
	}
	for _, n := range []struct {
		key, label string
		dst        *int
	}{
		{fCapacity, "总名额", &a.Capacity}, {fQuota, "每个分工会限报", &a.BranchQuota},
		{fMinEnries, "最少成行人数", &a.MinEntries}, {fAgeMin, "最小年龄", &a.AgeMin}, {fAgeMax, "最大年龄", &a.AgeMax},
	} {
		s := str(n.key)
		if s == "" {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			return nil, bad("%s要填整数，「%s」不是整数。", n.label, s)
		}
		*n.dst = v
	}
	if s := str(fAgeRef); s != "" && len(s) >= len("2006-01-02") {
		a.AgeRefDate = s[:len("2006-01-02")]
	}
	if a.AgeRefDate == "" && (a.AgeMin > 0 || a.AgeMax > 0) && !a.StartsAt.IsZero() {
		a.AgeRefDate = a.StartsAt.In(loc).Format(time.DateOnly)
	}
	switch v := fv[fBranches].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok && strings.TrimSpace(s) != "" {
				a.Branches = append(a.Branches, strings.TrimSpace(s))
			}
		}
	case string:
		a.Branches = trimAll([]string{v})
	}
	a.PublishChats = trimAll(strings.FieldsFunc(str(fChats), func(r rune) bool {
		return r == ',' || r == '，' || r == '\n' || r == ' ' || r == '、' || r == ';' || r == '；'
	}))
	items, err := ParseItemLines(str(fItems))
	if err != nil {
		return nil, err
	}
	a.Items = items
	if err := validateActivity(a); err != nil {
		return nil, err
	}
	return a, nil
}
