package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// The crash test re-executes this test binary as a child process that runs a job enqueuing
// crashReminders reminders slowly, one transaction each, and kills it with SIGKILL in the
// middle of the run. These variables tell the child what to do.
const (
	envCrashChild   = "UNIONBOT_JOBS_CRASH_CHILD"
	envCrashDialect = "UNIONBOT_JOBS_CRASH_DIALECT"
	envCrashDSN     = "UNIONBOT_JOBS_CRASH_DSN"
	crashReminders  = 300
	crashLease      = 3 * time.Second
	crashHolder     = "child-that-dies"
)

func TestMain(m *testing.M) {
	if os.Getenv(envCrashChild) == "1" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

// crashJob owes one reminder to each of crashReminders members, due at At; each is written in
// its own transaction, with a pause, so that a kill lands in the middle.
func crashJob(pause time.Duration) jobs.Job {
	return jobs.Job{Name: "crash", Spec: "@hourly", Help: "crash test", Run: func(ctx context.Context, r *jobs.Run) error {
		for i := 0; i < crashReminders; i++ {
			id := fmt.Sprintf("ou_c%03d", i)
			err := r.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := r.Remind(ctx, tx, jobs.Reminder{Key: "crash:" + id + ":2024-06-30", Due: r.At, OpenID: id,
					Text: "请在 6 月 30 日前提交总结"})
				if err == nil && pause > 0 {
					time.Sleep(pause) // inside the transaction: the kill may abandon it
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	}}
}

var crashAt = time.Date(2024, 6, 23, 9, 0, 0, 0, shanghai)

// crashChild is the child process: it runs the job until it is killed.
func crashChild() int {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv(envCrashDialect), os.Getenv(envCrashDSN))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c := jobs.DefaultConfig()
	c.Lease = crashLease
	e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: quiet, Holder: crashHolder, Config: c})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	e.Add(crashJob(20 * time.Millisecond))
	if err := e.RunJob(ctx, "crash", crashAt); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0 // not reached when the parent kills in time
}

