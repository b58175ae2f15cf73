package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestSignupActivityCopy checks the transaction's copy of the sign-up activity
// (signup_cache.go): sign-ups in one transaction read the activity once and see each other's
// seats and places, each gets a copy of its own, and any other write, a failed statement or a
// rollback to a savepoint makes the next read go to the database.
func TestSignupActivityCopy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.Capacity = 1
		f.create(a)
		ms := []*store.MemberFacts{f.member("copy1", "机关分工会", "M"), f.member("copy2", "机关分工会", "F"),
			f.member("copy3", "机关分工会", "M"), f.member("copy4", "机关分工会", "F")}
		signUp := func(tx *store.Tx, m *store.MemberFacts) (*store.Entry, *store.Activity) {
			t.Helper()
			cur, _, err := tx.SignupActivity(f.ctx, a.ID)
			f.must(err)
			cur.Title = "调用方改过" // a caller's changes stay in its copy, before the sign-up too
			res, err := tx.SignUp(f.ctx, store.SignupRequest{Activity: cur, Member: m, Actor: m.OpenID, Loc: time.UTC})
			f.must(err)
			return res.Entry, cur
		}
		f.must(f.tx(func(tx *store.Tx) error {
			if tx.SignupCopyHeld(a.ID) {
				t.Fatal("a copy before the first read")
			}
			// Three sign-ups as a shared transaction runs them: each behind its event's key.
			var got []*store.Entry
			for i, m := range ms[:3] {
				if _, err := tx.MarkProcessed(f.ctx, "copy-key-"+m.OpenID, "test"); err != nil {
					return err
				}
				if i > 0 && !tx.SignupCopyHeld(a.ID) {
					t.Fatalf("sign-up %d: the copy was dropped (by the event's key or the sign-up before)", i+1)
				}
				e, cur := signUp(tx, m)
				got = append(got, e)
				cur.Title, cur.Confirmed = "改过的副本", 99 // a caller's changes stay in its copy
			}
			if got[0].Status != store.EntryConfirmed || got[1].Status != store.EntryWaitlisted || got[1].Position != 1 ||
				got[2].Status != store.EntryWaitlisted || got[2].Position != 2 {
				t.Fatalf("entries %+v %+v %+v: want confirmed, waitlisted 1, waitlisted 2", *got[0], *got[1], *got[2])
			}
			cur, _, err := tx.SignupActivity(f.ctx, a.ID)
			f.must(err)
			if cur.Title != a.Title || cur.Confirmed != 1 || cur.WaitlistSeq != 2 {
				t.Fatalf("copy: title %q, confirmed %d, waitlist %d; want %q, 1, 2", cur.Title, cur.Confirmed, cur.WaitlistSeq, a.Title)
			}
			// Any other write drops the copy: the next read sees it.
			if _, err := tx.ExecContext(f.ctx, `UPDATE activities SET title = ? WHERE id = ?`, "新标题", a.ID); err != nil {
				return err
			}
			if tx.SignupCopyHeld(a.ID) {
				t.Fatal("copy kept after an UPDATE of the activity")
			}
			if cur, _, err = tx.SignupActivity(f.ctx, a.ID); err != nil || cur.Title != "新标题" {
				t.Fatalf("after the UPDATE: %q %v", cur.Title, err)
			}
			// So does a failed statement.
			if _, err := tx.ExecContext(f.ctx, `INSERT INTO no_such_table (x) VALUES (1)`); err == nil {
				t.Fatal("insert into a missing table succeeded")
			}
			if tx.SignupCopyHeld(a.ID) {
				t.Fatal("copy kept after a failed statement")
			}
			// And a rollback to a savepoint: the place taken behind it is given back.
			if _, _, err = tx.SignupActivity(f.ctx, a.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(f.ctx, `SAVEPOINT copy_test`); err != nil {
				return err
			}
			if e, _ := signUp(tx, ms[3]); e.Position != 3 {
				t.Fatalf("fourth: %+v, want waitlist 3", *e)
			}
			if _, err := tx.ExecContext(f.ctx, `ROLLBACK TO SAVEPOINT copy_test`); err != nil {
				return err
			}
			if tx.SignupCopyHeld(a.ID) {
				t.Fatal("copy kept after a rollback to a savepoint")
			}
			if cur, _, err = tx.SignupActivity(f.ctx, a.ID); err != nil || cur.WaitlistSeq != 2 {
				t.Fatalf("after the rollback: waitlist %d %v, want 2", cur.WaitlistSeq, err)
			}
			return nil
		}))
		if n := f.count(`signup_entries WHERE activity_id = ?`, a.ID); n != 3 {
			t.Errorf("%d entries, want 3", n)
		}
	})
}

// TestSignupStaleActivity: a sign-up given an activity read earlier (its counters out of date)
// still gets the seat or place the database gives, and its entry says so.
func TestSignupStaleActivity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.Capacity = 1
		f.create(a)
		stale, err := db.Activity(f.ctx, a.ID) // 0 confirmed, no waitlist
		f.must(err)
		if _, err := f.signup(a, 0, f.member("stale1", "机关分工会", "M")); err != nil {
			t.Fatal(err)
		}
		staleFull := *stale
		staleFull.Confirmed = 1 // full, but the waitlist is thought empty
		if _, err := f.signup(a, 0, f.member("stale2", "机关分工会", "M")); err != nil {
			t.Fatal(err)
		}
		for i, tc := range []struct {
			a   *store.Activity
			pos int
		}{{stale, 2}, {&staleFull, 3}} {
			m := f.member("stale-late"+string(rune('a'+i)), "机关分工会", "F")
			var e *store.Entry
			f.must(f.tx(func(tx *store.Tx) error {
				res, err := tx.SignUp(f.ctx, store.SignupRequest{Activity: tc.a, Member: m, Actor: m.OpenID, Loc: time.UTC})
				if err != nil {
					return err
				}
				e = res.Entry
				return nil
			}))
			var row struct {
				Status   string `db:"status"`
				Position int    `db:"position"`
			}
			f.must(db.Get(f.ctx, &row, `SELECT status, position FROM signup_entries WHERE id = ?`, e.ID))
			if e.Status != store.EntryWaitlisted || e.Position != tc.pos || row.Status != e.Status || row.Position != e.Position {
				t.Errorf("case %d: entry %s %d, stored %s %d; want waitlisted %d", i, e.Status, e.Position, row.Status, row.Position, tc.pos)
			}
		}
	})
}

// TestSignupActivityLocks: on MySQL the activity SignupActivity read stays as read until the
// transaction ends (the copy's counters are exact): another transaction's UPDATE of it waits.
func TestSignupActivityLocks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != store.MySQL {
			return // SQLite: the write transaction holds the database's one write lock
		}
		f := newFixture(t, db)
		a := f.create(baseActivity())
		read, release := make(chan struct{}), make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- f.tx(func(tx *store.Tx) error {
				_, _, err := tx.SignupActivity(f.ctx, a.ID)
				close(read)
				<-release
				return err
			})
		}()
		<-read
		updated := make(chan error, 1)
		go func() {
			updated <- f.tx(func(tx *store.Tx) error {
				_, err := tx.ExecContext(f.ctx, `UPDATE activities SET confirmed_count = confirmed_count + 1 WHERE id = ?`, a.ID)
				return err
			})
		}()
		select {
		case err := <-updated:
			t.Fatalf("the UPDATE ran while the activity was held: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		if err := errors.Join(<-held, <-updated); err != nil {
			t.Fatal(err)
		}
	})
}
