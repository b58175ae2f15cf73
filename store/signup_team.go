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

// Invitation statuses.
const (
	InviteOpen      = "invited"
	InviteAccepted  = "accepted"
	InviteDeclined  = "declined"
	InviteWithdrawn = "withdrawn"
)

// Invite is an invitation to join a team.
type Invite struct {
	ID        int64     `db:"id"`
	TeamID    int64     `db:"team_id"`
	MemberID  int64     `db:"member_id"`
	Status    string    `db:"status"`
	InvitedBy int64     `db:"invited_by"`
	CreatedAt time.Time `db:"created_at"`
	OpenID    string    `db:"open_id"` // the invitee's
	Name      string    `db:"name"`
}

// MaxTeamNameLen bounds a team's name.
const MaxTeamNameLen = 20

// TeamRequest is a captain creating a team.
type TeamRequest struct {
	Activity *Activity
	ItemID   int64
	Name     string
	BranchID int64 // the 分工会 the team enters for; 0: the captain's
	Captain  *MemberFacts
	IDCipher string // insured events: the captain's ID number, sealed
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
	if a.NeedsInsurance && req.IDCipher == "" {
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
	if err := tx.insertEntry(ctx, e, req.IDCipher, 0); err != nil {
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

// InviteToTeam invites members to a team, by its captain. All or nothing: any invitee who
// cannot join (already in another team, ineligible, the team would exceed its size) refuses
// the whole request with the reason naming that person. The created invitations are returned
// for the caller to send each invitee a card.
func (tx *Tx) InviteToTeam(ctx context.Context, teamID, captainID int64, invitees []*MemberFacts, actor string, loc *time.Location) ([]*Invite, error) {
	const op = "store.InviteToTeam"
	t, err := tx.Team(ctx, teamID)
	if err != nil {
		return nil, err
	}
	if t.CaptainID != captainID {
		return nil, &Error{Code: EUNAUTHORIZED, Op: op, Message: "只有队长可以邀请队员。"}
	}
	a, err := tx.activityForUpdate(ctx, t.ActivityID)
	if err != nil {
		return nil, err
	}
	if t.Status == EntryCancelled || t.Status == EntryRejected {
		return nil, &Error{Code: EINVALID, Op: op, Message: "队伍已撤销，不能再邀请队员。"}
	}
	if s := a.SignupState(tx.now, loc); s != "" {
		return nil, &Error{Code: EINVALID, Op: op, Message: s}
	}
	if len(invitees) == 0 {
		return nil, &Error{Code: EINVALID, Op: op, Message: "请选择要邀请的队员。"}
	}
	d, err := tx.TeamDetail(ctx, teamID)
	if err != nil {
		return nil, err
	}
	it := a.Item(t.ItemID)
	if n := len(d.Members) + len(d.Invites) + len(invitees); it.TeamMax > 0 && n > it.TeamMax {
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("队伍最多 %d 人（含队长）：现有 %d 人、待回复邀请 %d 人，不能再邀请 %d 人。",
			it.TeamMax, len(d.Members), len(d.Invites), len(invitees))}
	}
	seen := map[int64]bool{}
	for _, m := range d.Members {
		seen[m.MemberID] = true
	}
	for _, inv := range d.Invites {
		seen[inv.MemberID] = true
	}
	for _, m := range invitees {
		if seen[m.ID] {
			return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("「%s」已在本队或已被邀请。", m.Name)}
		}
		seen[m.ID] = true
		if why := a.Ineligible(m, it, loc); why != "" {
			return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("「%s」不能参加：%s", m.Name, why)}
		}
		if err := tx.inviteeFree(ctx, a, it, m); err != nil {
			return nil, err
		}
	}
	var out []*Invite
	for _, m := range invitees {
		inv := &Invite{TeamID: teamID, MemberID: m.ID, Status: InviteOpen, InvitedBy: captainID, CreatedAt: tx.now, OpenID: m.OpenID, Name: m.Name}
		res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO signup_invites (team_id, member_id, status, invited_by, created_at)
			VALUES (?, ?, 'invited', ?, ?)`, teamID, m.ID, captainID, tx.now)
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if n, _ := res.RowsAffected(); n == 0 { // invited before and declined: ask again
			if _, err := tx.ExecContext(ctx, `UPDATE signup_invites SET status = 'invited', invited_by = ?, created_at = ?, decided_at = NULL
				WHERE team_id = ? AND member_id = ?`, captainID, tx.now, teamID, m.ID); err != nil {
				return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
			}
		}
		if err := tx.GetContext(ctx, &inv.ID, `SELECT id FROM signup_invites WHERE team_id = ? AND member_id = ?`, teamID, m.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if err := tx.Audit(ctx, actor, "team", fmt.Sprint(teamID), "invite", fmt.Sprint("member ", m.ID)); err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

// inviteeFree refuses a person already in a team of the item, or (不得兼项) in another item.
func (tx *Tx) inviteeFree(ctx context.Context, a *Activity, it *ActivityItem, m *MemberFacts) error {
	own, err := tx.MemberEntries(ctx, a.ID, m.ID)
	if err != nil {
		return err
	}
	for _, e := range own {
		if e.ItemID == it.ID {
			var team string
			tx.GetContext(ctx, &team, `SELECT COALESCE((SELECT name FROM signup_teams WHERE id = ?), '')`, e.TeamID)
			return &Error{Code: EINVALID, Op: "store.InviteToTeam", Message: fmt.Sprintf("「%s」已在另一支队伍（%s）中，每人只能参加一支队伍。", m.Name, team)}
		}
		if a.OneItemPerPerson {
			return &Error{Code: EINVALID, Op: "store.InviteToTeam", Message: fmt.Sprintf("「%s」已报名其他项目，本活动不得兼项。", m.Name)}
		}
	}
	return nil
}

// InviteAnswer is the outcome of an invitee's answer.
type InviteAnswer struct {
	InviteID int64
	Accepted bool
	Team     *Team
	Entry    *Entry      // accepted: the new entry
	Captain  Participant // to be told either way (no OpenID when the captain has left)
}

// AnswerInvite records an invitee's own answer. Accepting checks the rules again (sign-up
// open, eligibility, one team per person, team size) and enters the member with the team's
// status.
func (tx *Tx) AnswerInvite(ctx context.Context, inviteID int64, m *MemberFacts, accept bool, idCipher, idMasked, actor string, loc *time.Location) (*InviteAnswer, error) {
	const op = "store.AnswerInvite"
	var inv Invite
	if err := tx.GetContext(ctx, &inv, `SELECT i.id, i.team_id, i.member_id, i.status, i.invited_by, i.created_at,
		'' AS open_id, '' AS name FROM signup_invites i WHERE i.id = ?`, inviteID); err != nil {
		return nil, notFound(op, err, "找不到这份邀请。")
	}
	if inv.MemberID != m.ID {
		return nil, &Error{Code: EUNAUTHORIZED, Op: op, Message: "这份邀请不是发给你的。"}
	}
	if inv.Status != InviteOpen {
		return nil, &Error{Code: EINVALID, Op: op, Message: "这份邀请已经处理过了（" + map[string]string{InviteAccepted: "已接受", InviteDeclined: "已谢绝", InviteWithdrawn: "已撤回"}[inv.Status] + "）。"}
	}
	t, err := tx.Team(ctx, inv.TeamID)
	if err != nil {
		return nil, err
	}
	a, err := tx.activityForUpdate(ctx, t.ActivityID)
	if err != nil {
		return nil, err
	}
	ans := &InviteAnswer{InviteID: inv.ID, Accepted: accept, Team: t}
	if err := tx.GetContext(ctx, &ans.Captain, participantQuery+`WHERE e.team_id = ? AND e.role = 'captain' AND e.live_member IS NOT NULL`, t.ID); err != nil && !errNoRow(err) {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if t.Status == EntryCancelled || t.Status == EntryRejected {
		return nil, &Error{Code: EINVALID, Op: op, Message: "该队伍已撤销。"}
	}
	status := InviteDeclined
	if accept {
		status = InviteAccepted
		if s := a.SignupState(tx.now, loc); s != "" {
			return nil, &Error{Code: EINVALID, Op: op, Message: s}
		}
		it := a.Item(t.ItemID)
		if why := a.Ineligible(m, it, loc); why != "" {
			return nil, &Error{Code: EINVALID, Op: op, Message: why}
		}
		if a.NeedsInsurance && idCipher == "" {
			return nil, &Error{Code: EINVALID, Op: op, Message: "本活动需要购买保险，加入队伍须填写身份证号。"}
		}
		if err := tx.inviteeFree(ctx, a, it, m); err != nil {
			if e, ok := err.(*Error); ok {
				e.Message = strings.Replace(e.Message, "「"+m.Name+"」", "你", 1)
			}
			return nil, err
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM signup_entries WHERE team_id = ? AND live_member IS NOT NULL`, t.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if it.TeamMax > 0 && n >= it.TeamMax {
			return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("队伍已满（最多 %d 人）。", it.TeamMax)}
		}
		e := &Entry{ActivityID: a.ID, ItemID: it.ID, MemberID: m.ID, BranchID: t.BranchID, TeamID: t.ID, Role: RoleTeamMember,
			Status: t.Status, Position: t.Position, IDMasked: idMasked}
		if err := tx.insertEntry(ctx, e, idCipher, 0); err != nil {
			return nil, err
		}
		ans.Entry = e
	}
	if _, err := tx.ExecContext(ctx, `UPDATE signup_invites SET status = ?, decided_at = ? WHERE id = ?`, status, tx.now, inv.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := tx.Audit(ctx, actor, "team", fmt.Sprint(t.ID), "invite_"+status, fmt.Sprint("member ", m.ID)); err != nil {
		return nil, err
	}
	return ans, nil
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
