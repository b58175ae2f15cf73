package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// ProposalStats are the figures of a session, or of one category, department or 代表团 in it,
// computed from the proposals on each request, never stored. Every figure after Rejected is
// over registered proposals (立案, those with a 立案编号) only. A proposal's rating is its
// proposer's rating of its current round.
type ProposalStats struct {
	Collected    int // 征集数: submitted before the close (a late one, taken as 意见建议, is not)
	Registered   int // 立案数: with a 立案编号 (for a department: those it is 主办 of)
	Merged       int // 并案数: merged into another proposal
	ToSuggestion int // 转建议数: converted to 意见建议 by the committee
	Rejected     int // 不立案数
	Returned     int // 退回数: returned to the proposer for changes (退回修改) at least once
	Replied      int // 已答复: answered at least once
	Answered     int // 本轮已答复: the current round's reply is in (awaiting the rating, or closed)
	OnTime       int // of Answered, replied on or before the deadline in force (union's time zone)
	Closed       int // 办结
	Overdue      int // awaiting the current round's reply past its deadline (today, union's time zone)
	SecondRound  int // in or past a second round (不满意 in the first)
	Extended     int // with an extension of the reply deadline granted (延期)
	DeptReturned int // returned by a department as mis-assigned (部门退回) at least once; for a department, by it
	Satisfied    int // 满意
	Basic        int // 基本满意
	Unsatisfied  int // 不满意
	Unrated      int // 未评价: answered, no rating of the round (awaited, or closed unrated)
	ClassA       int
	ClassB       int
	ClassC       int
	ClassD       int
	Helper       int // departments only: registered proposals it is 协办 of
}

// Rated is the number of registered proposals rated in their current round.
func (s ProposalStats) Rated() int { return s.Satisfied + s.Basic + s.Unsatisfied }

// Percent is n/d as a percentage with one decimal ("—" when d is 0).
func Percent(n, d int) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(n)*100/float64(d))
}

// RegisterRate is 立案率 = 立案/征集; ReplyRate 办复率 = 已答复/立案; OnTimeRate 按时答复率 =
// 按时答复/本轮已答复; CloseRate 办结率 = 办结/立案; SatisfactionRate 满意率 = (满意+基本满意)/已评价.
func (s ProposalStats) RegisterRate() string     { return Percent(s.Registered, s.Collected) }
func (s ProposalStats) ReplyRate() string        { return Percent(s.Replied, s.Registered) }
func (s ProposalStats) OnTimeRate() string       { return Percent(s.OnTime, s.Answered) }
func (s ProposalStats) CloseRate() string        { return Percent(s.Closed, s.Registered) }
func (s ProposalStats) SatisfactionRate() string { return Percent(s.Satisfied+s.Basic, s.Rated()) }

// ProposalGroup is the figures of one category, department or 代表团.
type ProposalGroup struct {
	Name string
	ProposalStats
}

// ProposalReport is a session's statistics: the totals, and the same figures per category (the
// session's categories in order, then any other), per 主办 department and per 代表团 (the
// proposer's 分工会), each by name. A department has the handling figures (立案数 onwards) of the
// registered proposals it is 主办 of, and counts those it is 协办 of in Helper only; its
// collection figures (征集 to 退回) are zero, and its DeptReturned counts the proposals it
// returned itself.
type ProposalReport struct {
	Total       ProposalStats
	Categories  []ProposalGroup
	Departments []ProposalGroup
	Branches    []ProposalGroup
}

// NoBranch names the 代表团 of proposers without a 分工会.
const NoBranch = "（无分工会）"

// statRow is what the statistics read of one proposal.
type statRow struct {
	ID         int64      `db:"id"`
	Category   string     `db:"category"`
	Branch     string     `db:"branch"`
	State      string     `db:"state"`
	Late       bool       `db:"late"`
	Submitted  bool       `db:"submitted"`
	Registered bool       `db:"registered"`
	Decision   string     `db:"decision"`
	Round      int        `db:"round"`
	ReplyDue   string     `db:"reply_due"`
	RepliedAt  *time.Time `db:"replied_at"`
	// SentAt is when the 主办 sent its reply; with 答复审核 the proposer gets it later (RepliedAt).
	SentAt     *time.Time `db:"reply_submitted_at"`
	ReplyClass string     `db:"reply_class"`
	Rating     string     `db:"rating"`
	returned   bool
	extended   bool
	deptRet    []string // the departments that returned it (distinct)
}

