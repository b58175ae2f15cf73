package config

import (
	"strings"
	"testing"
)

// TestProposalsValidate: each bad proposals.* value is named; the defaults are valid and are
// those README and config.example.yaml state.
func TestProposalsValidate(t *testing.T) {
	tests := []struct {
		name string
		set  func(x *Proposals)
		key  string
	}{
		{"bad cron", func(x *Proposals) { x.Schedule = "0 25 * * *" }, "proposals.schedule"},
		{"remind time", func(x *Proposals) { x.RemindTime = "9am" }, "proposals.remind_time"},
		{"return 0", func(x *Proposals) { x.ReturnWorkdays = 0 }, "proposals.return_workdays"},
		{"acknowledge", func(x *Proposals) { x.AcknowledgeWorkdays = -1 }, "proposals.acknowledge_workdays"},
		{"acknowledge escalate", func(x *Proposals) { x.AcknowledgeEscalateWorkdays = 0 }, "proposals.acknowledge_escalate_workdays"},
		{"cosign", func(x *Proposals) { x.CosignRemindWorkdays = 31 }, "proposals.cosign_remind_workdays"},
		{"closing", func(x *Proposals) { x.ClosingRemindDays = -1 }, "proposals.closing_remind_days"},
		{"reply days", func(x *Proposals) { x.ReplyRemindDays = "14,seven" }, "proposals.reply_remind_days"},
		{"key reply days", func(x *Proposals) { x.KeyReplyRemindDays = "3,3" }, "proposals.key_reply_remind_days"},
		{"overdue every 0", func(x *Proposals) { x.OverdueEveryWorkdays = 0 }, "proposals.overdue_every_workdays"},
		{"key overdue every 0", func(x *Proposals) { x.KeyOverdueEveryWorkdays = 0 }, "proposals.key_overdue_every_workdays"},
		{"escalate", func(x *Proposals) { x.EscalateAfterWorkdays = 61 }, "proposals.escalate_after_workdays"},
		{"rating", func(x *Proposals) { x.RatingRemindWorkdays = 0 }, "proposals.rating_remind_workdays"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.set(&c.Proposals)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.key+": ") {
				t.Errorf("Validate = %v, want a problem with %s", err, tc.key)
			}
		})
	}
	d := Default().Proposals
	if d.ReturnWorkdays != 7 || d.AcknowledgeWorkdays != 3 || d.CosignRemindWorkdays != 3 || d.ClosingRemindDays != 3 ||
		d.ReplyRemindDays != "14,7,3,1" || d.KeyReplyRemindDays != "21,14,7,3,1" || d.OverdueEveryWorkdays != 3 ||
		d.KeyOverdueEveryWorkdays != 1 || d.EscalateAfterWorkdays != 5 {
		t.Errorf("defaults: %+v", d)
	}
}