func countRows(t testing.TB, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(context.Background(), &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCrashMidRunSendsEachReminderOnce(t *testing.T) {
	eachDSN(t, func(t *testing.T, db *store.DB, dsn string) {
		ctx := context.Background()

		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashDialect+"="+db.Dialect, envCrashDSN+"="+dsn)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it once about a third of the reminders are in.
		deadline := time.Now().Add(60 * time.Second)
		for countRows(t, db, `SELECT COUNT(*) FROM reminders`) < crashReminders/3 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the child did not get going")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("child ended with %v, want killed", err)
		}
		before := countRows(t, db, `SELECT COUNT(*) FROM reminders`)
		if before >= crashReminders || before != countRows(t, db, `SELECT COUNT(*) FROM outbox`) {
			t.Fatalf("after the kill: %d reminders, %d outbox rows (want the same number, below %d)",
				before, countRows(t, db, `SELECT COUNT(*) FROM outbox`), crashReminders)
		}

		// The dead child's lease still holds the job: a restart is refused until it expires,
		// then takes over.
		c := jobs.DefaultConfig()
		c.Lease = crashLease
		e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: quiet, Config: c})
		if err != nil {
			t.Fatal(err)
		}
		e.Add(crashJob(0))
		var busy *jobs.BusyError
		err = e.RunJob(ctx, "crash", crashAt)
		if errors.As(err, &busy) {
			if busy.Holder != crashHolder {
				t.Errorf("busy holder = %q, want the dead child", busy.Holder)
			}
			for errors.As(err, &busy) {
				time.Sleep(200 * time.Millisecond)
				err = e.RunJob(ctx, "crash", crashAt)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		// Every reminder exactly once: 300 reminders rows, 300 outbox rows, one per member.
		if n := countRows(t, db, `SELECT COUNT(*) FROM reminders`); n != crashReminders {
			t.Errorf("reminders = %d, want %d", n, crashReminders)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox`); n != crashReminders {
			t.Errorf("outbox rows = %d, want %d", n, crashReminders)
		}
		if n := countRows(t, db, `SELECT COUNT(DISTINCT receive_id) FROM outbox`); n != crashReminders {
			t.Errorf("distinct recipients = %d, want %d", n, crashReminders)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox o JOIN reminders r ON r.outbox_id = o.id`); n != crashReminders {
			t.Errorf("reminders linked to their outbox row = %d, want %d", n, crashReminders)
		}
		last, _ := db.LastJobRun(ctx, "crash")
		if last.Outcome != store.RunOK || last.Sent != crashReminders-before {
			t.Errorf("restart run = %+v, want ok with %d sent", last, crashReminders-before)
		}
		runs, _ := db.JobRuns(ctx, "crash", 10)
		if len(runs) != 2 || runs[1].Outcome != store.RunRunning || runs[1].Holder != crashHolder {
			t.Errorf("the child's run should stay recorded as running (abandoned): %+v", runs)
		}
		// Run by hand again: nothing new.
		if err := e.RunJob(ctx, "crash", crashAt); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox`); n != crashReminders {
			t.Errorf("after another run: %d outbox rows", n)
		}
	})
}

// TestTwoReplicas runs two engines (two database handles, as two processes would have) on one
// database, both running the same job over and over at the same time. The lease lets one run
// at a time, and nothing is enqueued twice.
func TestTwoReplicas(t *testing.T) {
	eachDSN(t, func(t *testing.T, db *store.DB, dsn string) {
		ctx := context.Background()
		var handles [2]*store.DB
		for i := range handles {
			h, err := store.Open(ctx, db.Dialect, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			handles[i] = h
		}
		var running, overlap, ran atomic.Int32
		const keys = 60
		job := jobs.Job{Name: "replicated", Spec: "@hourly", Run: func(ctx context.Context, r *jobs.Run) error {
			if running.Add(1) > 1 {
				overlap.Add(1)
			}
			defer running.Add(-1)
			ran.Add(1)
			// Each run owes the reminders due up to its At: the same keys again and again.
			upTo := int(r.At.Sub(crashAt) / time.Minute)
			for i := 0; i <= min(upTo, keys-1); i++ {
				err := r.DB.InTx(ctx, func(tx *store.Tx) error {
					_, err := r.Remind(ctx, tx, jobs.Reminder{Key: fmt.Sprintf("rep:%d", i), Due: crashAt.Add(time.Duration(i) * time.Minute),
						OpenID: fmt.Sprintf("ou_r%02d", i), Text: "提醒"})
					return err
				})
				if err != nil {
					return err
				}
			}
			return nil
		}}
		var engines [2]*jobs.Engine
		for i := range engines {
			e, err := jobs.NewEngine(jobs.Options{DB: handles[i], Loc: shanghai, Log: quiet, Holder: fmt.Sprintf("replica-%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			e.Add(job)
			engines[i] = e
		}
		var wg sync.WaitGroup
		var busy atomic.Int32
		for i, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 40; k++ {
					at := crashAt.Add(time.Duration(k*2+i) * time.Minute)
					err := e.RunJob(ctx, "replicated", at)
					var b *jobs.BusyError
					switch {
					case errors.As(err, &b):
						busy.Add(1)
					case err != nil:
						t.Errorf("replica %d: %v", i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if overlap.Load() != 0 {
			t.Errorf("%d runs overlapped: the lease was not respected", overlap.Load())
		}
		// Finish the window, then every key was enqueued exactly once.
		if err := engines[0].RunJob(ctx, "replicated", crashAt.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		db = handles[0]
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox`); n != keys {
			t.Errorf("outbox rows = %d, want %d", n, keys)
		}
		if n := countRows(t, db, `SELECT COUNT(DISTINCT receive_id) FROM outbox`); n != keys {
			t.Errorf("distinct recipients = %d, want %d", n, keys)
		}
		// Without the lease's help: two jobs of different names (so different leases) owe the
		// same reminders and run at the same time, over and over. The keys alone keep every
		// reminder single.
		for i, e := range engines {
			e.Add(jobs.Job{Name: fmt.Sprintf("twin-%d", i), Spec: "@hourly", Run: func(ctx context.Context, r *jobs.Run) error {
				return r.DB.InTx(ctx, func(tx *store.Tx) error {
					for k := 0; k < keys; k++ {
						if _, err := r.Remind(ctx, tx, jobs.Reminder{Key: fmt.Sprintf("twin:%d", k), Due: r.At,
							OpenID: fmt.Sprintf("ou_t%02d", k), Text: "提醒"}); err != nil {
							return err
						}
					}
					return nil
				})
			}})
		}
		for i, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 10; k++ {
					if err := e.RunJob(ctx, fmt.Sprintf("twin-%d", i), crashAt); err != nil {
						t.Errorf("twin %d: %v", i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox WHERE receive_id LIKE 'ou_t%'`); n != keys {
			t.Errorf("twin jobs: outbox rows = %d, want %d", n, keys)
		}
		runs := countRows(t, db, `SELECT COUNT(*) FROM job_runs WHERE job = 'replicated'`)
		holders := countRows(t, db, `SELECT COUNT(DISTINCT holder) FROM job_runs WHERE job = 'replicated'`)
		t.Logf("%s: %d runs by %d replicas, %d refused as busy", db.Dialect, runs, holders, busy.Load())
		if runs != int(ran.Load()) || runs+int(busy.Load()) != 81 {
			t.Errorf("runs recorded %d, ran %d, busy %d (want runs+busy = 81)", runs, ran.Load(), busy.Load())
		}
	})
}

// eachDSN runs f on a fresh database of each dialect, with its DSN for more handles or a
// child process.
func eachDSN(t *testing.T, f func(t *testing.T, db *store.DB, dsn string)) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			db, dsn := storetest.OpenDSN(t, d)
			f(t, db, dsn)
		})
	}
}
