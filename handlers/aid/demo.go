package aid

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/store"
)

// DemoCase is an aid request for the emulator's demo: the member (by 工号), the kind and the
// text they entered, the amounts in 元, and how far it went: Until is the state it is left in
// (store.AidBranchReview, AidUnionReview, AidApproval, AidReturned, AidApproved, AidClosed).
// Officer (a 工号) opens it as an emergency case (approved at once) instead.
type DemoCase struct {
	EmployeeNo, Kind, Text string
	Requested, Approved    int64 // 元
	Until                  string
	Reason                 string // the return's reason (AidReturned)
	Officer                string
}

// demoPNG is a tiny image, the demo's material (a photo of a receipt, as far as the bot knows).
var demoPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

// SeedDemo enters cases as the flow would (the member's consent first, the texts and a
// material sealed, each step through the state machine, audited as actor), for the emulator's
// demo.
func SeedDemo(ctx context.Context, d handlers.Deps, actor string, cases []DemoCase) error {
	h := New(d)
	if !h.keys.Enabled() {
		return fmt.Errorf("aid demo: no data key")
	}
	text, _ := privacy.TextOf(h.Config, store.PurposeAid)
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		for i, dc := range cases {
			if err := h.seedDemoCase(ctx, tx, text.Version, actor, i, dc); err != nil {
				return fmt.Errorf("aid demo: %s %s: %w", dc.EmployeeNo, dc.Kind, err)
			}
		}
		return nil
	})
}

func (h *Handlers) seedDemoCase(ctx context.Context, tx *store.Tx, version int, actor string, i int, dc DemoCase) error {
	m, err := tx.MemberByEmployeeNo(ctx, dc.EmployeeNo)
	if err != nil {
		return err
	}
	k := h.cfg.Kinds.Kind(dc.Kind)
	if k == nil {
		return fmt.Errorf("no kind %q", dc.Kind)
	}
	local := tx.Now().In(h.Loc)
	approve := store.AidChange{Set: map[string]any{"approved_fen": dc.Approved * 100, "approved_at": tx.Now(),
		"ledger_year": local.Year(), "ledger_month": int(local.Month())}}
	seal := func(a *store.AidCase) error {
		return tx.SealInto(ctx, h.keys, store.SealedAidDetails, a.ID, fmt.Sprintf(`{"text":%q}`, dc.Text))
	}
	if dc.Officer != "" {
		o, err := tx.MemberByEmployeeNo(ctx, dc.Officer)
		if err != nil {
			return err
		}
		a := &store.AidCase{MemberID: m.ID, BranchID: m.BranchID, Kind: k.Code, OpenedBy: o.ID, ApprovedFen: dc.Approved * 100}
		if err := tx.CreateEmergencyAid(ctx, a, h.Loc, actor); err != nil {
			return err
		}
		return seal(a)
	}
	if _, err := tx.AcceptConsent(ctx, m.ID, store.PurposeAid, version, m.OpenID); err != nil {
		return err
	}
	a := &store.AidCase{MemberID: m.ID, BranchID: m.BranchID, Kind: k.Code, OpenedBy: m.ID, RequestedFen: dc.Requested * 100}
	if err := tx.CreateAidCase(ctx, a, actor); err != nil {
		return err
	}
	if err := tx.SaveAidDetails(ctx, a, a.Version, actor); err != nil {
		return err
	}
	if err := seal(a); err != nil {
		return err
	}
	mat := &store.AidMaterial{CaseID: a.ID, MessageID: fmt.Sprintf("om_demo_aid_%d", i), FileKey: fmt.Sprintf("img_demo_aid_%d", i),
		ResType: "image", Ext: "png"}
	if _, err := tx.AddAidMaterial(ctx, mat); err != nil {
		return err
	}
	mat.Size = int64(len(demoPNG))
	if _, err := tx.StoreAidMaterial(ctx, mat); err != nil {
		return err
	}
	if err := tx.SealInto(ctx, h.keys, store.SealedAidMaterialName, mat.ID, "材料照片.png"); err != nil {
		return err
	}
	if err := tx.SealInto(ctx, h.keys, store.SealedAidMaterialData, mat.ID, string(demoPNG)); err != nil {
		return err
	}
	steps := map[string][]string{
		store.AidBranchReview: {store.AidStepSubmit},
		store.AidUnionReview:  {store.AidStepSubmit, store.AidStepBranchPass},
		store.AidApproval:     {store.AidStepSubmit, store.AidStepBranchPass, store.AidStepUnionPass},
		store.AidReturned:     {store.AidStepSubmit, store.AidStepBranchPass, store.AidStepReturn},
		store.AidApproved:     {store.AidStepSubmit, store.AidStepBranchPass, store.AidStepUnionPass, store.AidStepApprove},
		store.AidClosed:       {store.AidStepSubmit, store.AidStepBranchPass, store.AidStepUnionPass, store.AidStepApprove, store.AidStepPay},
	}[dc.Until]
	if steps == nil && dc.Until != store.AidDraft {
		return fmt.Errorf("unknown state %q", dc.Until)
	}
	for _, step := range steps {
		ch := store.AidChange{}
		switch step {
		case store.AidStepSubmit:
			ch.Set = map[string]any{"submitted_at": tx.Now()}
		case store.AidStepApprove:
			ch = approve
		case store.AidStepPay:
			ch.Set = map[string]any{"paid_on": local.Add(-24 * time.Hour).Format("2006-01-02"), "voucher": fmt.Sprintf("记-%03d", 100+i)}
		}
		if err := tx.StepAid(ctx, a, step, actor, ch); err != nil {
			return err
		}
		if step == store.AidStepSubmit && k.OnePerFamily {
			fam, err := tx.AidFamily(ctx, m.ID)
			if err != nil {
				return err
			}
			if err := tx.ClaimAidFamily(ctx, fam, k.Code, local.Year(), a.ID); err != nil {
				return err
			}
		}
	}
	if dc.Reason != "" {
		return tx.SealInto(ctx, h.keys, store.SealedAidReason, a.ID, dc.Reason)
	}
	return nil
}
