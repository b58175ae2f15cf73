package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// proposalFixture creates a session and a proposer.
func proposalFixture(t *testing.T, db *store.DB) (*store.ProposalSession, *store.Member) {
	t.Helper()
	ctx := context.Background()
	s := &store.ProposalSession{Name: "第四届第三次", Code: "4-3", CongressDate: "2027-04-15", MinCosigners: 2,
		OpensAt: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), ClosesAt: time.Date(2027, 3, 31, 10, 0, 0, 0, time.UTC)}
	m := &store.Member{OpenID: "ou_prop", Name: "张老师", EmployeeNo: "0201", Active: true}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateMember(ctx, m); err != nil {
			return err
		}
		return tx.CreateProposalSession(ctx, s, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

// TestProposalStateMachine walks every step from every state on both databases: an allowed
// step moves the proposal to the state the table says and is in the audit trail; a forbidden
// one is ECONFLICT and leaves the row (state, version) and the audit trail as they were.
func TestProposalStateMachine(t *testing.T) {
	allowed := map[string]map[string]string{ // step → from → to
		store.StepInvite:       {store.ProposalDraft: store.ProposalCosigning, store.ProposalReturned: store.ProposalCosigning},
		store.StepSubmit:       {store.ProposalDraft: store.ProposalSubmitted, store.ProposalCosigning: store.ProposalSubmitted, store.ProposalReturned: store.ProposalSubmitted},
		store.StepLate:         {store.ProposalDraft: store.ProposalSuggestion, store.ProposalCosigning: store.ProposalSuggestion, store.ProposalReturned: store.ProposalSuggestion},
		store.StepRegister:     {store.ProposalSubmitted: store.ProposalRegistered},
		store.StepMerge:        {store.ProposalSubmitted: store.ProposalMerged},
		store.StepToSuggestion: {store.ProposalSubmitted: store.ProposalSuggestion},
		store.StepReject:       {store.ProposalSubmitted: store.ProposalRejected},
		store.StepReturn:       {store.ProposalSubmitted: store.ProposalReturned},
		store.StepAssign: {store.ProposalRegistered: store.ProposalAssigned, store.ProposalSuggestion: store.ProposalAssigned,
			store.ProposalReassign: store.ProposalAssigned},
		store.StepReply:        {store.ProposalAssigned: store.ProposalReplied},
		store.StepReplyReview:  {store.ProposalAssigned: store.ProposalReviewing},
		store.StepApproveReply: {store.ProposalReviewing: store.ProposalReplied},
		store.StepRedoReply:    {store.ProposalReviewing: store.ProposalAssigned},
		store.StepRate:         {store.ProposalReplied: store.ProposalClosed},
		store.StepSecondRound:  {store.ProposalReplied: store.ProposalAssigned},
		store.StepUnrated:      {store.ProposalReplied: store.ProposalClosed},
		// The handling: a department's 退回 sends it back to the committee; 签收, extension
		// requests and decisions and the committee's deadline keep it assigned.
		store.StepDeptReturn:    {store.ProposalAssigned: store.ProposalReassign},
		store.StepAcknowledge:   {store.ProposalAssigned: store.ProposalAssigned},
		store.StepExtendRequest: {store.ProposalAssigned: store.ProposalAssigned},
		store.StepExtendGrant:   {store.ProposalAssigned: store.ProposalAssigned},
		store.StepExtendRefuse:  {store.ProposalAssigned: store.ProposalAssigned},
		store.StepSetDue:        {store.ProposalAssigned: store.ProposalAssigned},
	}
	if len(allowed) != len(store.ProposalSteps) {
		t.Fatalf("the test knows %d steps, the store %d", len(allowed), len(store.ProposalSteps))
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, m := proposalFixture(t, db)
		walked := 0
		for _, step := range store.ProposalSteps {
			for _, from := range store.ProposalStates {
				p := &store.Proposal{SessionID: s.ID, ProposerID: m.ID, Title: step + " from " + from, Category: "其他"}
				if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateProposal(ctx, p, "test") }); err != nil {
					t.Fatal(err)
				}
				if _, err := db.SQL().ExecContext(ctx, `UPDATE proposals SET state = ? WHERE id = ?`, from, p.ID); err != nil {
					t.Fatal(err)
				}
				p.State = from
				var audits int
				db.Get(ctx, &audits, `SELECT COUNT(*) FROM audit_log WHERE entity = 'proposal' AND entity_id = ?`, p.ID)
				to, want := allowed[step][from]
				next, nerr := store.ProposalNext(from, step)
				err := db.InTx(ctx, func(tx *store.Tx) error { return tx.StepProposal(ctx, p, step, "ou_x", store.ProposalChange{}) })
				var got struct {
					State   string `db:"state"`
					Version int    `db:"version"`
				}
				if err := db.Get(ctx, &got, `SELECT state, version FROM proposals WHERE id = ?`, p.ID); err != nil {
					t.Fatal(err)
				}
				var after int
				db.Get(ctx, &after, `SELECT COUNT(*) FROM audit_log WHERE entity = 'proposal' AND entity_id = ?`, p.ID)
				if want {
					walked++
					if err != nil || nerr != nil || next != to || got.State != to || got.Version != 2 || after != audits+1 {
						t.Errorf("%s from %s: err %v/%v, next %q, row %+v, audits %d→%d; want %s", step, from, err, nerr, next, got, audits, after, to)
					}
					continue
				}
				if store.ErrorCode(err) != store.ECONFLICT || store.ErrorCode(nerr) != store.ECONFLICT || store.ErrorMessage(err) == "" ||
					got.State != from || got.Version != 1 || after != audits {
					t.Errorf("%s from %s (forbidden): err %v, row %+v, audits %d→%d", step, from, err, got, audits, after)
				}
			}
		}
		if walked != 29 {
			t.Errorf("walked %d allowed transitions, want 29", walked)
		}
		// A proposal read before another change is refused (a stale card), nothing written.
		p := &store.Proposal{SessionID: s.ID, ProposerID: m.ID, Title: "stale", Category: "其他"}
		db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateProposal(ctx, p, "test") })
		stale := *p
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.StepProposal(ctx, p, store.StepInvite, "x", store.ProposalChange{})
		}); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.StepProposal(ctx, &stale, store.StepSubmit, "x", store.ProposalChange{})
		})
		if store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("stale step: %v", err)
		}
		// 附议 changes only while the proposal is in co-signing: an answer racing the
		// submission finds it submitted and is refused (the transaction rolls back).
		other := &store.Member{OpenID: "ou_cos", Name: "李老师", EmployeeNo: "0299", Active: true}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateMember(ctx, other); err != nil {
				return err
			}
			_, err := tx.InviteCosigner(ctx, p.ID, other.ID, store.CosignInvited, "x")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		p, _ = func() (*store.Proposal, error) {
			var q *store.Proposal
			err := db.InTx(ctx, func(tx *store.Tx) (err error) { q, err = tx.ProposalByID(ctx, p.ID); return err })
			return q, err
		}()
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.StepProposal(ctx, p, store.StepSubmit, "x", store.ProposalChange{})
		}); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AnswerCosign(ctx, p.ID, other.ID, store.CosignInvited, store.CosignAgreed, "x")
			return err
		})
		var status string
		db.Get(ctx, &status, `SELECT status FROM proposal_cosigners WHERE proposal_id = ?`, p.ID)
		if store.ErrorCode(err) != store.ECONFLICT || status != store.CosignInvited {
			t.Errorf("an answer after submission: %v, status %s", err, status)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.InviteCosigner(ctx, p.ID, m.ID, store.CosignAgreed, "x")
			return err
		})
		if store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("a 附议 after submission: %v", err)
		}
	})
}

