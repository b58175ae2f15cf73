package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

func aidMember(t *testing.T, db *store.DB, openID, no string) *store.Member {
	t.Helper()
	ctx := context.Background()
	m := &store.Member{OpenID: openID, Name: "成员" + no, EmployeeNo: no, Active: true}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateMember(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAidStateMachine walks every step from every state on both databases: an allowed step
// moves the case to the state the table says and is in the audit trail; a forbidden one is
// ECONFLICT with a Chinese message and leaves the row and the audit trail as they were. A
// resubmission goes back to the step that returned the case.
func TestAidStateMachine(t *testing.T) {
	allowed := map[string]map[string]string{ // step → from → to
		store.AidStepSubmit:       {store.AidDraft: store.AidBranchReview},
		store.AidStepSubmitDirect: {store.AidDraft: store.AidUnionReview},
		store.AidStepResubmit:     {store.AidReturned: store.AidUnionReview}, // returned from union_review below
		store.AidStepBranchPass:   {store.AidBranchReview: store.AidUnionReview},
		store.AidStepUnionPass:    {store.AidUnionReview: store.AidApproval},
		store.AidStepApprove:      {store.AidApproval: store.AidApproved},
		store.AidStepPublicize:    {store.AidApproval: store.AidPublicity},
		store.AidStepPublicityEnd: {store.AidPublicity: store.AidApproved},
		store.AidStepReturn:       {store.AidBranchReview: store.AidReturned, store.AidUnionReview: store.AidReturned, store.AidApproval: store.AidReturned},
		store.AidStepReject:       {store.AidBranchReview: store.AidRejected, store.AidUnionReview: store.AidRejected, store.AidApproval: store.AidRejected, store.AidPublicity: store.AidRejected},
		store.AidStepPay:          {store.AidApproved: store.AidClosed},
		store.AidStepWithdraw:     {store.AidDraft: store.AidWithdrawn, store.AidBranchReview: store.AidWithdrawn, store.AidUnionReview: store.AidWithdrawn, store.AidApproval: store.AidWithdrawn, store.AidReturned: store.AidWithdrawn},
		store.AidStepEmergency:    {},
	}
	if len(allowed) != len(store.AidSteps) {
		t.Fatalf("the test knows %d steps, the store %d", len(allowed), len(store.AidSteps))
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := aidMember(t, db, "ou_aid", "0301")
		walked := 0
		for _, step := range store.AidSteps {
			for _, from := range store.AidStates {
				a := &store.AidCase{MemberID: m.ID, OpenedBy: m.ID, Kind: "medical"}
				if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateAidCase(ctx, a, "test") }); err != nil {
					t.Fatal(err)
				}
				if _, err := db.SQL().ExecContext(ctx, `UPDATE aid_cases SET state = ?, returned_from = ? WHERE id = ?`, from, store.AidUnionReview, a.ID); err != nil {
					t.Fatal(err)
				}
				a.State, a.ReturnedFrom = from, store.AidUnionReview
				var audits int
				db.Get(ctx, &audits, `SELECT COUNT(*) FROM audit_log WHERE entity = 'aid_case' AND entity_id = ?`, a.ID)
				to, want := allowed[step][from]
				err := db.InTx(ctx, func(tx *store.Tx) error { return tx.StepAid(ctx, a, step, "ou_x", store.AidChange{}) })
				var got struct {
					State   string `db:"state"`
					Version int    `db:"version"`
				}
				if err := db.Get(ctx, &got, `SELECT state, version FROM aid_cases WHERE id = ?`, a.ID); err != nil {
					t.Fatal(err)
				}
				var after int
				db.Get(ctx, &after, `SELECT COUNT(*) FROM audit_log WHERE entity = 'aid_case' AND entity_id = ?`, a.ID)
				if want {
					walked++
					if err != nil || got.State != to || got.Version != 2 || after != audits+1 {
						t.Errorf("%s from %s: err %v, row %+v, audits %d→%d; want %s", step, from, err, got, audits, after, to)
					}
					continue
				}
				if store.ErrorCode(err) != store.ECONFLICT || store.ErrorMessage(err) == "" || got.State != from || got.Version != 1 || after != audits {
					t.Errorf("%s from %s (forbidden): err %v, row %+v, audits %d→%d", step, from, err, got, audits, after)
				}
			}
		}
		if walked != 21 {
			t.Errorf("walked %d allowed transitions, want 21", walked)
		}
		// A stale read (another change meanwhile) is refused, nothing written.
		a := &store.AidCase{MemberID: m.ID, OpenedBy: m.ID, Kind: "medical"}
		db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateAidCase(ctx, a, "test") })
		stale := *a
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.StepAid(ctx, a, store.AidStepSubmit, "x", store.AidChange{}) }); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.StepAid(ctx, &stale, store.AidStepSubmitDirect, "x", store.AidChange{})
		}); store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("stale step: %v", err)
		}
		// A return remembers the step; the resubmission goes back to it.
		for _, s := range []string{store.AidStepBranchPass, store.AidStepUnionPass, store.AidStepReturn, store.AidStepResubmit} {
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.StepAid(ctx, a, s, "x", store.AidChange{}) }); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if a.State != store.AidApproval {
			t.Errorf("resubmitted to %s, want %s", a.State, store.AidApproval)
		}
	})
}

