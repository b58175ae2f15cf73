package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Invitations to a team: the captain invites, each invitee answers with their own click.

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
func (tx *Tx) AnswerInvite(ctx context.Context, inviteID int64, m *MemberFacts, accept bool, idNumber Sensitive, idMasked, actor string, loc *time.Location) (*InviteAnswer, error) {
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
		if a.NeedsInsurance && !idNumber.Given() {
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
		if err := tx.insertEntry(ctx, e, idNumber, 0); err != nil {
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
