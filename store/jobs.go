package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// The job engine's tables: job_leases (one row per job: which replica runs it, until when),
// job_runs (a record of every run) and reminders (one row per reminder key, ever).

// Job run outcomes.
const (
	RunRunning = "running" // started; still running, or its holder died (see the lease)
	RunOK      = "ok"
	RunError   = "error"
)

// Reminder statuses.
const (
	ReminderSent    = "sent"    // enqueued on time
	ReminderLate    = "late"    // enqueued late, marked as late
	ReminderDropped = "dropped" // its moment passed too long ago: recorded, never sent
)

// Lease is a job's lease row.
type Lease struct {
	Name       string     `db:"name"`
	Holder     string     `db:"holder"`
	Token      int64      `db:"token"`
	AcquiredAt *time.Time `db:"acquired_at"`
	ExpiresAt  time.Time  `db:"expires_at"`
}

// AcquireLease takes the lease of job name for holder until now+ttl, when it is free, expired,
// or already holder's. It returns the lease's new token (which renewals and the release must
// present) and ok; when another holder has it, ok is false and the returned Lease says who.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (*Lease, bool, error) {
	const op = "store.AcquireLease"
	var l Lease
	var ok bool
	err := db.InTx(ctx, func(tx *Tx) error {
		now := tx.now
		// The update first: it takes the row's exclusive lock at once. (An INSERT IGNORE first
		// took a shared lock on the existing row and then wanted the exclusive one, which
		// deadlocked on MySQL with a concurrent release or acquisition.)
		res, err := tx.ExecContext(ctx, `UPDATE job_leases SET holder = ?, token = token + 1, acquired_at = ?, expires_at = ?
			WHERE name = ? AND (holder = '' OR holder = ? OR expires_at < ?)`, holder, now, now.Add(ttl), name, holder, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			// Held by another, or the job's first run: then the row is created held.
			res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO job_leases (name, holder, token, acquired_at, expires_at)
				VALUES (?, ?, 1, ?, ?)`, name, holder, now, now.Add(ttl))
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		ok = n == 1
		return tx.GetContext(ctx, &l, `SELECT name, holder, token, acquired_at, expires_at FROM job_leases WHERE name = ?`, name)
	})
	if err != nil {
		return nil, false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return &l, ok, nil
}

// RenewLease extends a held lease to now+ttl. It returns false when the lease is no longer
// held with that token (it expired and another holder took it).
func (db *DB) RenewLease(ctx context.Context, l *Lease, ttl time.Duration) (bool, error) {
	now := db.now()
	res, err := db.execRetry(ctx, `UPDATE job_leases SET expires_at = ? WHERE name = ? AND holder = ? AND token = ?`,
		now.Add(ttl), l.Name, l.Holder, l.Token)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.RenewLease", Err: err}
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.RenewLease", Err: err}
	}
	return n == 1, nil
}

// ReleaseLease gives a held lease up at once (a no-op when it was lost). A deadlock or lock
// timeout (a concurrent acquisition) is retried.
func (db *DB) ReleaseLease(ctx context.Context, l *Lease) error {
	_, err := db.execRetry(ctx, `UPDATE job_leases SET holder = '', expires_at = ? WHERE name = ? AND holder = ? AND token = ?`,
		time.Unix(0, 0).UTC(), l.Name, l.Holder, l.Token)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.ReleaseLease", Err: err}
	}
	return nil
}

// ReleaseLeasesOf gives back the job leases held by an earlier process of this replica: held
// by a holder whose name starts with prefix but is not own. As ReclaimOutbox, only for a
// process that knows its predecessor is dead. It returns the jobs released.
func (db *DB) ReleaseLeasesOf(ctx context.Context, prefix, own string) ([]string, error) {
	const op = "store.ReleaseLeasesOf"
	if prefix == "" {
		return nil, &Error{Code: EINVALID, Op: op, Message: "jobs: empty instance prefix"}
	}
	var names []string
	err := db.Select(ctx, &names, `SELECT name FROM job_leases WHERE holder <> '' AND holder <> ? AND expires_at >= ?
		AND SUBSTR(holder, 1, ?) = ? ORDER BY name`, own, db.now(), len(prefix), prefix)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	var out []string
	for _, name := range names {
		res, err := db.execRetry(ctx, `UPDATE job_leases SET holder = '', expires_at = ? WHERE name = ? AND holder <> ?
			AND SUBSTR(holder, 1, ?) = ?`, time.Unix(0, 0).UTC(), name, own, len(prefix), prefix)
		if err != nil {
			return out, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = append(out, name)
		}
	}
	return out, nil
}

// LeaseOf returns a job's lease row, or nil when the job never ran.
func (db *DB) LeaseOf(ctx context.Context, name string) (*Lease, error) {
	var l Lease
	err := db.Get(ctx, &l, `SELECT name, holder, token, acquired_at, expires_at FROM job_leases WHERE name = ?`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.LeaseOf", Err: err}
	}
	return &l, nil
}

// JobRun is one run of a job.
type JobRun struct {
	ID         int64      `db:"id"`
	Job        string     `db:"job"`
	At         time.Time  `db:"at"`    // the instant the run was for
	Since      *time.Time `db:"since"` // At of the previous completed run (nil: none)
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Holder     string     `db:"holder"`
	Manual     bool       `db:"manual"` // run by hand (`unionbot jobs run`)
	Outcome    string     `db:"outcome"`
	Error      string     `db:"error"`
	Sent       int        `db:"sent"`
	Late       int        `db:"late"`
	Dropped    int        `db:"dropped"`
}

const jobRunColumns = `id, job, at, since, started_at, finished_at, holder, manual, outcome, error, sent, late, dropped`

// StartJobRun records the start of a run (outcome running) and sets r.ID and r.StartedAt.
func (db *DB) StartJobRun(ctx context.Context, r *JobRun) error {
	return db.InTx(ctx, func(tx *Tx) error {
		r.StartedAt = tx.now
		r.Outcome = RunRunning
		var since any
		if r.Since != nil {
			since = utc(*r.Since)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO job_runs (job, at, since, started_at, holder, manual, outcome, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, '')`, r.Job, utc(r.At), since, r.StartedAt, r.Holder, r.Manual, r.Outcome)
		if err != nil {
			return &Error{Code: EINTERNAL, Op: "store.StartJobRun", Err: err}
		}
		r.ID, err = res.LastInsertId()
		return err
	})
}

