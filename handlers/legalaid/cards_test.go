package legalaid_test

import (
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers/legalaid"
	"github.com/unionbot/unionbot/internal/golden"
	"github.com/unionbot/unionbot/store"
)

func sampleCase(status string) *legalaid.Opened {
	closed := time.Date(2025, 3, 20, 2, 0, 0, 0, time.UTC)
	lc := &store.LegalCase{ID: 7, MemberID: 1, MemberName: "王老师", BranchName: "信息工程学院分工会", Status: status, Category: "工资待遇",
		Conflict: true, DisputeDate: "2025-01-15", LimitDate: "2026-01-15", Version: 2, CreatedAt: monday}
	if status == store.LegalClosed {
		lc.CloseNote, lc.ClosedAt = "已提供咨询意见，建议申请仲裁。", &closed
	}
	lc.Booking = &store.LegalBooking{ID: 3, CaseID: 7, StartsAt: time.Date(2025, 3, 12, 6, 0, 0, 0, time.UTC), EndsAt: time.Date(2025, 3, 12, 7, 0, 0, 0, time.UTC)}
	return &legalaid.Opened{LegalCase: lc, Facts: "拖欠绩效工资三个月 <b>*</b>", OtherParty: "示范大学信息工程学院",
		Reads: []store.ReadEntry{{At: monday, Viewer: "ou_lo", ViewerID: 5, ViewerName: "周专员", What: "card"}}}
}

// TestCards pins legal aid's cards: every one is valid card JSON 2.0 and sensitive (neutral
// summary, no forwarding); what a member typed is escaped.
func TestCards(t *testing.T) {
	owner := legalaid.Viewer{Owner: true, Now: monday, Loc: shanghai}
	officer := legalaid.Viewer{Officer: true, Now: monday, Loc: shanghai}
	cards := map[string]interface{ JSON() ([]byte, error) }{
		"legal_intake":        legalaid.IntakeForm("2025-03-10"),
		"legal_case_owner":    legalaid.CaseCard(sampleCase(store.LegalOpen), owner),
		"legal_case_officer":  legalaid.CaseCard(sampleCase(store.LegalOpen), officer),
		"legal_case_closed":   legalaid.CaseCard(sampleCase(store.LegalClosed), owner),
		"legal_slots":         legalaid.SlotsCard(sampleCase(store.LegalOpen).LegalCase, []legalaid.Slot{{Start: monday.Add(52 * time.Hour), End: monday.Add(53 * time.Hour)}}, shanghai),
		"legal_list":          legalaid.ListCard([]*store.LegalCase{sampleCase(store.LegalOpen).LegalCase}),
		"legal_my_cases":      legalaid.MyCasesCard([]*store.LegalCase{sampleCase(store.LegalOpen).LegalCase}),
		"legal_slots_none":    legalaid.SlotsCard(sampleCase(store.LegalOpen).LegalCase, nil, shanghai),
		"legal_case_stranger": legalaid.CaseCard(sampleCase(store.LegalOpen), legalaid.Viewer{Now: monday, Loc: shanghai}),
	}
	for name, cd := range cards {
		b, err := cd.JSON()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := string(b)
		if !strings.Contains(s, `"enable_forward":false`) || !strings.Contains(s, `"summary":{"content":"工会助手：法律援助（仅本人可见）"}`) {
			t.Errorf("%s is not marked sensitive", name)
		}
		if strings.Contains(s, "<b>") {
			t.Errorf("%s shows typed markup", name)
		}
		if strings.HasPrefix(name, "legal_case") || name == "legal_intake" || name == "legal_slots" || name == "legal_list" {
			golden.Card(t, name, cd)
		}
	}
	if s := string(legalaid.CaseCard(sampleCase(store.LegalOpen), owner).MustJSON()); !strings.Contains(s, "还有 311 天") || !strings.Contains(s, "周专员 查看了申请") || strings.Contains(s, "legal.close") {
		t.Errorf("owner's card: %s", s)
	}
	if s := string(legalaid.CaseCard(sampleCase(store.LegalOpen), officer).MustJSON()); !strings.Contains(s, "legal.close") || strings.Contains(s, "查看记录") || strings.Contains(s, "legal.withdraw") {
		t.Errorf("officer's card: %s", s)
	}
}