// add counts r into st; today is the date in the union's zone, loc that zone.
func (st *ProposalStats) add(r *statRow, today string, loc *time.Location) {
	st.collect(r)
	st.handle(r, today, loc)
}

// collect counts the figures of the collection and the review (征集 to 退回).
func (st *ProposalStats) collect(r *statRow) {
	if r.Submitted && !r.Late {
		st.Collected++
	}
	switch {
	case r.State == ProposalMerged:
		st.Merged++
	case r.State == ProposalRejected:
		st.Rejected++
	}
	if r.Decision == StepToSuggestion {
		st.ToSuggestion++
	}
	if r.returned {
		st.Returned++
	}
}

// handle counts the figures of a registered proposal's handling (立案 onwards).
func (st *ProposalStats) handle(r *statRow, today string, loc *time.Location) {
	if !r.Registered {
		return
	}
	st.Registered++
	if r.RepliedAt != nil {
		st.Replied++
	}
	answered := r.State == ProposalReplied || r.State == ProposalClosed
	if answered {
		st.Answered++
		at := r.RepliedAt
		if r.SentAt != nil {
			at = r.SentAt // the department is on time when it sent the reply in time, whatever the review took
		}
		if at != nil && r.ReplyDue != "" && at.In(loc).Format(time.DateOnly) <= r.ReplyDue {
			st.OnTime++
		}
		if r.Rating == "" {
			st.Unrated++
		}
	}
	if r.State == ProposalClosed {
		st.Closed++
	}
	if r.State == ProposalAssigned && r.ReplyDue != "" && today > r.ReplyDue {
		st.Overdue++
	}
	if r.Round >= 2 {
		st.SecondRound++
	}
	if r.extended {
		st.Extended++
	}
	if len(r.deptRet) > 0 {
		st.DeptReturned++
	}
	switch r.Rating {
	case RatingSatisfied:
		st.Satisfied++
	case RatingBasic:
		st.Basic++
	case RatingUnsatisfied:
		st.Unsatisfied++
	}
	switch r.ReplyClass {
	case "A":
		st.ClassA++
	case "B":
		st.ClassB++
	case "C":
		st.ClassC++
	case "D":
		st.ClassD++
	}
}

