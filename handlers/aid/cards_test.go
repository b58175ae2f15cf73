package aid_test

import (
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/aid"
	"github.com/unionbot/unionbot/internal/golden"
	"github.com/unionbot/unionbot/store"
)

func sampleCase(state string) *store.AidCase {
	at := time.Date(2027, 3, 10, 2, 0, 0, 0, time.UTC)
	return &store.AidCase{ID: 12, MemberID: 1, OpenedBy: 1, BranchID: 3, BranchName: "计算机分工会", MemberName: "王芳", Kind: "critical",
		State: state, SelfPaidFen: 2000000, RequestedFen: 900000, ApprovedFen: 900000, PublicityUntil: "2027-03-17", PaidOn: "2027-03-20",
		Voucher: "记-031", Version: 4, CreatedAt: at, UpdatedAt: at}
}

// TestCardsValid renders every card for every state and every kind of viewer: each is valid
// card JSON 2.0 (unique names, forms with a submit button), private (neutral preview, no
// forwarding) where it holds case content; a few are pinned by golden files.
func TestCardsValid(t *testing.T) {
	kinds := config.DefaultAidKinds()
	k := kinds.Kind("critical")
	mats := []*store.AidMaterial{{ID: 1, Status: store.MaterialStored, Size: 2 << 20}, {ID: 2, Status: store.MaterialPending},
		{ID: 3, Status: store.MaterialRefused, Note: "文件过大"}}
	viewers := map[string]store.AidViewer{
		"applicant": {MemberID: 1, BranchID: 3},
		"branch":    {MemberID: 2, BranchID: 3, Roles: []string{store.RoleBranchChair}},
		"officer":   {MemberID: 3, Roles: []string{store.RoleOfficer}},
		"welfare":   {MemberID: 4, Roles: []string{store.RoleWelfare}},
		"chair":     {MemberID: 5, Roles: []string{store.RoleChair}},
	}
	for _, state := range store.AidStates {
		for name, v := range viewers {
			a := sampleCase(state)
			cd := aid.CaseCard(aid.CaseView{Case: a, Kind: k, Materials: mats, Names: map[int64]string{1: "诊断证明.pdf"},
				Can: func(action string) bool { return store.AidCan(v, a, action) }, Headroom: "**本次最多可批 9000 元**"})
			b, err := cd.JSON()
			if err != nil {
				t.Fatalf("%s as %s: %v", state, name, err)
			}
			if !strings.Contains(string(b), `"enable_forward":false`) || !strings.Contains(string(b), `"summary":{"content":"帮扶申请"}`) {
				t.Errorf("%s as %s: not private", state, name)
			}
			if name == "applicant" && state == store.AidDraft || name == "welfare" && state == store.AidApproval || name == "officer" && state == store.AidApproved {
				golden.Card(t, "case_"+state+"_"+name, cd)
			}
		}
	}
	for _, c := range []struct {
		name string
		cd   interface{ JSON() ([]byte, error) }
	}{
		{"kinds", aid.KindsCard(kinds)},
		{"form", aid.FormCard(k, nil, aid.Details{}, 10, []string{"jpg", "pdf"})},
		{"form_hardship", aid.FormCard(kinds.Kind("hardship"), sampleCase(store.AidDraft), aid.Details{Text: "x"}, 10, []string{"pdf"})},
		{"list", aid.ListCard("我的帮扶申请", "无", []*store.AidCase{sampleCase(store.AidApproval)}, kinds)},
		{"list_empty", aid.ListCard("我的帮扶申请", "无", nil, kinds)},
		{"publicity", aid.PublicityCard(sampleCase(store.AidPublicity), kinds.Kind("hardship"), false, false)},
		{"publicity_ended", aid.PublicityCard(sampleCase(store.AidApproved), kinds.Kind("hardship"), true, true)},
		{"emergency", aid.EmergencyForm(kinds)},
	} {
		if _, err := c.cd.JSON(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	golden.Card(t, "kinds", aid.KindsCard(kinds))
	golden.Card(t, "publicity", aid.PublicityCard(sampleCase(store.AidPublicity), kinds.Kind("hardship"), false, false))
}
