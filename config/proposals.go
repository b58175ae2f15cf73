package config

import "time"

// Proposals configures the handling of staff-congress proposals (教代会提案) once assigned, and
// the cadence of their reminders (DOMAIN.md §2). A session's own rules (minimum 附议, reply and
// rating workdays) are the session's, not configuration. The schedule only wakes the jobs;
// what is due is computed from the proposals in the database, on the union's workday calendar.
type Proposals struct {
	// Schedule is the cron spec that wakes the proposals' reminder jobs.
	Schedule string `yaml:"schedule"`
	// RemindTime is the local time of day ("09:00") a reminder is due on its day; the jobs
	// must wake at or after it.
	RemindTime string `yaml:"remind_time"`
	// ReturnWorkdays: a department may 退回 a mis-assigned proposal within this many workdays
	// of its 交办; later the 退回 is refused.
	ReturnWorkdays int `yaml:"return_workdays"`
	// AcknowledgeWorkdays: a department that has not 签收 its assignment this many workdays
	// after 交办 gets an overdue warning (its contacts); 0 turns the warning off.
	AcknowledgeWorkdays int `yaml:"acknowledge_workdays"`
	// AcknowledgeEscalateWorkdays: this many workdays after that warning, still not
	// acknowledged, the committee (提案委员) is told.
	AcknowledgeEscalateWorkdays int `yaml:"acknowledge_escalate_workdays"`
	// CosignRemindWorkdays: a 附议 invitation not answered this many workdays after it was
	// sent is reminded to the invitee, once; 0 turns it off.
	CosignRemindWorkdays int `yaml:"cosign_remind_workdays"`
	// ClosingRemindDays: this many days before collection closes, delegates with an
	// unsubmitted draft are reminded (on the nearest workday at or before); 0 turns it off.
	ClosingRemindDays int `yaml:"closing_remind_days"`
	// ReplyRemindDays are the days before the reply deadline that the 主办's contacts are
	// reminded (each on the nearest workday at or before), comma-separated.
	ReplyRemindDays string `yaml:"reply_remind_days"`
	// KeyReplyRemindDays replaces ReplyRemindDays for 重点提案.
	KeyReplyRemindDays string `yaml:"key_reply_remind_days"`
	// OverdueEveryWorkdays: an overdue proposal's 主办 contacts are reminded on its first
	// overdue workday and then every this many workdays.
	OverdueEveryWorkdays int `yaml:"overdue_every_workdays"`
	// KeyOverdueEveryWorkdays replaces OverdueEveryWorkdays for 重点提案.
	KeyOverdueEveryWorkdays int `yaml:"key_overdue_every_workdays"`
	// EscalateAfterWorkdays: from this many overdue workdays on the committee is told too
	// (then at the same cadence); 0 turns escalation off.
	EscalateAfterWorkdays int `yaml:"escalate_after_workdays"`
	// RatingRemindWorkdays: the raters who have not rated are reminded once, this many
	// workdays before the session's rating window ends; at its end the proposal is closed as
	// 未评价.
	RatingRemindWorkdays int `yaml:"rating_remind_workdays"`
}

// Defaults of the proposals section, also documented in config.example.yaml.
const (
	defaultProposalsSchedule        = "0 9 * * *"
	defaultProposalsRemindTime      = "09:00"
	defaultProposalsReturn          = 7
	defaultProposalsAcknowledge     = 3
	defaultProposalsAckEscalate     = 2
	defaultProposalsCosignRemind    = 3
	defaultProposalsClosingRemind   = 3
	defaultProposalsReplyRemindDays = "14,7,3,1"
	defaultProposalsKeyRemindDays   = "21,14,7,3,1"
	defaultProposalsOverdueEvery    = 3
	defaultProposalsKeyOverdueEvery = 1
	defaultProposalsEscalateAfter   = 5
	defaultProposalsRatingRemind    = 3
)

func (x *Proposals) setDefaults() {
	x.Schedule = defaultProposalsSchedule
	x.RemindTime = defaultProposalsRemindTime
	x.ReturnWorkdays = defaultProposalsReturn
	x.AcknowledgeWorkdays = defaultProposalsAcknowledge
	x.AcknowledgeEscalateWorkdays = defaultProposalsAckEscalate
	x.CosignRemindWorkdays = defaultProposalsCosignRemind
	x.ClosingRemindDays = defaultProposalsClosingRemind
	x.ReplyRemindDays = defaultProposalsReplyRemindDays
	x.KeyReplyRemindDays = defaultProposalsKeyRemindDays
	x.OverdueEveryWorkdays = defaultProposalsOverdueEvery
	x.KeyOverdueEveryWorkdays = defaultProposalsKeyOverdueEvery
	x.EscalateAfterWorkdays = defaultProposalsEscalateAfter
	x.RatingRemindWorkdays = defaultProposalsRatingRemind
}

func (x *Proposals) validate(ps *Problems) {
	checkSpec(ps, "proposals.schedule", x.Schedule)
	if _, err := time.Parse("15:04", x.RemindTime); err != nil {
		appendf(ps, "proposals.remind_time", "must be a time of day such as %q, got %q", defaultProposalsRemindTime, x.RemindTime)
	}
	for _, n := range []struct {
		key     string
		v, l, h int
		what    string
	}{
		{"proposals.return_workdays", x.ReturnWorkdays, 1, 60, "1 and 60"},
		{"proposals.acknowledge_workdays", x.AcknowledgeWorkdays, 0, 30, "0 (off) and 30"},
		{"proposals.acknowledge_escalate_workdays", x.AcknowledgeEscalateWorkdays, 1, 30, "1 and 30"},
		{"proposals.cosign_remind_workdays", x.CosignRemindWorkdays, 0, 30, "0 (off) and 30"},
		{"proposals.closing_remind_days", x.ClosingRemindDays, 0, 30, "0 (off) and 30"},
		{"proposals.overdue_every_workdays", x.OverdueEveryWorkdays, 1, 30, "1 and 30"},
		{"proposals.key_overdue_every_workdays", x.KeyOverdueEveryWorkdays, 1, 30, "1 and 30"},
		{"proposals.escalate_after_workdays", x.EscalateAfterWorkdays, 0, 60, "0 (off) and 60"},
		{"proposals.rating_remind_workdays", x.RatingRemindWorkdays, 1, 30, "1 and 30"},
	} {
		if n.v < n.l || n.v > n.h {
			appendf(ps, n.key, "must be between %s, got %d", n.what, n.v)
		}
	}
	if _, err := ParseRemindDays(x.ReplyRemindDays); err != nil {
		appendf(ps, "proposals.reply_remind_days", "%v", err)
	}
	if _, err := ParseRemindDays(x.KeyReplyRemindDays); err != nil {
		appendf(ps, "proposals.key_reply_remind_days", "%v", err)
	}
}

// RemindClock returns proposals.remind_time as hours and minutes (call after Validate).
func (x *Proposals) RemindClock() (hour, minute int) {
	t, err := time.Parse("15:04", x.RemindTime)
	if err != nil {
		return 9, 0
	}
	return t.Hour(), t.Minute()
}
