package proposals

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// Job names.
const (
	JobCosign      = "proposals.cosign"      // 附议 invitations not answered
	JobClosing     = "proposals.closing"     // collection closing, to delegates with drafts
	JobAcknowledge = "proposals.acknowledge" // assignments not acknowledged (签收)
	JobDue         = "proposals.due"         // reply due in 14/7/3/1 days
	JobOverdue     = "proposals.overdue"     // reply overdue, escalated to the committee
	JobRating      = "proposals.rating"      // rating due; 未评价 at the window's end
)

// JobNames lists the proposals' jobs.
var JobNames = []string{JobCosign, JobClosing, JobAcknowledge, JobDue, JobOverdue, JobRating}

// Cadence is the proposals' reminder jobs. Like the ten tasks' (handlers/tasks), each job
// computes, for every day whose reminder moment (the day at proposals.remind_time) lies in the
// run's window, what was due that day from the proposals in the database and the workday
// calendar, and sends it under a unique key what:proposal:recipient:date, so a repeated run, a
// crash, a second replica or a catch-up never sends anything twice. Reminders to departments
// and the committee are officer reminders (Reminder.Office); those to delegates are sent at the
// moment. Every reminder is computed on a workday.
type Cadence struct {
	*Handlers
	cfg                   config.Proposals
	remindDays, keyRemind []int
	hour, min             int
}

// NewCadence returns the jobs for d (d.Config.Proposals, or the defaults).
func NewCadence(d handlers.Deps) (*Cadence, error) {
	h := New(d)
	cfg := h.Config.Proposals
	days, err := config.ParseRemindDays(cfg.ReplyRemindDays)
	if err != nil {
		return nil, fmt.Errorf("proposals.reply_remind_days: %w", err)
	}
	key, err := config.ParseRemindDays(cfg.KeyReplyRemindDays)
	if err != nil {
		return nil, fmt.Errorf("proposals.key_reply_remind_days: %w", err)
	}
	hour, min := cfg.RemindClock()
	return &Cadence{Handlers: h, cfg: cfg, remindDays: days, keyRemind: key, hour: hour, min: min}, nil
}

// Jobs lists the proposals' jobs.
func (c *Cadence) Jobs() []jobs.Job {
	return []jobs.Job{
		{Name: JobCosign, Spec: c.cfg.Schedule, Run: c.cosign,
			Help: fmt.Sprintf("proposals: 附议 invitations unanswered after %d workdays, to the invitee", c.cfg.CosignRemindWorkdays)},
		{Name: JobClosing, Spec: c.cfg.Schedule, Run: c.closing,
			Help: fmt.Sprintf("proposals: collection closing in %d days, to delegates with drafts", c.cfg.ClosingRemindDays)},
		{Name: JobAcknowledge, Spec: c.cfg.Schedule, Run: c.acknowledgeDue,
			Help: fmt.Sprintf("proposals: assignments not acknowledged (签收) after %d workdays, to the contacts, then the committee", c.cfg.AcknowledgeWorkdays)},
		{Name: JobDue, Spec: c.cfg.Schedule, Run: c.due,
			Help: "proposals: reply due (" + c.cfg.ReplyRemindDays + " days before; 重点提案 " + c.cfg.KeyReplyRemindDays + "), to the 主办's contacts"},
		{Name: JobOverdue, Spec: c.cfg.Schedule, Run: c.overdue,
			Help: "proposals: reply overdue, to the 主办's contacts, escalated to the committee"},
		{Name: JobRating, Spec: c.cfg.Schedule, Run: c.rating,
			Help: "proposals: rating due (one reminder), then 未评价 at the rating window's end"},
	}
}

// dueAt is the reminder moment of a date: the day at proposals.remind_time.
func (c *Cadence) dueAt(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), c.hour, c.min, 0, 0, c.Loc)
}