// TestAidFamilyEnrolmentLedger: one claim per family, kind and year whatever the member of
// the family; a rejection frees it; enrolment is once a year; the ledger sums approved
// amounts of ledgered cases only.
func TestAidFamilyEnrolmentLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b, c := aidMember(t, db, "ou_a", "0401"), aidMember(t, db, "ou_b", "0402"), aidMember(t, db, "ou_c", "0403")
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.DeclareAidFamily(ctx, "F1", []int64{a.ID, b.ID}, "test") }); err != nil {
			t.Fatal(err)
		}
		var fa, fb, fc string
		db.InTx(ctx, func(tx *store.Tx) error {
			fa, _ = tx.AidFamily(ctx, a.ID)
			fb, _ = tx.AidFamily(ctx, b.ID)
			fc, _ = tx.AidFamily(ctx, c.ID)
			return nil
		})
		if fa != fb || fa == fc {
			t.Fatalf("families %q %q %q", fa, fb, fc)
		}
		ca := &store.AidCase{MemberID: a.ID, OpenedBy: a.ID, Kind: "hardship"}
		cb := &store.AidCase{MemberID: b.ID, OpenedBy: b.ID, Kind: "hardship"}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateAidCase(ctx, ca, "t"); err != nil {
				return err
			}
			if err := tx.CreateAidCase(ctx, cb, "t"); err != nil {
				return err
			}
			return tx.ClaimAidFamily(ctx, fa, "hardship", 2027, ca.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.ClaimAidFamily(ctx, fb, "hardship", 2027, cb.ID) })
		if store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("second claim of the family: %v", err)
		}
		db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.StepAid(ctx, ca, store.AidStepSubmit, "t", store.AidChange{}); err != nil {
				return err
			}
			return tx.StepAid(ctx, ca, store.AidStepReject, "t", store.AidChange{})
		})
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ClaimAidFamily(ctx, fb, "hardship", 2027, cb.ID) }); err != nil {
			t.Errorf("claim after the rejection: %v", err)
		}

		var first, second bool
		db.InTx(ctx, func(tx *store.Tx) error {
			first, _ = tx.EnrolAid(ctx, 2027, c.ID, 12000, "t")
			second, _ = tx.EnrolAid(ctx, 2027, c.ID, 12000, "t")
			return nil
		})
		var in27, in28 bool
		db.InTx(ctx, func(tx *store.Tx) error {
			in27, _ = tx.AidEnrolled(ctx, 2027, c.ID)
			in28, _ = tx.AidEnrolled(ctx, 2028, c.ID)
			return nil
		})
		if !first || second || !in27 || in28 {
			t.Errorf("enrolment: %v %v %v %v", first, second, in27, in28)
		}

		// Ledger: an emergency case counts at once; a draft does not.
		loc := time.FixedZone("CST", 8*3600)
		em := &store.AidCase{MemberID: c.ID, OpenedBy: a.ID, Kind: "warmth", ApprovedFen: 50000}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateEmergencyAid(ctx, em, loc, "t") }); err != nil {
			t.Fatal(err)
		}
		var u store.AidUse
		db.InTx(ctx, func(tx *store.Tx) error { u, err = tx.AidUsed(ctx, c.ID, "warmth", em.LedgerYear); return err })
		if u.ApprovedFen != 50000 || u.Cases != 1 {
			t.Errorf("used %+v", u)
		}
		rows, err := db.AidLedger(ctx, em.LedgerYear)
		if err != nil || len(rows) != 1 || rows[0].ApprovedFen != 50000 || !rows[0].Emergency {
			t.Errorf("ledger %+v %v", rows, err)
		}
	})
}

