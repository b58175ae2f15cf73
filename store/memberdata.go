package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/unionbot/unionbot/store/secret"
)

// The member's rights over their data (PIPL Art. 44–47): see what the bot holds, download it,
// ask for deletion. Each flow registers a MemberDataSource that collects what it holds about a
// member and erases what may be erased at once, saying until when the rest is kept (its
// retention rule). 我的数据 (handlers/privacy) walks every source.

// DataSection is what one source holds about a member, as a table.
type DataSection struct {
	Name    string     // e.g. "法律援助"
	Columns []string   // the header
	Rows    [][]string // one row per record
	Note    string     // what the section means, or why something is not shown
	// Actions are buttons 我的数据 shows under the section (e.g. 更正帮扶申请 for a draft): a
	// flow's card action with its values; the action checks, as any click, who may use it.
	Actions []DataAction
}

// DataAction is a button of a section: its text, the card action and the values it carries.
type DataAction struct {
	Text   string
	Action string
	Values map[string]any
}

// Erasure is what a deletion request did in one source.
type Erasure struct {
	Name   string // the source
	Erased int    // records (or fields) erased now
	// Kept is how many records are kept, KeptUntil the last date (2006-01-02) one of them is
	// kept to ("" when they are kept without a date, Why says how long), Why the reason.
	Kept      int
	KeptUntil string
	Why       string
}

// Retention are the configured periods of the retention rules (privacy.*), for the dates a
// deletion request shows.
type Retention struct {
	Materials, Records time.Duration
}

// MemberDataSource is a flow's part of a member's data. Collect reads it (sealed values opened
// with keys: the member sees their own data); Erase erases what no retention rule keeps, in
// the transaction, and says what it keeps until when.
type MemberDataSource struct {
	Name    string
	Collect func(ctx context.Context, tx *Tx, keys *secret.Keyring, memberID int64, loc *time.Location) (DataSection, error)
	Erase   func(ctx context.Context, tx *Tx, memberID int64, r Retention) (Erasure, error)
}

var memberData struct {
	sync.Mutex
	list []MemberDataSource
}

// RegisterMemberData adds a source (a second one of the same name replaces it).
func RegisterMemberData(s MemberDataSource) bool {
	memberData.Lock()
	defer memberData.Unlock()
	if i := slices.IndexFunc(memberData.list, func(x MemberDataSource) bool { return x.Name == s.Name }); i >= 0 {
		memberData.list[i] = s
	} else {
		memberData.list = append(memberData.list, s)
	}
	return true
}

// MemberDataSources are the registered sources, in registration order.
func MemberDataSources() []MemberDataSource {
	memberData.Lock()
	defer memberData.Unlock()
	return slices.Clone(memberData.list)
}

// CollectMemberData reads every source for the member, times shown in loc. Callers show it
// through Reveal.
func (tx *Tx) CollectMemberData(ctx context.Context, keys *secret.Keyring, memberID int64, loc *time.Location) ([]DataSection, error) {
	var out []DataSection
	for _, s := range MemberDataSources() {
		if s.Collect == nil {
			continue
		}
		sec, err := s.Collect(ctx, tx, keys, memberID, loc)
		if err != nil {
			return nil, fmt.Errorf("store.CollectMemberData: %s: %w", s.Name, err)
		}
		if sec.Name == "" {
			sec.Name = s.Name
		}
		out = append(out, sec)
	}
	return out, nil
}