// forEachDay runs f, in one transaction per day whose reminder moment lies in the run's
// window (oldest first), with the proposals in the states.
func (c *Cadence) forEachDay(ctx context.Context, r *jobs.Run, states []string, f func(tx *store.Tx, d time.Time, ps []*store.Proposal) error) error {
	from, to := r.Window()
	for d := r.Cal.Date(from); !d.After(to); d = d.AddDate(0, 0, 1) {
		if due := c.dueAt(d); !due.After(from) || due.After(to) {
			continue
		}
		if err := r.DB.InTx(ctx, func(tx *store.Tx) error {
			ps, err := tx.ProposalsInStates(ctx, states...)
			if err != nil {
				return err
			}
			return f(tx, d, ps)
		}); err != nil {
			return err
		}
	}
	return nil
}

// reminder is one reminder: to whom (open_ids, each once) and what.
type reminder struct {
	what, entity string    // the key's first parts: what:entity
	date         time.Time // the key's last part: the date it is about
	day          time.Time // the day it is due on (at proposals.remind_time)
	office       bool
	text         string
	card         func(to store.Member) (*card.Card, error) // or a card for each recipient
}

// send sends m to each member once, under what:entity:open_id:date.
func (c *Cadence) send(ctx context.Context, r *jobs.Run, tx *store.Tx, m reminder, to []store.Member) error {
	seen := map[string]bool{}
	for _, p := range to {
		if p.OpenID == "" || !p.Active || seen[p.OpenID] {
			continue
		}
		seen[p.OpenID] = true
		rm := jobs.Reminder{Key: fmt.Sprintf("%s:%s:%s:%s", m.what, m.entity, p.OpenID, m.date.Format(time.DateOnly)),
			Due: c.dueAt(m.day), OpenID: p.OpenID, Office: m.office, Text: m.text}
		if m.card != nil {
			cd, err := m.card(p)
			if err != nil {
				return err
			}
			rm.Card = cd
		}
		if _, err := r.Remind(ctx, tx, rm); err != nil {
			return err
		}
	}
	return nil
}

// sessions caches the sessions a run looks at.
type sessions map[int64]*store.ProposalSession

func (ss sessions) get(ctx context.Context, tx *store.Tx, id int64) (*store.ProposalSession, error) {
	if s, ok := ss[id]; ok {
		return s, nil
	}
	s, err := tx.ProposalSessionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	ss[id] = s
	return s, nil
}

// proposalCard is p's card for a member with a note on top.
func (c *Cadence) proposalCard(ctx context.Context, tx *store.Tx, at time.Time, p *store.Proposal, s *store.ProposalSession, v Viewer, title string, col card.Color, note string) (*card.Card, error) {
	cd, err := c.cardIn(ctx, tx, at, p, s, v)
	if err != nil {
		return nil, err
	}
	return cd.Prepend(card.Markdown("**" + title + "**\n" + note)).Color(col), nil
}