// TestAidPrivacyMatrix decides every action for every role (store.AllRoles, and pairs of
// roles held together), for a viewer in the case's own 分工会 and in another, on their own
// case, on a case they opened on someone's behalf and on someone else's, in every state,
// against the rules written out independently below. The branch chair's cells show that they
// see only their own 分工会's cases and only while the case waits for their 初审: once their
// review step is done (any later state) they see nothing of it.
func TestAidPrivacyMatrix(t *testing.T) {
	const branch, other = 10, 20
	viewers := [][]string{}
	for _, r := range store.AllRoles {
		viewers = append(viewers, []string{r})
	}
	viewers = append(viewers, []string{store.RoleBranchChair, store.RoleOfficer}, []string{store.RoleBranchChair, store.RoleWelfare},
		[]string{store.RoleAdmin, store.RoleOfficer}, []string{store.RoleAdmin, store.RoleBranchChair}, []string{store.RoleLegalOfficer, store.RoleLawyer},
		[]string{store.RoleDelegate, store.RoleCommittee})
	relations := []string{"own", "opened", "other"}
	cells, allowedCells := 0, 0
	for _, roles := range viewers {
		for _, viewerBranch := range []int64{branch, other} {
			for _, rel := range relations {
				for _, state := range store.AidStates {
					for _, action := range store.AidActions {
						v := store.AidViewer{MemberID: 2, BranchID: viewerBranch, Roles: roles}
						a := &store.AidCase{ID: 1, MemberID: 1, OpenedBy: 1, BranchID: branch, State: state}
						switch rel {
						case "own":
							a.MemberID, a.OpenedBy = 2, 2
						case "opened": // the viewer opened it on member 1's behalf
							a.OpenedBy = 2
						}
						got := store.AidCan(v, a, action)
						want := false
						for _, role := range roles { // holding several roles gives what each gives
							want = want || expectAid(role, viewerBranch == branch, rel, state, action)
						}
						cells++
						if got {
							allowedCells++
						}
						if got != want {
							t.Errorf("%v, own branch %v, %s case, %s, %s: got %v, want %v", roles, viewerBranch == branch, rel, state, action, got, want)
						}
					}
				}
			}
		}
	}
	if want := len(viewers) * 2 * len(relations) * len(store.AidStates) * len(store.AidActions); cells != want || allowedCells == 0 {
		t.Errorf("cells %d (want %d), allowed %d", cells, want, allowedCells)
	}
	// A case of a member without a 分工会 is never a branch chair's, nor is a branch chair
	// without a 分工会 anyone's.
	a := &store.AidCase{MemberID: 1, OpenedBy: 1, State: store.AidBranchReview}
	for _, act := range []string{store.AidActView, store.AidActMaterial, store.AidActBranch} {
		if store.AidCan(store.AidViewer{MemberID: 2, Roles: []string{store.RoleBranchChair}}, a, act) ||
			store.AidCan(store.AidViewer{MemberID: 2, BranchID: 10, Roles: []string{store.RoleBranchChair}}, a, act) {
			t.Errorf("branch chair without a branch: %s", act)
		}
	}
	// A viewer with no roles at all (an unregistered sender) sees nothing of others.
	for _, act := range store.AidActions {
		if store.AidCan(store.AidViewer{MemberID: 2, BranchID: branch}, &store.AidCase{MemberID: 1, OpenedBy: 1, BranchID: branch, State: store.AidBranchReview}, act) {
			t.Errorf("no roles: %s", act)
		}
	}
}

