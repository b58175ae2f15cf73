package proposals_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// engine is a job engine on the rig's database and clock with the proposals' jobs.
func (r *rig) engine() *jobs.Engine {
	r.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := jobs.NewEngine(jobs.Options{DB: r.DB, Loc: shanghai, Log: log, Now: r.Clock.Now, Holder: "sim"})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := proposals.RegisterJobs(e, r.Deps); err != nil {
		r.t.Fatal(err)
	}
	return e
}

// runDay runs every proposals job at 09:00 of the day, as the daily wake-up does.
func (r *rig) runDay(e *jobs.Engine, d time.Time) {
	r.t.Helper()
	wake := time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, shanghai)
	r.Clock.Set(wake)
	for _, name := range proposals.JobNames {
		if err := e.RunJob(context.Background(), name, wake); err != nil {
			r.t.Fatalf("%s at %s: %v", name, wake, err)
		}
	}
}

// reminders lists the proposals' reminders as "what proposal recipient" → the local dates
// they were due on, with the proposals named by label (their id → label) and the session "S".
func (r *rig) reminders(labels map[int64]string) map[string][]string {
	r.t.Helper()
	var rows []struct {
		Key    string    `db:"reminder_key"`
		Due    time.Time `db:"due_at"`
		Status string    `db:"status"`
	}
	if err := r.DB.Select(context.Background(), &rows, `SELECT reminder_key, due_at, status FROM reminders WHERE job LIKE 'proposals.%' ORDER BY due_at, reminder_key`); err != nil {
		r.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, row := range rows {
		parts := strings.Split(row.Key, ":")
		entity := strings.Split(parts[1], ".")[0]
		label := "S"
		for id, l := range labels {
			if fmt.Sprint(id) == entity && parts[0] != "proposal.closing" {
				label = l
			}
		}
		due := row.Due.In(shanghai)
		if due.Weekday() == time.Saturday || due.Weekday() == time.Sunday || due.Hour() != 9 || row.Status != "sent" {
			r.t.Errorf("%s due %s (%s), status %s: want a workday at 09:00, sent", row.Key, due, due.Weekday(), row.Status)
		}
		k := parts[0] + " " + label + " " + parts[2]
		out[k] = append(out[k], due.Format("01-02"))
	}
	return out
}

// TestReminders drives the proposals' jobs day by day from March to June 2027 with the clock:
// 附议 invitations unanswered after 3 workdays, collection closing in 3 days, assignments not
// acknowledged (签收) after 3 workdays then the committee, reply due in 14/7/3/1 days (a 重点提案:
// 21/14/7/3/1), overdue every 3 workdays (a 重点提案: every workday) escalated to the committee
// after 5, rating due once to the raters who have not rated, and 未评价 at the rating window's
// end. Each reminder goes once, to the right people, on a workday, and none after its step is
// done.
func TestReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, prop := handlingRig(t, db)
		d2 := r.member("ou_d2", "王二", store.RoleDelegate)
		d3 := r.member("ou_d3", "赵三", store.RoleDelegate)
		d1 := r.proposalMember("ou_d1")
		if _, err := db.SQL().ExecContext(ctx, `UPDATE proposal_sessions SET cosigners_rate = 1 WHERE id = ?`, r.session.ID); err != nil {
			t.Fatal(err)
		}
		r.session.CosignersRate = true
		r.at("2027-03-10", 10) // a Wednesday; collection closes Wednesday 03-31 18:00

		// A: in co-signing, d1 and d2 invited; B: d3's draft.
		a := &store.Proposal{SessionID: r.session.ID, ProposerID: prop.ID, Title: "附议中的提案", Category: "其他", Reason: "理由理由理由理由理由理由", Suggestion: "建议建议建议建议建议建议"}
		b := &store.Proposal{SessionID: r.session.ID, ProposerID: d3.ID, Title: "未提交的草稿", Category: "其他", Reason: "理由理由理由理由理由理由", Suggestion: "建议建议建议建议建议建议"}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, p := range []*store.Proposal{a, b} {
				if err := tx.CreateProposal(ctx, p, "test"); err != nil {
					return err
				}
			}
			if err := tx.StepProposal(ctx, a, store.StepInvite, "test", store.ProposalChange{}); err != nil {
				return err
			}
			for _, m := range []int64{d1, d2.ID} {
				if _, err := tx.InviteCosigner(ctx, a.ID, m, store.CosignInvited, "test"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// H: assigned to 教务处 (主办) and 后勤处 (协办), due 04-21, co-signed by d1 and d3;
		// K: a 重点提案 assigned to 后勤处, due 04-30.
		h := r.assigned(prop, "普通提案", nil)
		for _, m := range []int64{d1, d3.ID} {
			db.SQL().ExecContext(ctx, `INSERT INTO proposal_cosigners (proposal_id, member_id, status, invited_at, answered_at) VALUES (?, ?, 'agreed', ?, ?)`,
				h, m, r.Clock.Now().UTC(), r.Clock.Now().UTC())
		}
		k := r.assigned(prop, "重点提案", map[string]any{"host": "后勤处", "due": "2027-04-30"})
		kp := r.proposal(k)
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetProposalKey(ctx, kp, true, "test") }); err != nil {
			t.Fatal(err)
		}
		if due := r.proposal(h).ReplyDue; due != "2027-04-21" {
			t.Fatalf("H due %s", due)
		}
		labels := map[int64]string{a.ID: "A", b.ID: "B", h: "H", k: "K"}
		jw, hq := r.handling(h).Departments[0].DepartmentID, r.handling(h).Departments[1].DepartmentID

		events := map[string]func(){
			"03-11": func() {
				r.click("ou_k2", with(v("proposals.acknowledge", h, r.proposal(h).Version), "department_id", hq), nil)
				r.click("ou_k2", with(v("proposals.acknowledge", k, r.proposal(k).Version), "department_id", hq), nil)
			},
			"03-12": func() {
				db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.AnswerCosign(ctx, a.ID, d1, store.CosignInvited, store.CosignAgreed, "test")
					return err
				})
			},
			"03-22": func() {
				db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.InviteCosigner(ctx, a.ID, d3.ID, store.CosignInvited, "test")
					return err
				})
			},
			"03-24": func() {
				db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.AnswerCosign(ctx, a.ID, d3.ID, store.CosignInvited, store.CosignAgreed, "test")
					return err
				})
			},
			"03-29": func() {
				db.InTx(ctx, func(tx *store.Tx) error {
					p, _ := tx.ProposalByID(ctx, a.ID)
					return tx.StepProposal(ctx, p, store.StepSubmit, "test", store.ProposalChange{Set: map[string]any{"submitted_at": tx.Now()}})
				})
			},
			"05-10": func() {
				if toast, _ := r.click("ou_k1", v("proposals.reply", h, r.proposal(h).Version), map[string]any{"class": "B", "reply": "已列入计划"}); !strings.HasPrefix(toast, "答复已提交") {
					t.Errorf("reply H: %s", toast)
				}
			},
			"05-12": func() {
				r.click("ou_k2", v("proposals.reply", k, r.proposal(k).Version), map[string]any{"class": "A", "reply": "已解决"})
			},
			"05-14": func() {
				if toast, _ := r.click("ou_prop", map[string]any{"action": "proposals.rate", "proposal_id": k, "round": 1}, map[string]any{"rating": "satisfied"}); !strings.Contains(toast, "已办结") {
					t.Errorf("rate K: %s", toast)
				}
			},
			"05-20": func() {
				r.click("ou_d1", map[string]any{"action": "proposals.rate", "proposal_id": h, "round": 1}, map[string]any{"rating": "basic"})
			},
		}
		e := r.engine()
		for d := time.Date(2027, 3, 11, 0, 0, 0, 0, shanghai); d.Before(time.Date(2027, 6, 5, 0, 0, 0, 0, shanghai)); d = d.AddDate(0, 0, 1) {
			r.runDay(e, d)
			if f := events[d.Format("01-02")]; f != nil {
				r.Clock.Set(time.Date(d.Year(), d.Month(), d.Day(), 15, 0, 0, 0, shanghai))
				f()
			}
		}
		got := r.reminders(labels)
		want := map[string][]string{
			"proposal.cosign A ou_d2":         {"03-15"},
			"proposal.closing S ou_prop":      {"03-26"},
			"proposal.closing S ou_d3":        {"03-26"},
			"proposal.ack H ou_k1":            {"03-15"},
			"proposal.ack-escalate H ou_comm": {"03-17"},
			"proposal.due-14 H ou_k1":         {"04-07"},
			"proposal.due-7 H ou_k1":          {"04-14"},
			"proposal.due-3 H ou_k1":          {"04-16"},
			"proposal.due-1 H ou_k1":          {"04-20"},
			"proposal.due-21 K ou_k2":         {"04-09"},
			"proposal.due-14 K ou_k2":         {"04-16"},
			"proposal.due-7 K ou_k2":          {"04-23"},
			"proposal.due-3 K ou_k2":          {"04-27"},
			"proposal.due-1 K ou_k2":          {"04-29"},
			"proposal.overdue H ou_k1":        {"04-22", "04-27", "04-30", "05-05", "05-10"},
			"proposal.escalate H ou_comm":     {"04-29", "05-04", "05-07"},
			"proposal.overdue K ou_k2":        {"05-03", "05-04", "05-05", "05-06", "05-07", "05-10", "05-11", "05-12"},
			"proposal.escalate K ou_comm":     {"05-10", "05-11", "05-12"},
			"proposal.rating H ou_prop":       {"05-26"},
			"proposal.rating H ou_d3":         {"05-26"},
			"proposal.unrated H ou_prop":      {"06-01"},
		}
		for key, dates := range want {
			if !slices.Equal(got[key], dates) {
				t.Errorf("%s: got %v, want %v", key, got[key], dates)
			}
		}
		for key, dates := range got {
			if want[key] == nil {
				t.Errorf("unexpected %s: %v", key, dates)
			}
		}
		if p := r.proposal(h); p.State != store.ProposalClosed || p.ClosedAt == nil {
			t.Errorf("H after the rating window: %s", p.State)
		}
		var unrated int
		db.Get(ctx, &unrated, `SELECT COUNT(*) FROM audit_log WHERE entity = 'proposal' AND entity_id = ? AND action = ? AND actor = ?`,
			fmt.Sprint(h), store.StepUnrated, "job:"+proposals.JobRating)
		if unrated != 1 {
			t.Errorf("H's unrated step in the audit trail: %d", unrated)
		}
		if msgs := r.sent("ou_prop"); !strings.Contains(msgs[len(msgs)-1], "已记为「未评价」并办结") {
			t.Errorf("proposer told: %s", msgs[len(msgs)-1])
		}
		if msgs := r.sent("ou_k1"); !slices.ContainsFunc(msgs, func(m string) bool {
			return strings.Contains(m, "交办的提案尚未签收") && strings.Contains(m, "proposals.acknowledge")
		}) {
			t.Errorf("k1's 签收 warning with its button: %v", msgs)
		}
		// A run repeated (by hand, or a second replica) sends nothing twice.
		before := len(r.reminders(labels))
		var rows int
		db.Get(ctx, &rows, `SELECT COUNT(*) FROM reminders`)
		for _, d := range []string{"2027-04-22", "2027-05-10", "2027-05-26"} {
			day, _ := time.ParseInLocation(time.DateOnly, d, shanghai)
			r.runDay(e, day)
		}
		var again int
		db.Get(ctx, &again, `SELECT COUNT(*) FROM reminders`)
		if again != rows || len(r.reminders(labels)) != before {
			t.Errorf("repeated runs: %d reminders, were %d", again, rows)
		}
		_ = jw
	})
}