// cosign reminds each invitee of a 附议 invitation still unanswered
// proposals.cosign_remind_workdays workdays after it was sent, once.
func (c *Cadence) cosign(ctx context.Context, r *jobs.Run) error {
	n := c.cfg.CosignRemindWorkdays
	if n == 0 {
		return nil
	}
	ss := sessions{}
	return c.forEachDay(ctx, r, []string{store.ProposalCosigning}, func(tx *store.Tx, d time.Time, ps []*store.Proposal) error {
		for _, p := range ps {
			for _, cs := range p.Cosigners {
				invited := r.Cal.Date(cs.InvitedAt)
				if cs.Status != store.CosignInvited || !r.Cal.AddWorkdays(invited, n).Equal(d) {
					continue
				}
				s, err := ss.get(ctx, tx, p.SessionID)
				if err != nil {
					return err
				}
				m := reminder{what: "proposal.cosign", entity: fmt.Sprint(p.ID), date: invited, day: d,
					card: func(to store.Member) (*card.Card, error) {
						return c.proposalCard(ctx, tx, r.At, p, s, Viewer{MemberID: to.ID, Delegate: true}, "⏰ 附议邀请尚未答复", card.Wathet,
							fmt.Sprintf("%s邀请你附议此提案（%s），你还没有答复。请选择「同意附议」或「不同意」。", md(p.ProposerName), invited.Format("1月2日")))
					}}
				if err := c.send(ctx, r, tx, m, []store.Member{{ID: cs.MemberID, OpenID: cs.OpenID, Active: true}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// closing reminds the proposers of unsubmitted drafts proposals.closing_remind_days days before
// their session's collection closes (on the nearest workday at or before), once per session.
func (c *Cadence) closing(ctx context.Context, r *jobs.Run) error {
	n := c.cfg.ClosingRemindDays
	if n == 0 {
		return nil
	}
	ss := sessions{}
	return c.forEachDay(ctx, r, []string{store.ProposalDraft, store.ProposalCosigning, store.ProposalReturned}, func(tx *store.Tx, d time.Time, ps []*store.Proposal) error {
		drafts := map[int64]map[int64][]*store.Proposal{} // session → proposer → drafts
		var order []*store.Proposal
		for _, p := range ps {
			s, err := ss.get(ctx, tx, p.SessionID)
			if err != nil {
				return err
			}
			closes := r.Cal.Date(s.ClosesAt)
			if !r.Cal.PrevWorkday(closes.AddDate(0, 0, -n)).Equal(d) || !c.dueAt(d).Before(s.ClosesAt) {
				continue
			}
			if drafts[s.ID] == nil {
				drafts[s.ID] = map[int64][]*store.Proposal{}
			}
			if len(drafts[s.ID][p.ProposerID]) == 0 {
				order = append(order, p)
			}
			drafts[s.ID][p.ProposerID] = append(drafts[s.ID][p.ProposerID], p)
		}
		for _, first := range order {
			s := ss[first.SessionID]
			var titles []string
			for _, p := range drafts[s.ID][first.ProposerID] {
				titles = append(titles, "「"+p.Title+"」")
			}
			m := reminder{what: "proposal.closing", entity: fmt.Sprint(s.ID), date: r.Cal.Date(s.ClosesAt), day: d,
				text: fmt.Sprintf("%s提案征集将于 %s 截止。你的提案%s还没有提交，请在截止前邀请附议并提交（发送「我的提案」查看）。截止后提交的将作为意见建议处理。",
					s.Name, s.ClosesAt.In(c.Loc).Format("1月2日 15:04"), strings.Join(titles, "、"))}
			if err := c.send(ctx, r, tx, m, []store.Member{{ID: first.ProposerID, OpenID: first.ProposerOpenID, Active: true}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// contacts lists a department's contacts.
func contacts(ctx context.Context, tx *store.Tx, deptID int64) ([]store.Member, error) {
	d, err := tx.DepartmentByID(ctx, deptID)
	if err != nil {
		return nil, err
	}
	var out []store.Member
	for _, m := range d.Contacts {
		out = append(out, *m)
	}
	return out, nil
}

// acknowledgeDue warns a department's contacts when it has not acknowledged (签收) its
// assignment proposals.acknowledge_workdays workdays after 交办, and the committee
// proposals.acknowledge_escalate_workdays workdays later.
func (c *Cadence) acknowledgeDue(ctx context.Context, r *jobs.Run) error {
	n := c.cfg.AcknowledgeWorkdays
	if n == 0 {
		return nil
	}
	ss := sessions{}
	var committee []store.Member
	loaded := false
	return c.forEachDay(ctx, r, []string{store.ProposalAssigned}, func(tx *store.Tx, d time.Time, ps []*store.Proposal) error {
		for _, p := range ps {
			if err := tx.ProposalHandling(ctx, p); err != nil {
				return err
			}
			for _, dep := range p.Departments {
				if dep.AcknowledgedAt != nil {
					continue
				}
				assigned := r.Cal.Date(dep.AssignedAt)
				warn, escalate := r.Cal.AddWorkdays(assigned, n).Equal(d), r.Cal.AddWorkdays(assigned, n+c.cfg.AcknowledgeEscalateWorkdays).Equal(d)
				if !warn && !escalate {
					continue
				}
				s, err := ss.get(ctx, tx, p.SessionID)
				if err != nil {
					return err
				}
				entity := fmt.Sprintf("%d.%d", p.ID, dep.DepartmentID)
				if warn {
					to, err := contacts(ctx, tx, dep.DepartmentID)
					if err != nil {
						return err
					}
					m := reminder{what: "proposal.ack", entity: entity, date: assigned, day: d, office: true,
						card: func(to store.Member) (*card.Card, error) {
							return c.proposalCard(ctx, tx, r.At, p, s, Viewer{MemberID: to.ID}, "⏰ 交办的提案尚未签收", card.Orange,
								fmt.Sprintf("此提案于 %s 交**%s**%s，已 %d 个工作日未签收。请点击「签收」确认；如交办有误，请在期限内退回。",
									assigned.Format("1月2日"), md(dep.Name), roleNames[dep.Role], n))
						}}
					if err := c.send(ctx, r, tx, m, to); err != nil {
						return err
					}
				}
				if escalate {
					if !loaded {
						if committee, err = committeeMembers(ctx, r.DB); err != nil {
							return err
						}
						loaded = true
					}
					m := reminder{what: "proposal.ack-escalate", entity: entity, date: assigned, day: d, office: true,
						card: func(to store.Member) (*card.Card, error) {
							return c.proposalCard(ctx, tx, r.At, p, s, Viewer{MemberID: to.ID, Committee: true, Overseer: true}, "🔴 交办的提案逾期未签收", card.Red,
								fmt.Sprintf("此提案于 %s 交**%s**%s，已 %d 个工作日未签收，请督促。", assigned.Format("1月2日"), md(dep.Name), roleNames[dep.Role],
									n+c.cfg.AcknowledgeEscalateWorkdays))
						}}
					if err := c.send(ctx, r, tx, m, committee); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// beforeReminder reports which of the days before target a reminder is due on day d (each on
// the nearest workday at or before target minus the days); when several fall on the same
// workday only the smallest is sent.
func beforeReminder(r *jobs.Run, days []int, target, d time.Time) (int, bool) {
	best := 0
	for _, n := range days { // largest first
		if r.Cal.PrevWorkday(target.AddDate(0, 0, -n)).Equal(d) {
			best = n
		}
	}
	return best, best > 0
}

// hostContacts lists the contacts of p's 主办.
func hostContacts(ctx context.Context, tx *store.Tx, p *store.Proposal) ([]store.Member, string, error) {
	host, err := tx.ProposalHost(ctx, p.ID)
	if err != nil || host == 0 {
		return nil, "", err
	}
	d, err := tx.DepartmentByID(ctx, host)
	if err != nil {
		return nil, "", err
	}
	var out []store.Member
	for _, m := range d.Contacts {
		out = append(out, *m)
	}
	return out, d.Name, nil
}

// due reminds the 主办's contacts proposals.reply_remind_days days before the reply deadline
// (重点提案: proposals.key_reply_remind_days), each on the nearest workday at or before.
func (c *Cadence) due(ctx context.Context, r *jobs.Run) error {
	ss := sessions{}
	return c.forEachDay(ctx, r, []string{store.ProposalAssigned}, func(tx *store.Tx, d time.Time, ps []*store.Proposal) error {
		for _, p := range ps {
			deadline, err := r.Cal.Parse(p.ReplyDue)
			if err != nil || p.AssignedAt == nil || d.Before(r.Cal.Date(*p.AssignedAt)) {
				continue
			}
			days := c.remindDays
			if p.KeyProposal {
				days = c.keyRemind
			}
			n, ok := beforeReminder(r, days, deadline, d)
			if !ok {
				continue
			}
			s, err := ss.get(ctx, tx, p.SessionID)
			if err != nil {
				return err
			}
			to, name, err := hostContacts(ctx, tx, p)
			if err != nil {
				return err
			}
			left := int(deadline.Sub(d).Hours()/24 + 0.5)
			m := reminder{what: fmt.Sprintf("proposal.due-%d", n), entity: fmt.Sprintf("%d.%d", p.ID, p.Round), date: deadline, day: d, office: true,
				card: func(to store.Member) (*card.Card, error) {
					return c.proposalCard(ctx, tx, r.At, p, s, Viewer{MemberID: to.ID}, fmt.Sprintf("⏳ 提案答复期限还有 %d 天", left), card.Blue,
						fmt.Sprintf("此提案由**%s**主办，答复期限 %s。请按期答复；确需延期请在期限前申请延期。", md(name), p.ReplyDue))
				}}
			if err := c.send(ctx, r, tx, m, to); err != nil {
				return err
			}
		}
		return nil
	})
}

// overdue reminds the 主办's contacts on a proposal's first overdue workday and every
// proposals.overdue_every_workdays after (重点提案: proposals.key_overdue_every_workdays); from
// proposals.escalate_after_workdays on, the committee is told too, at the same cadence.
func (c *Cadence) overdue(ctx context.Context, r *jobs.Run) error {
	ss := sessions{}
	var committee []store.Member
	loaded := false
	return c.forEachDay(ctx, r, []string{store.ProposalAssigned}, func(tx *store.Tx, d time.Time, ps []*store.Proposal) error {
		if !r.Cal.IsWorkday(d) {
			return nil
		}
		for _, p := range ps {
			deadline, err := r.Cal.Parse(p.ReplyDue)
			if err != nil || !deadline.Before(d) {
				continue
			}
			every := c.cfg.OverdueEveryWorkdays
			if p.KeyProposal {
				every = c.cfg.KeyOverdueEveryWorkdays
			}
			k := r.Cal.WorkdaysBetween(r.Cal.NextWorkday(deadline.AddDate(0, 0, 1)), d)
			esc := c.cfg.EscalateAfterWorkdays
			remind, escalate := k%every == 0, esc > 0 && k >= esc && (k-esc)%every == 0
			if !remind && !escalate {
				continue
			}
			s, err := ss.get(ctx, tx, p.SessionID)
			if err != nil {
				return err
			}
			to, name, err := hostContacts(ctx, tx, p)
			if err != nil {
				return err
			}
			entity := fmt.Sprintf("%d.%d", p.ID, p.Round)
			if remind {
				m := reminder{what: "proposal.overdue", entity: entity, date: d, day: d, office: true,
					card: func(to store.Member) (*card.Card, error) {
						return c.proposalCard(ctx, tx, r.At, p, s, Viewer{MemberID: to.ID}, fmt.Sprintf("🔴 提案答复已逾期 %d 个工作日", k+1), card.Red,
							fmt.Sprintf("此提案由**%s**主办，答复期限 %s 已过。请尽快答复。", md(name), p.ReplyDue))
					}}
				if err := c.send(ctx, r, tx, m, to); err != nil {
					return err
				}
			}
			if escalate {
				if !loaded {
					if committee, err = committeeMembers(ctx, r.DB); err != nil {
						return err
					}
					loaded = true
				}
				m := reminder{what: "proposal.escalate", entity: entity, date: d, day: d, office: true,
					card: func(to store.Member) (*card.Card, error) {
						return c.proposalCard(ctx, tx, r.At, p, s, Viewer{MemberID: to.ID, Committee: true, Overseer: true},
							fmt.Sprintf("🔴 提案逾期未答复：已逾期 %d 个工作日", k+1), card.Carmine,
							fmt.Sprintf("此提案由**%s**主办，答复期限 %s，至今未答复，请督办。", md(name), p.ReplyDue))
					}}
				if err := c.send(ctx, r, tx, m, committee); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// rating reminds the raters who have not rated a reply (the proposer, and the agreed
// co-signers when the session says so) once, proposals.rating_remind_workdays workdays before
// the session's rating window ends; on the first workday after the window the proposal is
// closed as 未评价 (the step unrated) and the proposer is told.
func (c *Cadence) rating(ctx context.Context, r *jobs.Run) error {
	ss := sessions{}
	return c.forEachDay(ctx, r, []string{store.ProposalReplied}, func(tx *store.Tx, d time.Time, ps []*store.Proposal) error {
		for _, p := range ps {
			if p.RepliedAt == nil {
				continue
			}
			s, err := ss.get(ctx, tx, p.SessionID)
			if err != nil {
				return err
			}
			replied := r.Cal.Date(*p.RepliedAt)
			end := r.Cal.AddWorkdays(replied, s.RatingWorkdays)
			entity := fmt.Sprintf("%d.%d", p.ID, p.Round)
			if d.After(end) && r.Cal.IsWorkday(d) {
				if err := c.unrated(ctx, r, tx, p, s, entity, end, d); err != nil {
					return err
				}
				continue
			}
			if !r.Cal.AddWorkdays(replied, max(1, s.RatingWorkdays-c.cfg.RatingRemindWorkdays)).Equal(d) {
				continue
			}
			var to []store.Member
			for _, rater := range raterMembers(p, s) {
				old, err := tx.ProposalRatingOf(ctx, p.ID, p.Round, rater.ID)
				if err != nil {
					return err
				}
				if old == nil {
					to = append(to, rater)
				}
			}
			m := reminder{what: "proposal.rating", entity: entity, date: end, day: d,
				card: func(store.Member) (*card.Card, error) {
					return RateCard(p).Prepend(card.Markdown(fmt.Sprintf("⏰ 请在 %s 前评价此提案的答复；逾期未评价的，记为「未评价」。", end.Format("1月2日")))), nil
				}}
			if err := c.send(ctx, r, tx, m, to); err != nil {
				return err
			}
		}
		return nil
	})
}

// raterMembers are the members asked to rate p's reply.
func raterMembers(p *store.Proposal, s *store.ProposalSession) []store.Member {
	out := []store.Member{{ID: p.ProposerID, OpenID: p.ProposerOpenID, Active: true}}
	if s.CosignersRate {
		for _, cs := range p.Cosigners {
			if cs.Status == store.CosignAgreed {
				out = append(out, store.Member{ID: cs.MemberID, OpenID: cs.OpenID, Active: true})
			}
		}
	}
	return out
}

// unrated closes p as 未评价 at the end of its rating window, tells the proposer, and brings
// its cards in group chats up to date.
func (c *Cadence) unrated(ctx context.Context, r *jobs.Run, tx *store.Tx, p *store.Proposal, s *store.ProposalSession, entity string, end, d time.Time) error {
	if err := tx.StepProposal(ctx, p, store.StepUnrated, "job:"+JobRating, store.ProposalChange{
		Set: map[string]any{"closed_at": tx.Now()}, Detail: "评价期满（" + end.Format(time.DateOnly) + "）未评价"}); err != nil {
		return err
	}
	m := reminder{what: "proposal.unrated", entity: entity, date: end, day: d,
		text: fmt.Sprintf("你的提案「%s」的答复在评价期（至 %s）内未评价，已记为「未评价」并办结。", p.Title, end.Format("1月2日"))}
	if err := c.send(ctx, r, tx, m, []store.Member{{ID: p.ProposerID, OpenID: p.ProposerOpenID, Active: true}}); err != nil {
		return err
	}
	merged, err := tx.ProposalsMergedInto(ctx, p.ID)
	if err != nil {
		return err
	}
	if err := tx.ProposalTrail(ctx, p); err != nil {
		return err
	}
	if err := tx.ProposalHandling(ctx, p); err != nil {
		return err
	}
	_, err = livecard.Show(ctx, tx, liveKind, p.ID, PublicCard(p, s, merged, c.Loc))
	return err
}