// expectAid is the rule of the matrix for one role, written as a table of what each role may
// do; rel is "own" (the viewer's case), "opened" (a case the viewer opened on someone's
// behalf) or "other".
func expectAid(role string, ownBranch bool, rel, state, action string) bool {
	in := func(ss ...string) bool { return slices.Contains(ss, state) }
	if rel == "own" {
		switch action {
		case store.AidActView, store.AidActMaterial:
			return true
		case store.AidActEdit:
			return in(store.AidDraft, store.AidReturned)
		case store.AidActWithdraw:
			return in(store.AidDraft, store.AidBranchReview, store.AidUnionReview, store.AidApproval, store.AidReturned)
		}
		return false // nobody decides their own case
	}
	// An officer who opened a case for a member sees and edits it while it is with the
	// applicant, the draft included; withdrawing stays the member's.
	opener := rel == "opened" && role == store.RoleOfficer
	seesAll := role == store.RoleOfficer || role == store.RoleChair || role == store.RoleWelfare
	switch action {
	case store.AidActView, store.AidActMaterial:
		if state == store.AidDraft {
			return opener
		}
		return seesAll || role == store.RoleBranchChair && ownBranch && state == store.AidBranchReview
	case store.AidActEdit:
		return opener && in(store.AidDraft, store.AidReturned)
	case store.AidActBranch:
		return role == store.RoleBranchChair && ownBranch && state == store.AidBranchReview
	case store.AidActUnion:
		return (role == store.RoleOfficer || role == store.RoleChair) && state == store.AidUnionReview
	case store.AidActApprove:
		return (role == store.RoleChair || role == store.RoleWelfare) && state == store.AidApproval
	case store.AidActPay:
		return role == store.RoleOfficer && state == store.AidApproved
	case store.AidActRevoke:
		return (role == store.RoleOfficer || role == store.RoleChair) && state == store.AidPublicity
	}
	return false
}

// TestAidConsentWithdrawn: withdrawing the aid consent stops the member's pending requests
// (drafts and cases under review) in the same transaction; decided cases stay.
func TestAidConsentWithdrawn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := aidMember(t, db, "ou_w", "0501")
		var draft, review, paid *store.AidCase
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.AcceptConsent(ctx, m.ID, store.PurposeAid, 1, "ou_w"); err != nil {
				return err
			}
			draft = &store.AidCase{MemberID: m.ID, OpenedBy: m.ID, Kind: "medical"}
			review = &store.AidCase{MemberID: m.ID, OpenedBy: m.ID, Kind: "medical"}
			paid = &store.AidCase{MemberID: m.ID, OpenedBy: m.ID, Kind: "warmth", ApprovedFen: 100}
			for _, a := range []*store.AidCase{draft, review} {
				if err := tx.CreateAidCase(ctx, a, "t"); err != nil {
					return err
				}
			}
			if err := tx.StepAid(ctx, review, store.AidStepSubmit, "t", store.AidChange{}); err != nil {
				return err
			}
			return tx.CreateEmergencyAid(ctx, paid, time.UTC, "t")
		})
		if err != nil {
			t.Fatal(err)
		}
		var stopped int
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			stopped, err = tx.WithdrawConsent(ctx, m.ID, store.PurposeAid, "ou_w")
			return err
		}); err != nil || stopped != 2 {
			t.Fatalf("stopped %d, %v", stopped, err)
		}
		for a, want := range map[*store.AidCase]string{draft: store.AidWithdrawn, review: store.AidWithdrawn, paid: store.AidApproved} {
			var got string
			db.Get(ctx, &got, `SELECT state FROM aid_cases WHERE id = ?`, a.ID)
			if got != want {
				t.Errorf("case %d: %s, want %s", a.ID, got, want)
			}
		}
	})
}
