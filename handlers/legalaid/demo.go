package legalaid

import (
	"context"
	"fmt"
	"time"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/store"
)

// DemoCase is a case for the emulator's demo: the member (by 工号) and what they entered;
// Book takes the first free slot, Close closes it with that note.
type DemoCase struct {
	EmployeeNo, Category, Facts, OtherParty, DisputeDate string
	Urgent, Book                                         bool
	Close                                                string
}

// SeedDemo enters cases as the flow would (the member's consent first, the texts sealed, the
// conflict flag computed), at the instant now, for the emulator's demo.
func SeedDemo(ctx context.Context, d handlers.Deps, now time.Time, actor string, cases []DemoCase) error {
	h := New(d)
	text, _ := privacy.TextOf(d.Config, store.PurposeLegal)
	slots, err := h.Slots(ctx, now)
	if err != nil {
		return err
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, dc := range cases {
			m, err := tx.MemberByEmployeeNo(ctx, dc.EmployeeNo)
			if err != nil {
				return fmt.Errorf("legal demo: %s: %w", dc.EmployeeNo, err)
			}
			if _, err := tx.AcceptConsent(ctx, m.ID, store.PurposeLegal, text.Version, m.OpenID); err != nil {
				return err
			}
			in := &store.LegalIntake{MemberID: m.ID, Category: dc.Category, Urgent: dc.Urgent, Facts: dc.Facts,
				OtherParty: dc.OtherParty, DisputeDate: dc.DisputeDate}
			if err := store.ValidateLegalIntake(in); err != nil {
				return err
			}
			if in.Conflict, err = tx.LegalConflict(ctx, in.OtherParty, h.Cfg.SchoolNames); err != nil {
				return err
			}
			id, err := tx.CreateLegalCase(ctx, in, store.Sensitive{Keys: h.keys, Text: in.Facts}, store.Sensitive{Keys: h.keys, Text: in.OtherParty}, actor)
			if err != nil {
				return err
			}
			lc, err := tx.LegalCaseByID(ctx, id)
			if err != nil {
				return err
			}
			if dc.Book && len(slots) > 0 {
				if _, err := tx.BookLegalSlot(ctx, lc, slots[0].Start, slots[0].End, actor); err != nil {
					return err
				}
				slots = slots[1:]
			}
			if dc.Close != "" {
				if err := tx.StepLegalCase(ctx, lc, store.LegalStepClose, dc.Close, actor); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