// ProposalReportOf computes a session's statistics from its proposals as they are now; loc is
// the union's time zone, in which deadlines are dates.
func (tx *Tx) ProposalReportOf(ctx context.Context, s *ProposalSession, loc *time.Location) (*ProposalReport, error) {
	const op = "store.ProposalReportOf"
	var rows []*statRow
	err := tx.SelectContext(ctx, &rows, `SELECT p.id, p.category, COALESCE(b.name, '') AS branch, p.state, p.late,
		CASE WHEN p.submitted_at IS NULL THEN 0 ELSE 1 END AS submitted,
		CASE WHEN p.number IS NULL THEN 0 ELSE 1 END AS registered,
		p.decision, p.round, `+taskDate(tx.db.Dialect, "p.reply_due")+` AS reply_due, p.replied_at, p.reply_submitted_at, p.reply_class,
		COALESCE(r.rating, '') AS rating
		FROM proposals p JOIN members m ON m.id = p.proposer_id LEFT JOIN branches b ON b.id = m.branch_id
		LEFT JOIN proposal_ratings r ON r.proposal_id = p.id AND r.round = p.round AND r.member_id = p.proposer_id
		WHERE p.session_id = ? AND p.state <> ? ORDER BY p.id`, s.ID, ProposalDraft)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	byID := make(map[int64]*statRow, len(rows))
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
		ids = append(ids, strconv.FormatInt(r.ID, 10))
	}
	var depts []struct {
		ProposalID int64  `db:"proposal_id"`
		Name       string `db:"name"`
		Role       string `db:"role"`
	}
	if err := tx.SelectContext(ctx, &depts, `SELECT pd.proposal_id, d.name, pd.role FROM proposal_departments pd
		JOIN departments d ON d.id = pd.department_id JOIN proposals p ON p.id = pd.proposal_id
		WHERE p.session_id = ? AND p.number IS NOT NULL`, s.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if len(ids) > 0 {
		// The 退回修改 of each proposal are in the audit trail (its state moves on).
		q, args, err := sqlx.In(`SELECT DISTINCT entity_id FROM audit_log WHERE entity = 'proposal' AND entity_id IN (?) AND action = ?`, ids, StepReturn)
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		var returned []string
		if err := tx.SelectContext(ctx, &returned, q, args...); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		for _, id := range returned {
			n, _ := strconv.ParseInt(id, 10, 64)
			if r := byID[n]; r != nil {
				r.returned = true
			}
		}
	}

	// Extensions granted and departments' 退回 (proposal_extensions, proposal_returns).
	var exts []int64
	if err := tx.SelectContext(ctx, &exts, `SELECT DISTINCT e.proposal_id FROM proposal_extensions e JOIN proposals p ON p.id = e.proposal_id
		WHERE p.session_id = ? AND e.status = ?`, s.ID, ExtensionApproved); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, id := range exts {
		if r := byID[id]; r != nil {
			r.extended = true
		}
	}
	var rets []struct {
		ProposalID int64  `db:"proposal_id"`
		Name       string `db:"name"`
	}
	if err := tx.SelectContext(ctx, &rets, `SELECT DISTINCT r.proposal_id, d.name FROM proposal_returns r JOIN departments d ON d.id = r.department_id
		JOIN proposals p ON p.id = r.proposal_id WHERE p.session_id = ? ORDER BY r.proposal_id, d.name`, s.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, x := range rets {
		if r := byID[x.ProposalID]; r != nil {
			r.deptRet = append(r.deptRet, x.Name)
		}
	}

	today := tx.now.In(loc).Format(time.DateOnly)
	rep := &ProposalReport{}
	cats, branches, hosts := newGroups(s.Categories()), newGroups(nil), newGroups(nil)
	for _, r := range rows {
		rep.Total.add(r, today, loc)
		cats.get(r.Category).add(r, today, loc)
		b := r.Branch
		if b == "" {
			b = NoBranch
		}
		branches.get(b).add(r, today, loc)
	}
	for _, d := range depts {
		r := byID[d.ProposalID]
		if r == nil {
			continue
		}
		if d.Role == DeptHost {
			hosts.get(d.Name).handle(r, today, loc)
		} else {
			hosts.get(d.Name).Helper++
		}
	}
	// A department's 部门退回 are the proposals it returned, whoever hosts them now.
	for _, g := range hosts.order {
		g.DeptReturned = 0
	}
	for _, r := range rows {
		if r.Registered {
			for _, d := range r.deptRet {
				hosts.get(d).DeptReturned++
			}
		}
	}
	rep.Categories = cats.list(false)
	rep.Branches = branches.list(true)
	rep.Departments = hosts.list(true)
	return rep, nil
}

// groups collects ProposalGroups by name, keeping a fixed order for the names given first.
type groups struct {
	fixed int
	order []*ProposalGroup
	by    map[string]*ProposalGroup
}

func newGroups(names []string) *groups {
	g := &groups{by: map[string]*ProposalGroup{}}
	for _, n := range names {
		g.get(n)
	}
	g.fixed = len(g.order)
	return g
}

func (g *groups) get(name string) *ProposalStats {
	x := g.by[name]
	if x == nil {
		x = &ProposalGroup{Name: name}
		g.by[name] = x
		g.order = append(g.order, x)
	}
	return &x.ProposalStats
}

// list returns the groups: the fixed ones in their order, then the others by name; sorted
// instead puts every group with the most registered (then collected) proposals first.
func (g *groups) list(sorted bool) []ProposalGroup {
	rest := g.order[g.fixed:]
	slices.SortFunc(rest, func(a, b *ProposalGroup) int { return cmp.Compare(a.Name, b.Name) })
	all := g.order
	if sorted {
		slices.SortStableFunc(all, func(a, b *ProposalGroup) int {
			return cmp.Or(cmp.Compare(b.Registered, a.Registered), cmp.Compare(b.Collected, a.Collected))
		})
	}
	out := make([]ProposalGroup, len(all))
	for i, x := range all {
		out[i] = *x
	}
	return out
}
