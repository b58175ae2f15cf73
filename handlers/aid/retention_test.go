package aid_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// purger is the privacy.purge job of the rig's configuration, run at a given instant.
func (r *rig) purger() func(at time.Time) {
	r.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := jobs.NewEngine(jobs.Options{DB: r.DB, Loc: shanghai, Log: log})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := privacy.RegisterJobs(e, handlers.Deps{DB: r.DB, Loc: shanghai, Log: log, Config: r.cfg}); err != nil {
		r.t.Fatal(err)
	}
	return func(at time.Time) {
		r.t.Helper()
		r.Clock.Set(at)
		if err := e.RunJob(context.Background(), privacy.JobPurge, at); err != nil {
			r.t.Fatal(err)
		}
	}
}

// TestAidRetention: the purge job (privacy.purge, rule "aid_cases") leaves a case closed at T
// (paid, or rejected) untouched for privacy.materials_retention_days (365), then erases its
// materials and sealed texts (the card says so; the record and its line in the ledger stay),
// and deletes the case with its family claim and objections after
// privacy.records_retention_days (3650), so the year's ledger no longer has it. Approved cases
// not yet paid and drafts are never purged. Each purge is in the audit trail once, with counts
// and a date only: no name, 工号, kind, text or amount.
func TestAidRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		ctx := context.Background()
		r.member("ou_a", "王芳", "外语分工会")
		r.member("ou_b", "李雷", "外语分工会")
		r.member("ou_c", "刘主席", "机关分工会", store.RoleChair)
		r.member("ou_o", "陈干事", "机关分工会", store.RoleOfficer)
		r.member("ou_m", "钱老师", "体育分工会")

		// 困难补助 with a 公示 and an objection (so a family claim, an objection and a 公示 card are
		// its too), revoked at T after the objection.
		revoked := r.apply("ou_a", "hardship", map[string]any{"text": "胃溃疡出血住院，家中无收入", "requested": "3000", "publicity": "yes"})
		r.step("ou_a", "aid.submit", revoked, nil)
		r.step("ou_o", "aid.pass", revoked, nil)
		r.step("ou_c", "aid.approve", revoked, map[string]any{"amount": "2500"})
		r.click("ou_m", map[string]any{"action": "aid.object", "case_id": revoked}, nil)
		must(t, r.aidCase(revoked).State == store.AidPublicity, "publicity: %s", r.aidCase(revoked).State)
		T := time.Date(2027, 3, 12, 10, 0, 0, 0, shanghai)
		r.Clock.Set(T)
		r.step("ou_o", "aid.revoke", revoked, map[string]any{"note": "异议属实，收入另有来源"})
		must(t, r.aidCase(revoked).State == store.AidRejected, "revoked: %s", r.aidCase(revoked).State)
		// A 医疗补助 paid at T.
		med := r.apply("ou_a", "medical", map[string]any{"text": "胃溃疡复查", "requested": "800"})
		r.step("ou_a", "aid.submit", med, nil)
		r.step("ou_o", "aid.pass", med, nil)
		r.step("ou_c", "aid.approve", med, map[string]any{"amount": "800"})
		r.step("ou_o", "aid.pay", med, map[string]any{"paid_on": "2027-03-12 +0800", "voucher": "记-0312"})
		must(t, r.aidCase(med).State == store.AidClosed, "paid: %s", r.aidCase(med).State)
		// Approved, not yet paid; and a draft.
		open := r.apply("ou_b", "medical", map[string]any{"text": "骨折住院", "requested": "600"})
		r.step("ou_b", "aid.submit", open, nil)
		r.step("ou_o", "aid.pass", open, nil)
		r.step("ou_c", "aid.approve", open, map[string]any{"amount": "600"})
		draft := r.apply("ou_b", "visit_hospital", map[string]any{"text": "住院中"})
		closed := []int64{revoked, med}

		materials := func(id int64) int { return r.count(`SELECT COUNT(*) FROM aid_materials WHERE case_id = ?`, id) }
		ledger := func() int {
			rows, err := db.AidLedger(ctx, 2027)
			must(t, err == nil, "ledger: %v", err)
			total := 0
			for _, l := range rows {
				total += int(l.ApprovedFen)
			}
			return total
		}
		must(t, ledger() == 140000, "ledger before: %d", ledger())
		purge := r.purger()

		// A day short of the materials' period: nothing purged.
		purge(T.AddDate(0, 0, 364))
		for _, id := range append(closed, open, draft) {
			a := r.aidCase(id)
			must(t, a.Details != "" && a.MaterialsPurgedAt == nil && materials(id) == 1, "case %d purged early: %+v", id, a)
		}
		must(t, r.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'retention' AND entity_id = 'aid_cases'`) == 0, "audited early")

		// After it: the closed cases' materials and texts are gone; their records and the ledger stay.
		purge(T.AddDate(0, 0, 366))
		for _, id := range closed {
			a := r.aidCase(id)
			must(t, a.Details == "" && a.Reason == "" && a.MaterialsPurgedAt != nil && materials(id) == 0 && a.Kind != "",
				"case %d after a year: %+v, %d materials", id, a, materials(id))
		}
		for _, id := range []int64{open, draft} {
			a := r.aidCase(id)
			must(t, a.Details != "" && a.MaterialsPurgedAt == nil && materials(id) == 1, "open case %d purged: %+v", id, a)
		}
		must(t, ledger() == 140000, "the ledger changed with the materials: %d", ledger())
		_, cd := r.click("ou_a", map[string]any{"action": "aid.show", "case_id": med}, nil)
		must(t, strings.Contains(cd, "已按保存期限删除") && !strings.Contains(cd, "胃溃疡"), "card after the purge: %s", cd)
		purge(T.AddDate(0, 0, 367)) // nothing more to purge: no second entry
		must(t, r.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'retention' AND entity_id = 'aid_cases'`) == 1, "second materials purge audited")

		// A day short of the archive period: the records stay.
		purge(T.AddDate(0, 0, 3649))
		must(t, r.count(`SELECT COUNT(*) FROM aid_cases`) == 4, "records purged early")
		// After it: the closed cases are gone with everything of theirs; the ledger lost them.
		purge(T.AddDate(0, 0, 3651))
		for _, id := range closed {
			n := r.count(`SELECT COUNT(*) FROM aid_cases WHERE id = ?`, id) + materials(id) +
				r.count(`SELECT COUNT(*) FROM aid_objections WHERE case_id = ?`, id) + r.count(`SELECT COUNT(*) FROM aid_family_claims WHERE case_id = ?`, id) +
				r.count(`SELECT COUNT(*) FROM live_cards WHERE kind = 'aid_publicity' AND entity_id = ?`, id)
			must(t, n == 0, "%d rows left of case %d after the archive period", n, id)
		}
		must(t, r.count(`SELECT COUNT(*) FROM aid_cases WHERE id IN (?, ?)`, open, draft) == 2, "open cases deleted")
		must(t, ledger() == 60000, "ledger after the archive period: %d", ledger())

		var trail []struct {
			Actor  string `db:"actor"`
			Action string `db:"action"`
			Detail string `db:"detail"`
		}
		db.Select(ctx, &trail, `SELECT actor, action, detail FROM audit_log WHERE entity = 'retention' AND entity_id = 'aid_cases' ORDER BY id`)
		must(t, len(trail) == 2 && trail[0].Action == "purge_materials" && trail[1].Action == "purge_records" &&
			trail[0].Actor == "job:privacy.purge" && trail[0].Detail == "2 cases closed before 2027-03-13T02:00:00Z" &&
			trail[1].Detail == "2 cases closed before 2027-03-13T02:00:00Z", "purge audit trail: %+v", trail)
		for _, e := range trail {
			for _, secret := range []string{"王芳", "0a", "hardship", "medical", "胃溃疡", "异议属实", "2500", "800", "记-0312"} {
				must(t, !strings.Contains(e.Detail, secret), "the purge's audit entry holds %q: %q", secret, e.Detail)
			}
		}
		must(t, r.count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%胃溃疡%' OR detail LIKE '%异议属实%'`) == 0, "the audit trail holds case text")
	})
}
