package handlers

import (
	"context"
	"log/slog"
	"slices"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// Resolver finds the member behind an event and registers a first-time sender. It asks the
// contact API for a new member's name when the app has the scope; otherwise the member gets a
// placeholder name and is asked to complete their profile.
type Resolver struct {
	DB     *store.DB
	Lark   *lark.Client // nil: no contact lookups
	Admins []string
	Log    *slog.Logger
}

// PlaceholderName is the name of a member whose real name is not known yet.
const PlaceholderName = "新成员"

// Resolve implements bot.Resolver.
func (r *Resolver) Resolve(ctx context.Context, id bot.Identity) (*bot.Sender, error) {
	m, roles, err := r.DB.MemberWithRoles(ctx, id.OpenID)
	isNew := false
	if store.ErrorCode(err) == store.ENOTFOUND {
		m, isNew, err = r.register(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if slices.Contains(r.Admins, id.OpenID) && !slices.Contains(roles, store.RoleAdmin) {
		roles = append(roles, store.RoleAdmin)
	}
	return &bot.Sender{OpenID: id.OpenID, MemberID: m.ID, Name: m.Name, Roles: roles, New: isNew, Member: m}, nil
}

func (r *Resolver) register(ctx context.Context, id bot.Identity) (*store.Member, bool, error) {
	m := &store.Member{OpenID: id.OpenID, UnionID: id.UnionID, UserID: id.UserID, Name: PlaceholderName, Placeholder: true}
	if name, empNo := r.lookup(ctx, id.OpenID); name != "" {
		m.Name, m.Placeholder = name, false
		_ = empNo // 工号 from the directory is not trusted to match the union's roster: not stored
	}
	var got *store.Member
	var created bool
	err := r.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		got, created, err = tx.RegisterMember(ctx, m)
		return err
	})
	return got, created, err
}

// lookup asks the contact API for a user's name; "" when the app lacks the scope or the call
// fails (within a short budget: the user is waiting).
func (r *Resolver) lookup(ctx context.Context, openID string) (name, employeeNo string) {
	if r.Lark == nil {
		return "", ""
	}
	ctx, cancel := context.WithTimeout(ctx, 800*time.Millisecond)
	defer cancel()
	resp, err := r.Lark.Contact.V3.User.Get(ctx, larkcontact.NewGetUserReqBuilder().
		UserId(openID).UserIdType(larkcontact.UserIdTypeOpenId).Build())
	if err != nil {
		r.Log.Warn("contact lookup failed", "err", err)
		return "", ""
	}
	if !resp.Success() || resp.Data == nil || resp.Data.User == nil {
		r.Log.Info("contact lookup refused; registering with a placeholder name", "code", resp.Code)
		return "", ""
	}
	u := resp.Data.User
	if u.Name != nil {
		name = *u.Name
	}
	if u.EmployeeNo != nil {
		employeeNo = *u.EmployeeNo
	}
	return name, employeeNo
}
