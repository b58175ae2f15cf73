package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/jobs/cronspec"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
)

// Run is one run of a job: the instant it is for, the window it covers, and what it needs.
type Run struct {
	Job   string
	At    time.Time // the instant this run is for: now, or `jobs run NAME --at TIME`
	Since time.Time // At of this job's previous completed run (zero: never): the catch-up window is (Since, At]
	Loc   *time.Location
	Cal   *workday.Calendar
	DB    *store.DB
	Log   *slog.Logger

	e                   *Engine
	sent, late, dropped atomic.Int64
}

// Counts returns how many reminders this run enqueued (on time and late) and dropped, counting
// only committed transactions.
func (r *Run) Counts() (sent, late, dropped int) {
	return int(r.sent.Load()), int(r.late.Load()), int(r.dropped.Load())
}

// Window returns the run's catch-up window (from, At]: from is Since, but never earlier than
// At minus jobs.drop_after (what is older would be dropped anyway), so a first run does not
// scan all of history.
func (r *Run) Window() (from, to time.Time) {
	from = r.At.Add(-r.e.cfg.DropAfter)
	if r.Since.After(from) {
		from = r.Since
	}
	return from, r.At
}

// Occurrences returns the moments of a cron schedule (in the union's zone) within the run's
// Window, oldest first: for jobs that act at fixed moments (a weekly digest on Monday 09:00),
// each moment missed while the bot was down is in the list once.
func (r *Run) Occurrences(spec string) ([]time.Time, error) {
	s, err := cronspec.Parse(spec)
	if err != nil {
		return nil, err
	}
	from, to := r.Window()
	var out []time.Time
	for t := s.Next(from.In(r.Loc)); !t.After(to); t = s.Next(t) {
		out = append(out, t)
	}
	return out, nil
}

// Reminder is one message a job owes someone.
type Reminder struct {
	Key    string     // unique: what:entity:recipient:due-date, e.g. "task.deadline-7:12:ou_x:2024-06-30"
	Due    time.Time  // the moment it was meant to go out
	OpenID string     // 1:1 to this user, or
	ChatID string     // to this group chat
	Text   string     // a text message, or
	Card   *card.Card // a card, or
	File   *File      // a file (e.g. an .xlsx report), uploaded and then sent
	// Office marks an officer reminder: delivered on a workday at jobs.office_time plus a
	// jitter (never on the exact minute), never at night.
	Office bool
}

// File is a file a reminder sends.
type File struct {
	Name string // e.g. "2024年第1季度十件实事进展.xlsx"
	Data []byte
}

// MaxKeyLen is the longest key stored as it is; longer keys are stored as a readable prefix
// and a hash (see StoreKey).
const MaxKeyLen = 191

// StoreKey is the form a reminder key is stored in: the key itself when it fits the column,
// otherwise its first bytes, "~" and the SHA-256 of the whole key.
func StoreKey(key string) string {
	if len(key) <= MaxKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	n := MaxKeyLen - 1 - 2*len(sum)
	for n > 0 && !utf8.RuneStart(key[n]) {
		n--
	}
	return key[:n] + "~" + hex.EncodeToString(sum[:])
}

// Remind enqueues one reminder in tx, at most once EVER per Key (a unique reminders row
// written in the same transaction as the outbox row). Due is the moment it was meant to go
// out. If At is more than jobs.late_after past Due, the message is marked late
// ("（迟发提醒：原定 ...）"); if more than jobs.drop_after past Due it is dropped (recorded, not
// sent). It returns whether it was enqueued. A bad Reminder (no key, no recipient, no content)
// is an error.
func (r *Run) Remind(ctx context.Context, tx *store.Tx, m Reminder) (bool, error) {
	if err := m.check(); err != nil {
		return false, err
	}
	cfg := r.e.cfg
	key := StoreKey(m.Key)
	row := &store.ReminderRow{Key: key, Job: r.Job, Recipient: m.OpenID + m.ChatID, DueAt: m.Due, RunAt: r.At,
		Status: store.ReminderSent}
	lateness := r.At.Sub(m.Due)
	switch {
	case lateness > cfg.DropAfter:
		row.Status = store.ReminderDropped
		ok, err := tx.ClaimReminder(ctx, row)
		if ok {
			tx.AfterCommit(func() { r.dropped.Add(1) })
		}
		return false, err
	case lateness > cfg.LateAfter:
		row.Status = store.ReminderLate
	}
	msgType, content, err := r.content(m, row.Status == store.ReminderLate)
	if err != nil {
		return false, err
	}
	id := uuid.NewString()
	row.OutboxID = &id
	ok, err := tx.ClaimReminder(ctx, row)
	if err != nil || !ok {
		return false, err
	}
	next := r.e.deliverAt(key, m.Due, tx.Now(), m.Office)
	idType, to := "open_id", m.OpenID
	if m.ChatID != "" {
		idType, to = "chat_id", m.ChatID
	}
	msg := &store.OutboxMessage{ID: id, Kind: store.OutboxSend, ReceiveIDType: idType, ReceiveID: to,
		MsgType: msgType, Content: content, NextAttemptAt: next, Sealed: m.Card != nil && m.Card.IsSensitive()}
	if msg.Sealed && m.ChatID != "" {
		return false, fmt.Errorf("jobs: reminder %s: a sensitive card goes 1:1 only, not to a chat", m.Key)
	}
	if m.File != nil {
		if row.Status == store.ReminderLate { // a file cannot carry the note: a text goes first
			b, _ := json.Marshal(map[string]string{"text": r.LateNote(m.Due)})
			if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: idType, ReceiveID: to,
				MsgType: "text", Content: string(b), NextAttemptAt: next}); err != nil {
				return false, err
			}
		}
		msg.Kind, msg.MsgType, msg.Content, msg.FileName, msg.FileData = store.OutboxFile, "file", "", m.File.Name, m.File.Data
	}
	if _, err := tx.Enqueue(ctx, msg); err != nil {
		return false, err
	}
	r.counted(tx, row.Status == store.ReminderLate)
	return true, nil
}

