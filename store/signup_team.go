package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Teams (team mode) and unit rosters (unit mode). A team holds one seat (it counts as one
// entry against the capacity and the 分工会 quota); its people each have an entry in the item
// with the team's status, so "one team per person" is the same unique key as "one entry per
// person and item". Invitations are answered by the invitee's own click.

// Team is a team in an item of a team-mode activity.
type Team struct {
	ID         int64     `db:"id"`
	ActivityID int64     `db:"activity_id"`
	ItemID     int64     `db:"item_id"`
	BranchID   int64     `db:"branch_id"`
	Name       string    `db:"name"`
	CaptainID  int64     `db:"captain_id"`
	Status     string    `db:"status"`
	Position   int       `db:"position"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
}

const teamColumns = `id, activity_id, item_id, branch_id, name, captain_id, status, position, created_at, updated_at`

// MaxTeamNameLen bounds a team's name.
const MaxTeamNameLen = 20

// TeamRequest is a captain creating a team.
type TeamRequest struct {
	Activity *Activity
	ItemID   int64
	Name     string
	BranchID int64 // the 分工会 the team enters for; 0: the captain's
	Captain  *MemberFacts
	IDNumber Sensitive // insured events: the captain's ID number
	IDMasked string
	Actor    string
	Loc      *time.Location
}

// CreateTeam creates a team with its captain's entry, taking a seat (or a waitlist position).
func (tx *Tx) CreateTeam(ctx context.Context, req TeamRequest) (*Team, error) {
	const op = "store.CreateTeam"
	a := req.Activity
	if a.EntryMode != ModeTeam {
		return nil, &Error{Code: EINVALID, Op: op, Message: "本活动不是组队报名。"}
	}
	if s := a.SignupState(tx.now, req.Loc); s != "" {
		return nil, &Error{Code: EINVALID, Op: op, Message: s}
	}
	it := a.Item(req.ItemID)
	if it == nil {
		return nil, &Error{Code: EINVALID, Op: op, Message: "请选择队伍参加的项目。"}
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		return nil, &Error{Code: EINVALID, Op: op, Message: "请填写队名。"}
	case utf8.RuneCountInString(name) > MaxTeamNameLen:
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("队名不能超过 %d 个字。", MaxTeamNameLen)}
	}
	m := req.Captain
	branch := req.BranchID
	if branch == 0 {
		branch = m.BranchID
	}
	if branch == 0 {
		return nil, &Error{Code: EINVALID, Op: op, Message: "请选择队伍代表的分工会（或先在「我的信息」中选择你的分工会）。"}
	}
	if why := a.Ineligible(m, it, req.Loc); why != "" {
		return nil, &Error{Code: EINVALID, Op: op, Message: why}
	}
	if a.NeedsInsurance && !req.IDNumber.Given() {
		return nil, &Error{Code: EINVALID, Op: op, Message: "本活动需要购买保险，报名时须填写身份证号。"}
	}
	if err := tx.checkOwnEntries(ctx, a, it.ID, m); err != nil {
		return nil, err
	}
	if err := tx.takeQuota(ctx, a, it.ID, branch, true); err != nil {
		return nil, err
	}
	t := &Team{ActivityID: a.ID, ItemID: it.ID, BranchID: branch, Name: name, CaptainID: m.ID, CreatedAt: tx.now, UpdatedAt: tx.now}
	// A team takes its seat at once (分工会主席 confirmation applies to individual entries).
	var err error
	if t.Status, t.Position, err = tx.takeSeat(ctx, a, it.ID); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO signup_teams (activity_id, item_id, branch_id, name, captain_id, status,
		position, live_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ActivityID, t.ItemID, t.BranchID, t.Name, t.CaptainID, t.Status, t.Position, t.Name, tx.now, tx.now)
	if isUniqueViolation(err) {
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("队名“%s”在该项目中已被使用，请换一个。", name), Err: err}
	} else if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	e := &Entry{ActivityID: a.ID, ItemID: it.ID, MemberID: m.ID, BranchID: branch, TeamID: t.ID, Role: RoleCaptain,
		Status: t.Status, Position: t.Position, IDMasked: req.IDMasked}
	if err := tx.insertEntry(ctx, e, req.IDNumber, 0); err != nil {
		return nil, err
	}
	return t, tx.Audit(ctx, req.Actor, "team", fmt.Sprint(t.ID), "create", fmt.Sprintf("activity %d item %d: %s", a.ID, it.ID, t.Status))
}

// Team returns a team, or ENOTFOUND.
func (tx *Tx) Team(ctx context.Context, id int64) (*Team, error) {
	var t Team
	if err := tx.GetContext(ctx, &t, `SELECT `+teamColumns+` FROM signup_teams WHERE id = ?`, id); err != nil {
		return nil, notFound("store.Team", err, "找不到该队伍。")
	}
	return &t, nil
}

// TeamMember is a person in a team.
type TeamMember struct {
	EntryID  int64  `db:"entry_id"`
	MemberID int64  `db:"member_id"`
	OpenID   string `db:"open_id"`
	Name     string `db:"name"`
	Gender   string `db:"gender"`
	Role     string `db:"role"`
	Status   string `db:"status"`
}

// TeamDetail is a team with its people and open invitations.
type TeamDetail struct {
	Team
	BranchName string
	Members    []TeamMember
	Invites    []Invite // open ones
}

// TeamDetail returns a team with its standing members and open invitations.
func (tx *Tx) TeamDetail(ctx context.Context, id int64) (*TeamDetail, error) {
	t, err := tx.Team(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &TeamDetail{Team: *t}
	if err := tx.GetContext(ctx, &d.BranchName, `SELECT COALESCE((SELECT name FROM branches WHERE id = ?), '')`, t.BranchID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.TeamDetail", Err: err}
	}
	if err := tx.SelectContext(ctx, &d.Members, `SELECT e.id AS entry_id, e.member_id, COALESCE(m.open_id, '') AS open_id,
		m.name, m.gender, e.role, e.status FROM signup_entries e JOIN members m ON m.id = e.member_id
		WHERE e.team_id = ? AND e.live_member IS NOT NULL ORDER BY CASE WHEN e.role = 'captain' THEN 0 ELSE 1 END, e.id`, id); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.TeamDetail", Err: err}
	}
	if err := tx.SelectContext(ctx, &d.Invites, `SELECT i.id, i.team_id, i.member_id, i.status, i.invited_by, i.created_at,
		COALESCE(m.open_id, '') AS open_id, m.name FROM signup_invites i JOIN members m ON m.id = i.member_id
		WHERE i.team_id = ? AND i.status = 'invited' ORDER BY i.id`, id); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.TeamDetail", Err: err}
	}
	return d, nil
}

// TeamRuleCheck is how a team stands against its item's rules (size min/max, minimum women)
// and, at the close, its 分工会's quota of teams.
type TeamRuleCheck struct {
	Size, Women int  // the team's people, and the women among them
	TooFew      bool // fewer than the item's TeamMin
	TooMany     bool // more than its TeamMax
	FewWomen    bool // fewer women than its MinWomen
	OverQuota   bool // CheckTeamsAtClose: beyond the 分工会's quota of teams (Activity.BranchQuota)
}

// OK reports whether the team complies.
func (c TeamRuleCheck) OK() bool { return !c.TooFew && !c.TooMany && !c.FewWomen && !c.OverQuota }

// CheckTeamRules checks a team's people against its item's rules (nil item: nothing to break).
func CheckTeamRules(it *ActivityItem, members []TeamMember) TeamRuleCheck {
	var c TeamRuleCheck
	if it == nil {
		return c
	}
	c.Size = len(members)
	for _, m := range members {
		if m.Gender == "F" {
			c.Women++
		}
	}
	c.TooFew = c.Size < it.TeamMin
	c.TooMany = it.TeamMax > 0 && c.Size > it.TeamMax
	c.FewWomen = c.Women < it.MinWomen
	return c
}

// cancelTeam withdraws a team: its entries and open invitations end, its seat is given back.
// It returns the team, the entries ended and the members other than the captain (who did it),
// to be told.
func (tx *Tx) cancelTeam(ctx context.Context, a *Activity, teamID int64, actor string) (*Team, []*Entry, []Participant, error) {
	const op = "store.cancelTeam"
	t, err := tx.Team(ctx, teamID)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := tx.ExecContext(ctx, `UPDATE signup_teams SET status = 'cancelled', live_name = NULL, updated_at = ?
		WHERE id = ? AND live_name IS NOT NULL`, tx.now, teamID)
	if err != nil {
		return nil, nil, nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil, nil, nil, &Error{Code: EINVALID, Op: op, Message: "队伍已经撤销了。"}
	}
	var entries []*Entry
	if err := tx.SelectContext(ctx, &entries, `SELECT `+entryColumns+` FROM signup_entries WHERE team_id = ? AND live_member IS NOT NULL`, teamID); err != nil {
		return nil, nil, nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	var people []Participant
	if err := tx.SelectContext(ctx, &people, participantQuery+`WHERE e.team_id = ? AND e.live_member IS NOT NULL AND e.role <> 'captain'`, teamID); err != nil {
		return nil, nil, nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, s := range []string{
		`UPDATE signup_entries SET status = 'cancelled', live_member = NULL, updated_at = ? WHERE team_id = ? AND live_member IS NOT NULL`,
		`UPDATE signup_invites SET status = 'withdrawn', decided_at = ? WHERE team_id = ? AND status = 'invited'`,
	} {
		if _, err := tx.ExecContext(ctx, s, tx.now, teamID); err != nil {
			return nil, nil, nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	if t.Status == EntryConfirmed {
		if err := tx.releaseSeat(ctx, a, t.ItemID); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := tx.releaseQuota(ctx, a, t.ItemID, t.BranchID); err != nil {
		return nil, nil, nil, err
	}
	return t, entries, people, tx.Audit(ctx, actor, "team", fmt.Sprint(teamID), "cancel", fmt.Sprintf("%d entries", len(entries)))
}

// TeamProblem is a team that breaks its item's rules at close.
type TeamProblem struct {
	TeamID     int64
	Name       string
	Item       *ActivityItem // its rules; nil for an activity without items
	ItemName   string
	BranchName string
	Captain    Participant
	Check      TeamRuleCheck // what it breaks
	Quota      int           // the 分工会's quota of teams, when Check.OverQuota
}

// CheckTeamsAtClose checks every standing team of an activity against its item's rules (size
// min/max, minimum women) and the 分工会 quota, for the close job. Teams that comply are not
// listed.
func (tx *Tx) CheckTeamsAtClose(ctx context.Context, activityID int64) ([]TeamProblem, error) {
	a, err := tx.Activity(ctx, activityID)
	if err != nil {
		return nil, err
	}
	if a.EntryMode != ModeTeam {
		return nil, nil
	}
	var teams []*Team
	if err := tx.SelectContext(ctx, &teams, `SELECT `+teamColumns+` FROM signup_teams WHERE activity_id = ? AND live_name IS NOT NULL
		ORDER BY item_id, created_at, id`, activityID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.CheckTeamsAtClose", Err: err}
	}
	perBranch := map[[2]int64]int{}
	var out []TeamProblem
	for _, t := range teams {
		d, err := tx.TeamDetail(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		it := a.Item(t.ItemID)
		check := CheckTeamRules(it, d.Members)
		k := [2]int64{t.ItemID, t.BranchID}
		perBranch[k]++
		check.OverQuota = a.BranchQuota > 0 && perBranch[k] > a.BranchQuota
		if check.OK() {
			continue
		}
		p := TeamProblem{TeamID: t.ID, Name: t.Name, Item: it, BranchName: d.BranchName, Check: check, Quota: a.BranchQuota}
		if it != nil {
			p.ItemName = it.Name
		}
		for _, m := range d.Members {
			if m.Role == RoleCaptain {
				p.Captain = Participant{EntryID: m.EntryID, MemberID: m.MemberID, OpenID: m.OpenID, Name: m.Name, Status: m.Status}
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// teamLeft reads what a member's departure from a team (the member left, or an officer
// cancelled the entry) left behind: the team as it stands, for its captain to be told.
func (tx *Tx) teamLeft(ctx context.Context, e *Entry) (*TeamLeft, error) {
	d, err := tx.TeamDetail(ctx, e.TeamID)
	if err != nil {
		return nil, err
	}
	l := &TeamLeft{Team: d, Entry: e}
	if err := tx.GetContext(ctx, &l.Name, `SELECT name FROM members WHERE id = ?`, e.MemberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.teamLeft", Err: err}
	}
	return l, nil
}