// EraseMemberData runs every source's Erase for the member, audited as actor with the counts.
func (tx *Tx) EraseMemberData(ctx context.Context, memberID int64, r Retention, actor string) ([]Erasure, error) {
	var out []Erasure
	detail := ""
	for _, s := range MemberDataSources() {
		if s.Erase == nil {
			continue
		}
		e, err := s.Erase(ctx, tx, memberID, r)
		if err != nil {
			return nil, fmt.Errorf("store.EraseMemberData: %s: %w", s.Name, err)
		}
		e.Name = s.Name
		out = append(out, e)
		detail += fmt.Sprintf("%s: %d erased, %d kept; ", s.Name, e.Erased, e.Kept)
	}
	return out, tx.Audit(ctx, actor, "member_data", fmt.Sprint(memberID), "erase", detail)
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func timeOf(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// The sources of the flows in this package, in the order 我的数据 shows them.
var (
	_ = RegisterMemberData(MemberDataSource{Name: "个人资料", Collect: collectProfile, Erase: eraseProfile})
	_ = RegisterMemberData(MemberDataSource{Name: "活动报名", Collect: collectSignups, Erase: eraseSignups})
	_ = RegisterMemberData(MemberDataSource{Name: "教代会提案", Collect: collectProposals, Erase: eraseProposals})
	_ = RegisterMemberData(MemberDataSource{Name: "法律援助", Collect: collectLegal, Erase: eraseLegal})
	_ = RegisterMemberData(MemberDataSource{Name: "帮扶申请", Collect: collectAid, Erase: eraseAid})
	_ = RegisterMemberData(MemberDataSource{Name: "同意记录", Collect: collectConsents, Erase: keepConsents})
)

func collectProfile(ctx context.Context, tx *Tx, _ *secret.Keyring, memberID int64, loc *time.Location) (DataSection, error) {
	var m Member
	if err := tx.GetContext(ctx, &m, `SELECT `+memberColumns+memberFrom+`WHERE m.id = ?`, memberID); err != nil {
		return DataSection{}, err
	}
	birth := ""
	if m.Birth.Valid {
		birth = m.Birth.Time.Format(time.DateOnly)
	}
	gender := map[string]string{"M": "男", "F": "女"}[m.Gender]
	return DataSection{Columns: []string{"姓名", "工号", "分工会", "性别", "手机", "邮箱", "出生日期", "登记时间"},
		Rows: [][]string{{m.Name, m.EmployeeNo, m.BranchName, gender, m.Mobile, m.Email, birth, m.CreatedAt.In(loc).Format("2006-01-02 15:04")}},
		Note: "姓名、工号、分工会、性别可在「我的信息」中更正；手机、邮箱、出生日期来自会员名册。"}, nil
}

// eraseProfile erases the contact fields at once (手机, 邮箱, 出生日期); the membership (name,
// 工号, 分工会) is kept while the person is a member.
func eraseProfile(ctx context.Context, tx *Tx, memberID int64, _ Retention) (Erasure, error) {
	res, err := tx.ExecContext(ctx, `UPDATE members SET mobile = '', email = '', birth_date = NULL, updated_at = ?
		WHERE id = ? AND (mobile <> '' OR email <> '' OR birth_date IS NOT NULL)`, tx.now, memberID)
	if err != nil {
		return Erasure{}, err
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		tx.MembersChanged()
	}
	return Erasure{Erased: int(n), Kept: 1, Why: "姓名、工号、分工会是会籍信息，在会籍存续期间保留（由工会办公室维护）。"}, nil
}

func collectSignups(ctx context.Context, tx *Tx, _ *secret.Keyring, memberID int64, loc *time.Location) (DataSection, error) {
	var rows []struct {
		Title   string     `db:"title"`
		Item    string     `db:"item"`
		Status  string     `db:"status"`
		Masked  string     `db:"id_masked"`
		Created time.Time  `db:"created_at"`
		Checked *time.Time `db:"checked_in_at"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT a.title, COALESCE(i.name, '') AS item, e.status, e.id_masked, e.created_at, e.checked_in_at
		FROM signup_entries e JOIN activities a ON a.id = e.activity_id LEFT JOIN activity_items i ON i.id = e.item_id
		WHERE e.member_id = ? ORDER BY e.id`, memberID); err != nil {
		return DataSection{}, err
	}
	sec := DataSection{Columns: []string{"活动", "项目", "状态", "身份证号（遮蔽）", "报名时间", "签到时间"},
		Note: "身份证号只以遮蔽形式显示；加密保存的原文在活动结束后删除。"}
	for _, r := range rows {
		sec.Rows = append(sec.Rows, []string{r.Title, r.Item, EntryStatusNames[r.Status], r.Masked, r.Created.In(loc).Format("2006-01-02 15:04"), timeOf(r.Checked, loc)})
	}
	return sec, nil
}

// eraseSignups deletes the entries of activities that are over (finished or cancelled) at
// once; the member's entries of activities still running are kept until they cancel them
// (我的报名) or the activity ends.
func eraseSignups(ctx context.Context, tx *Tx, memberID int64, _ Retention) (Erasure, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM signup_entries WHERE member_id = ? AND activity_id IN
		(SELECT id FROM activities WHERE status IN (?, ?))`, memberID, ActivityFinished, ActivityCancelled)
	if err != nil {
		return Erasure{}, err
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `UPDATE signup_entries SET id_cipher = '', id_masked = ''
		WHERE member_id = ? AND status = ?`, memberID, EntryCancelled); err != nil {
		return Erasure{}, err
	}
	var kept int
	if err := tx.GetContext(ctx, &kept, `SELECT COUNT(*) FROM signup_entries WHERE member_id = ?`, memberID); err != nil {
		return Erasure{}, err
	}
	e := Erasure{Erased: int(n), Kept: kept}
	if kept > 0 {
		e.Why = "尚未结束的活动的报名在活动结束前保留；可在「我的报名」中取消，活动结束后可再次申请删除。"
	}
	return e, nil
}

func collectProposals(ctx context.Context, tx *Tx, _ *secret.Keyring, memberID int64, loc *time.Location) (DataSection, error) {
	var rows []struct {
		Number  string    `db:"number"`
		Title   string    `db:"title"`
		State   string    `db:"state"`
		Role    string    `db:"role"`
		Created time.Time `db:"created_at"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT COALESCE(p.number, '') AS number, p.title, p.state, '提案人' AS role, p.created_at
		FROM proposals p WHERE p.proposer_id = ?
		UNION ALL SELECT COALESCE(p.number, '') AS number, p.title, p.state, '附议人' AS role, c.invited_at AS created_at
		FROM proposal_cosigners c JOIN proposals p ON p.id = c.proposal_id WHERE c.member_id = ? AND c.status = ?
		ORDER BY created_at`, memberID, memberID, CosignAgreed); err != nil {
		return DataSection{}, err
	}
	sec := DataSection{Columns: []string{"立案编号", "案由", "状态", "身份", "时间"}, Note: "联系电话加密保存，此处不显示。"}
	for _, r := range rows {
		sec.Rows = append(sec.Rows, []string{r.Number, r.Title, r.State, r.Role, r.Created.In(loc).Format("2006-01-02 15:04")})
	}
	return sec, nil
}

// eraseProposals deletes the member's drafts (never submitted) at once, with their
// invitations; submitted proposals are the congress's records and are kept.
func eraseProposals(ctx context.Context, tx *Tx, memberID int64, _ Retention) (Erasure, error) {
	var drafts []int64
	if err := tx.SelectContext(ctx, &drafts, `SELECT id FROM proposals WHERE proposer_id = ? AND state = ?
		AND id NOT IN (SELECT merged_into_id FROM proposals WHERE merged_into_id IS NOT NULL)`, memberID, ProposalDraft); err != nil {
		return Erasure{}, err
	}
	for _, id := range drafts {
		for _, q := range []string{`DELETE FROM proposal_cosigners WHERE proposal_id = ?`, `DELETE FROM proposals WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return Erasure{}, err
			}
		}
	}
	var kept int
	if err := tx.GetContext(ctx, &kept, `SELECT COUNT(*) FROM proposals WHERE proposer_id = ?`, memberID); err != nil {
		return Erasure{}, err
	}
	e := Erasure{Erased: len(drafts), Kept: kept}
	if kept > 0 {
		e.Why = "已提交的提案是教代会档案，按档案管理规定保存。"
	}
	return e, nil
}

