package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Roles. Every member is a RoleMember; the others are granted. Admins also come from the
// configuration, which the store does not know about.
const (
	RoleMember      = "member"       // 会员
	RoleDelegate    = "delegate"     // 代表
	RoleBranchChair = "branch_chair" // 分工会主席
	RoleOfficer     = "officer"      // 工会干事
	RoleCommittee   = "committee"    // 提案委员
	RoleChair       = "chair"        // 主席
	RoleAdmin       = "admin"        // 管理员
	// RoleContact is a department's contact person (承办联系人) for staff-congress proposals.
	// The role says only that the member is one; for which department is in
	// department_contacts (store.Tx.ContactDepartments), and they act for that one only.
	RoleContact = "dept_contact" // 承办联系人
	// RoleWelfare is a member of the welfare committee (生活福利委员会): approves aid amounts.
	RoleWelfare = "welfare" // 福利委员
)

// Role sets, the one place that says who may do what, for bot.Command.Roles, bot.Action.Roles
// and bot.Sender.HasAny. An admin passes every check (bot.Sender.Has), so RoleAdmin appears
// only in AdminOnly.
var (
	// AdminOnly may grant roles, enter holidays and read the failed deliveries.
	AdminOnly = []string{RoleAdmin}
	// Officers run the union's business: activities (create, publish, export, check-in,
	// lottery) and the ten tasks (assign, decide extensions, create).
	Officers = []string{RoleOfficer, RoleChair}
	// BranchOfficers act for a branch: sign its members up and confirm their sign-ups.
	BranchOfficers = []string{RoleBranchChair, RoleOfficer, RoleChair}
	// Delegates draft proposals and co-sign them (附议).
	Delegates = []string{RoleDelegate}
	// Committee reviews proposals (立案, 并案, 转为意见建议, 不予立案, 退回修改) and assigns them.
	Committee = []string{RoleCommittee}
	// ProposalOverseers see every proposal and the proposal statistics: the committee, the
	// officers and the chair.
	ProposalOverseers = []string{RoleCommittee, RoleOfficer, RoleChair}
	// ChairOnly marks 重点提案.
	ChairOnly = []string{RoleChair}
	// Contacts answer the proposals assigned to their own department.
	Contacts = []string{RoleContact}
	// AidApprovers approve aid requests with an amount: the chair and the welfare committee.
	AidApprovers = []string{RoleChair, RoleWelfare}
	// AidChain are the roles in an aid request's review chain (分工会初审, 校工会审核, approval);
	// which case each may see and decide is store.AidCan.
	AidChain = []string{RoleBranchChair, RoleOfficer, RoleChair, RoleWelfare}
	// AidLedgerReaders export the aid ledger: officers, the chair, the welfare committee.
	AidLedgerReaders = []string{RoleOfficer, RoleChair, RoleWelfare}
)

// AllRoles lists the roles from least to most powerful.
var AllRoles = []string{RoleMember, RoleDelegate, RoleContact, RoleLawyer, RoleLegalOfficer, RoleBranchChair, RoleOfficer, RoleCommittee, RoleWelfare, RoleChair, RoleAdmin}

// RoleNames are the roles' Chinese names, as users type and read them.
var RoleNames = map[string]string{
	RoleMember:      "会员",
	RoleDelegate:    "代表",
	RoleBranchChair: "分工会主席",
	RoleOfficer:     "工会干事",
	RoleCommittee:   "提案委员",
	RoleContact:     "承办联系人",
	RoleWelfare:     "福利委员",
	RoleChair:       "主席",
	RoleAdmin:       "管理员",
	// legal aid (store/legal.go)
	RoleLegalOfficer: "法律援助专员",
	RoleLawyer:       "律师",
}

// ParseRole accepts a role's English key or Chinese name and returns the key.
func ParseRole(s string) (string, bool) {
	if slices.Contains(AllRoles, s) {
		return s, true
	}
	for k, v := range RoleNames {
		if v == s {
			return k, true
		}
	}
	return "", false
}