// counted counts an enqueued reminder (and whether it was late) and wakes the outbox, once
// tx has committed.
func (r *Run) counted(tx *store.Tx, late bool) {
	tx.AfterCommit(func() {
		r.sent.Add(1)
		if late {
			r.late.Add(1)
		}
		if r.e.notify != nil {
			r.e.notify()
		}
	})
}

func (m *Reminder) check() error {
	switch {
	case m.Key == "":
		return fmt.Errorf("jobs: reminder without a key")
	case m.Due.IsZero():
		return fmt.Errorf("jobs: reminder %s without a due time", m.Key)
	case (m.OpenID == "") == (m.ChatID == ""):
		return fmt.Errorf("jobs: reminder %s needs exactly one of OpenID and ChatID", m.Key)
	}
	n := 0
	if m.Text != "" {
		n++
	}
	if m.Card != nil {
		n++
	}
	if m.File != nil {
		n++
		if m.File.Name == "" || len(m.File.Data) == 0 {
			return fmt.Errorf("jobs: reminder %s: a file needs a name and data", m.Key)
		}
	}
	if n != 1 {
		return fmt.Errorf("jobs: reminder %s needs exactly one of Text, Card and File", m.Key)
	}
	return nil
}

// LateNote is the line a late reminder starts with.
func (r *Run) LateNote(due time.Time) string {
	d := due.In(r.Loc)
	return fmt.Sprintf("（迟发提醒：原定 %d月%d日 %s，因系统停机延迟送达）", int(d.Month()), d.Day(), d.Format("15:04"))
}

func (r *Run) content(m Reminder, late bool) (msgType, content string, err error) {
	if m.File != nil {
		return "file", "", nil
	}
	if m.Card != nil {
		c := m.Card
		if late {
			cp := *m.Card
			c = cp.Prepend(card.Note(r.LateNote(m.Due)))
		}
		b, err := c.JSON()
		if err != nil {
			return "", "", fmt.Errorf("jobs: reminder %s: %w", m.Key, err)
		}
		return "interactive", string(b), nil
	}
	text := m.Text
	if late {
		text = r.LateNote(m.Due) + "\n" + text
	}
	b, _ := json.Marshal(map[string]string{"text": text})
	return "text", string(b), nil
}

// jitter is the key's deterministic delay after office time: at least a minute, below
// jobs.jitter (whole seconds).
func (e *Engine) jitter(key string) time.Duration {
	sum := sha256.Sum256([]byte(key))
	span := int64((e.cfg.Jitter - time.Minute) / time.Second)
	if span < 1 {
		return time.Minute
	}
	return time.Minute + time.Duration(binary.BigEndian.Uint64(sum[:8])%uint64(span))*time.Second
}

// at returns day's date at offset off from midnight, in the engine's zone.
func (e *Engine) at(day time.Time, off time.Duration) time.Time {
	d := e.cal.Date(day)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, e.loc).Add(off)
}

// timeOfDay is t's offset from its local midnight.
func (e *Engine) timeOfDay(t time.Time) time.Duration { return t.Sub(e.at(t, 0)) }

// deliverAt is when a reminder's outbox row becomes due: for an officer reminder the office
// slot (a workday at office time plus the key's jitter: the first at or after Due's day, or
// at once if that slot passed and it is office hours on a workday now, else the next one);
// for any other, Due or now, whichever is later, held to the end of the night.
func (e *Engine) deliverAt(key string, due, now time.Time, office bool) time.Time {
	if !office {
		t := due
		if now.After(t) {
			t = now
		}
		return e.outOfQuiet(key, t)
	}
	jit := e.jitter(key)
	day := e.cal.Date(due)
	if e.timeOfDay(due) > e.cfg.OfficeTime {
		day = day.AddDate(0, 0, 1)
	}
	slot := e.at(e.cal.NextWorkday(day), e.cfg.OfficeTime+jit)
	if !slot.Before(now) {
		return slot
	}
	tod := e.timeOfDay(now)
	end := 24 * time.Hour
	if e.cfg.QuietFrom != e.cfg.QuietUntil && e.cfg.QuietFrom > e.cfg.OfficeTime {
		end = e.cfg.QuietFrom
	}
	if e.cal.IsWorkday(now) && tod >= e.cfg.OfficeTime && tod < end {
		return now
	}
	day = e.cal.Date(now)
	if tod >= e.cfg.OfficeTime {
		day = day.AddDate(0, 0, 1)
	}
	return e.at(e.cal.NextWorkday(day), e.cfg.OfficeTime+jit)
}

// outOfQuiet moves t out of the night: a time inside jobs.quiet_hours becomes its end plus
// the key's jitter.
func (e *Engine) outOfQuiet(key string, t time.Time) time.Time {
	from, until := e.cfg.QuietFrom, e.cfg.QuietUntil
	if from == until {
		return t
	}
	tod := e.timeOfDay(t)
	jit := e.jitter(key)
	if from > until { // spans midnight, e.g. 21:00-08:00
		switch {
		case tod >= from:
			return e.at(e.cal.Date(t).AddDate(0, 0, 1), until+jit)
		case tod < until:
			return e.at(t, until+jit)
		}
		return t
	}
	if tod >= from && tod < until {
		return e.at(t, until+jit)
	}
	return t
}