// TestProposalSessionsAndDepartments: a session's defaults and rules, a duplicate refused;
// a department's contacts hold the contact role for it only, and lose it when replaced.
func TestProposalSessionsAndDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, m := proposalFixture(t, db)
		if s.ReplyWorkdays != 30 || s.RatingWorkdays != 15 || !slices.Equal(s.Categories(), store.DefaultProposalCategories) {
			t.Errorf("defaults: %+v", s)
		}
		dup := &store.ProposalSession{Name: "第四届第三次", Code: "x", CongressDate: "2027-04-15", OpensAt: s.OpensAt, ClosesAt: s.ClosesAt}
		err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateProposalSession(ctx, dup, "test") })
		if store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("duplicate session: %v", err)
		}
		for _, bad := range []store.ProposalSession{
			{Name: "", Code: "a", CongressDate: "2027-04-15", OpensAt: s.OpensAt, ClosesAt: s.ClosesAt},
			{Name: "a", Code: "a", CongressDate: "2027-04-15", OpensAt: s.ClosesAt, ClosesAt: s.OpensAt},
			{Name: "a", Code: "a", CongressDate: "明天", OpensAt: s.OpensAt, ClosesAt: s.ClosesAt},
			{Name: "a", Code: "a", CongressDate: "2027-04-15", OpensAt: s.OpensAt, ClosesAt: s.ClosesAt, MinCosigners: -1},
		} {
			if err := store.ValidateProposalSession(&bad); store.ErrorCode(err) != store.EINVALID || store.ErrorMessage(err) == "" {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		other := &store.Member{OpenID: "ou_c2", Name: "李老师", EmployeeNo: "0202", Active: true}
		var d1, d2 *store.Department
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateMember(ctx, other); err != nil {
				return err
			}
			d1 = &store.Department{Name: "教务处", Contacts: []*store.Member{m}}
			d2 = &store.Department{Name: "后勤处", Contacts: []*store.Member{other}}
			for _, d := range []*store.Department{d1, d2} {
				if created, err := tx.SaveDepartment(ctx, d, "test"); err != nil || !created {
					t.Errorf("save %s: %v %v", d.Name, created, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		db.InTx(ctx, func(tx *store.Tx) error {
			ids, _ := tx.ContactDepartments(ctx, m.ID)
			if !slices.Equal(ids, []int64{d1.ID}) {
				t.Errorf("contact of %v, want only %d", ids, d1.ID)
			}
			roles, _ := tx.Roles(ctx, m.ID)
			if !slices.Contains(roles, store.RoleContact) {
				t.Errorf("roles %v", roles)
			}
			got, err := tx.DepartmentByName(ctx, "教务处")
			if err != nil || !got.HasContact(m.ID) || got.HasContact(other.ID) {
				t.Errorf("教务处: %+v %v", got, err)
			}
			// 教务处's contact becomes 李老师: 张老师 loses the role, 李老师 keeps it.
			if created, err := tx.SaveDepartment(ctx, &store.Department{Name: "教务处", Contacts: []*store.Member{other}}, "test"); err != nil || created {
				t.Errorf("update: %v %v", created, err)
			}
			roles, _ = tx.Roles(ctx, m.ID)
			if slices.Contains(roles, store.RoleContact) {
				t.Errorf("former contact keeps the role: %v", roles)
			}
			ids, _ = tx.ContactDepartments(ctx, other.ID)
			if len(ids) != 2 {
				t.Errorf("李老师 contact of %v", ids)
			}
			if _, err := tx.SaveDepartment(ctx, &store.Department{Name: " "}, "test"); store.ErrorCode(err) != store.EINVALID {
				t.Errorf("empty name: %v", err)
			}
			return nil
		})
	})
}