// Roles returns the roles granted to a member, sorted (RoleMember is implied, not listed).
func (tx *Tx) Roles(ctx context.Context, memberID int64) ([]string, error) {
	var out []string
	if err := tx.SelectContext(ctx, &out, `SELECT role FROM member_roles WHERE member_id = ? ORDER BY role`, memberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.Roles", Err: err}
	}
	return out, nil
}

// GrantRole grants role to a member, audited with actor. Granting a role already held changes
// nothing and returns false.
func (tx *Tx) GrantRole(ctx context.Context, memberID int64, role, actor string) (bool, error) {
	const op = "store.GrantRole"
	if _, ok := RoleNames[role]; !ok || role == RoleMember {
		return false, &Error{Code: EINVALID, Op: op, Message: "未知角色：" + role}
	}
	tx.MembersChanged()
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO member_roles (member_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)`,
		memberID, role, actor, tx.now)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.Audit(ctx, actor, "role", fmt.Sprint(memberID), "grant", role)
}

// RevokeRole revokes role from a member, audited with actor. Revoking a role not held changes
// nothing and returns false.
func (tx *Tx) RevokeRole(ctx context.Context, memberID int64, role, actor string) (bool, error) {
	const op = "store.RevokeRole"
	tx.MembersChanged()
	res, err := tx.ExecContext(ctx, `DELETE FROM member_roles WHERE member_id = ? AND role = ?`, memberID, role)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.Audit(ctx, actor, "role", fmt.Sprint(memberID), "revoke", role)
}

// RoleHolder is a member holding a role.
type RoleHolder struct {
	Member
	Role      string    `db:"role"`
	GrantedBy string    `db:"granted_by"`
	GrantedAt time.Time `db:"granted_at"`
}

// RoleHolders lists the holders of every granted role, by role then name.
func (db *DB) RoleHolders(ctx context.Context) ([]RoleHolder, error) {
	var out []RoleHolder
	err := db.Select(ctx, &out, `SELECT `+memberColumns+`, r.role, r.granted_by, r.granted_at`+memberFrom+
		`JOIN member_roles r ON r.member_id = m.id ORDER BY r.role, m.name, m.id`)
	if err != nil {
		return nil, fmt.Errorf("store.RoleHolders: %w", err)
	}
	return out, nil
}

// MemberRoles returns the roles granted to a member (read pool).
func (db *DB) MemberRoles(ctx context.Context, memberID int64) ([]string, error) {
	var out []string
	if err := db.Select(ctx, &out, `SELECT role FROM member_roles WHERE member_id = ? ORDER BY role`, memberID); err != nil {
		return nil, fmt.Errorf("store.MemberRoles: %w", err)
	}
	return out, nil
}

// MemberWithRoles returns the member with a Feishu open_id and their granted roles in one
// query (read pool): the router asks this for every event.
func (db *DB) MemberWithRoles(ctx context.Context, openID string) (*Member, []string, error) {
	now := time.Now()
	if m, roles, ok := db.members.get(openID, now); ok {
		return m, roles, nil
	}
	gen := db.members.generation()
	var row struct {
		Member
		Roles string `db:"roles"`
	}
	err := db.Get(ctx, &row, `SELECT `+memberColumns+`,
		COALESCE((SELECT GROUP_CONCAT(r.role) FROM member_roles r WHERE r.member_id = m.id), '') AS roles`+
		memberFrom+`WHERE m.open_id = ?`, openID)
	if err != nil {
		return nil, nil, notFound("store.MemberWithRoles", err, "找不到该成员")
	}
	var roles []string
	if row.Roles != "" {
		roles = strings.Split(row.Roles, ",")
		slices.Sort(roles)
	}
	db.members.put(gen, openID, &row.Member, roles, now)
	return &row.Member, roles, nil
}