func collectLegal(ctx context.Context, tx *Tx, keys *secret.Keyring, memberID int64, loc *time.Location) (DataSection, error) {
	cases, err := tx.LegalCasesOf(ctx, memberID)
	if err != nil {
		return DataSection{}, err
	}
	sec := DataSection{Columns: []string{"编号", "类别", "状态", "事实经过", "对方当事人", "纠纷日期", "仲裁时效截止", "办理结果", "登记时间"}}
	for _, c := range cases {
		facts, party := "", ""
		if c.Facts != "" {
			if facts, err = keys.Open(SealedLegalFacts.Ref(c.ID), c.Facts); err != nil {
				return DataSection{}, err
			}
		}
		if c.OtherParty != "" {
			if party, err = keys.Open(SealedLegalOtherParty.Ref(c.ID), c.OtherParty); err != nil {
				return DataSection{}, err
			}
		}
		sec.Rows = append(sec.Rows, []string{fmt.Sprint(c.ID), c.Category, LegalStatusNames[c.Status], facts, party, c.DisputeDate,
			c.LimitDate, c.CloseNote, c.CreatedAt.In(loc).Format("2006-01-02 15:04")})
	}
	return sec, nil
}

// eraseLegal withdraws the member's open cases and erases their texts at once; closed cases
// follow the retention rule: materials until closed + Materials, the record until closed +
// Records.
func eraseLegal(ctx context.Context, tx *Tx, memberID int64, r Retention) (Erasure, error) {
	cases, err := tx.LegalCasesOf(ctx, memberID)
	if err != nil {
		return Erasure{}, err
	}
	var e Erasure
	for _, c := range cases {
		if c.Status == LegalOpen {
			if err := tx.StepLegalCase(ctx, c, LegalStepWithdraw, "本人申请删除", "member:"+fmt.Sprint(memberID)); err != nil {
				return Erasure{}, err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE legal_cases SET facts = '', other_party = '', materials_purged_at = ? WHERE id = ?`, tx.now, c.ID); err != nil {
				return Erasure{}, err
			}
			e.Erased++
			c.ClosedAt = &tx.now
		}
		e.Kept++
		if until := dateOf(c.ClosedAt.Add(r.Records)); until > e.KeptUntil {
			e.KeptUntil = until
		}
	}
	if e.Kept > 0 {
		e.Why = fmt.Sprintf("法律援助案件按保存期限处理：材料在结案 %d 天后删除，案件记录在结案 %d 天后删除。", int(r.Materials.Hours()/24), int(r.Records.Hours()/24))
	}
	return e, nil
}

func collectConsents(ctx context.Context, tx *Tx, _ *secret.Keyring, memberID int64, loc *time.Location) (DataSection, error) {
	cs, err := tx.Consents(ctx, memberID)
	if err != nil {
		return DataSection{}, err
	}
	sec := DataSection{Columns: []string{"用途", "版本", "同意时间", "撤回时间"}}
	for _, c := range cs {
		sec.Rows = append(sec.Rows, []string{PurposeNames[c.Purpose], fmt.Sprint(c.Version), c.AcceptedAt.In(loc).Format("2006-01-02 15:04"), timeOf(c.WithdrawnAt, loc)})
	}
	return sec, nil
}

// keepConsents keeps the consent records: they prove what the member agreed to and when.
func keepConsents(ctx context.Context, tx *Tx, memberID int64, r Retention) (Erasure, error) {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM consents WHERE member_id = ?`, memberID); err != nil {
		return Erasure{}, err
	}
	e := Erasure{Kept: n}
	if n > 0 {
		e.Why = "同意与撤回的记录用于证明你作出的选择，随相关案件记录一并保存。"
	}
	return e, nil
}