// FinishJobRun records the end of a run: its outcome, error and counts.
func (db *DB) FinishJobRun(ctx context.Context, r *JobRun) error {
	now := db.now()
	r.FinishedAt = &now
	_, err := db.exec(ctx, `UPDATE job_runs SET finished_at = ?, outcome = ?, error = ?, sent = ?, late = ?, dropped = ? WHERE id = ?`,
		now, r.Outcome, r.Error, r.Sent, r.Late, r.Dropped, r.ID)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.FinishJobRun", Err: err}
	}
	return nil
}

// LastCompletedRun returns the At of the job's latest completed (ok) run for an instant before
// at, or the zero time when there is none: the start of the next run's catch-up window.
func (db *DB) LastCompletedRun(ctx context.Context, job string, at time.Time) (time.Time, error) {
	var t []time.Time
	err := db.Select(ctx, &t, `SELECT at FROM job_runs WHERE job = ? AND outcome = 'ok' AND at < ? ORDER BY at DESC LIMIT 1`, job, utc(at))
	if err != nil {
		return time.Time{}, &Error{Code: EINTERNAL, Op: "store.LastCompletedRun", Err: err}
	}
	if len(t) == 0 {
		return time.Time{}, nil
	}
	return t[0].UTC(), nil
}

// JobRanSince reports whether a scheduled run (not one by hand) of job for an instant at or
// after t has finished, on any replica, whatever its outcome.
func (db *DB) JobRanSince(ctx context.Context, job string, t time.Time) (bool, error) {
	var n []int
	err := db.Select(ctx, &n, `SELECT 1 FROM job_runs WHERE job = ? AND at >= ? AND manual = ? AND finished_at IS NOT NULL LIMIT 1`,
		job, utc(t), false)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.JobRanSince", Err: err}
	}
	return len(n) > 0, nil
}

// LastJobRun returns the job's latest run, or nil.
func (db *DB) LastJobRun(ctx context.Context, job string) (*JobRun, error) {
	var r JobRun
	err := db.Get(ctx, &r, `SELECT `+jobRunColumns+` FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT 1`, job)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.LastJobRun", Err: err}
	}
	return &r, nil
}

// JobRuns returns the job's runs, newest first, at most limit.
func (db *DB) JobRuns(ctx context.Context, job string, limit int) ([]*JobRun, error) {
	var out []*JobRun
	err := db.Select(ctx, &out, `SELECT `+jobRunColumns+` FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?`, job, limit)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.JobRuns", Err: err}
	}
	return out, nil
}

// ReminderRow is the record that a reminder key was used: its message was enqueued (sent or
// late) or dropped.
type ReminderRow struct {
	Key       string    `db:"reminder_key"`
	Job       string    `db:"job"`
	Recipient string    `db:"recipient"`
	DueAt     time.Time `db:"due_at"`
	RunAt     time.Time `db:"run_at"`
	CreatedAt time.Time `db:"created_at"`
	OutboxID  *string   `db:"outbox_id"`
	Status    string    `db:"status"`
}

// ClaimReminder inserts the reminder's row in the transaction unless its key exists; it
// returns false (and writes nothing) when the key was used before, by any run. The caller
// enqueues the outbox row in the same transaction, so the two commit or vanish together.
func (tx *Tx) ClaimReminder(ctx context.Context, r *ReminderRow) (bool, error) {
	r.CreatedAt = tx.now
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO reminders (reminder_key, job, recipient, due_at, run_at, created_at, outbox_id, status)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Key, r.Job, r.Recipient, utc(r.DueAt), utc(r.RunAt), r.CreatedAt, r.OutboxID, r.Status)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.ClaimReminder", Err: err}
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.ClaimReminder", Err: err}
	}
	return n == 1, nil
}

// ReminderByKey returns the reminder row of a (stored, possibly hashed) key, or nil.
func (db *DB) ReminderByKey(ctx context.Context, key string) (*ReminderRow, error) {
	var r ReminderRow
	err := db.Get(ctx, &r, `SELECT reminder_key, job, recipient, due_at, run_at, created_at, outbox_id, status FROM reminders WHERE reminder_key = ?`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ReminderByKey", Err: err}
	}
	return &r, nil
}

// ReminderCounts counts a job's reminders by status.
func (db *DB) ReminderCounts(ctx context.Context, job string) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := db.Select(ctx, &rows, `SELECT status, COUNT(*) AS n FROM reminders WHERE job = ? GROUP BY status`, job); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ReminderCounts", Err: err}
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}
