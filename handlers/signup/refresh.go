package signup

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unionbot/unionbot/store"
)

// cardRefresher keeps the group-chat cards of activities current as 报名 clicks change the
// seats, without making the refresh part of each click's transaction: there it would write
// the activity's pending patch (one outbox row shared by every click) while holding the seat
// counter's row lock. Instead each click, once committed, touches the activity: a refresh
// starts (one short transaction that renders the cards from the counters and queues a
// coalesced patch), and clicks that arrive meanwhile only mark the activity dirty, so that
// one more refresh follows. A burst of clicks costs a few refreshes, not one each; the
// outbox sends at most 5 patches a second per card anyway.
//
// The refresh is not atomic with the click: a process that dies between the two leaves a
// group card showing the seats as they were, until the next change refreshes it or the
// sign-up job's next run repairs it (RepairPublished). The click itself, its answer and the
// member's own card are always exact.
type cardRefresher struct {
	db  *store.DB
	loc *time.Location
	log *slog.Logger

	mu    sync.Mutex
	dirty map[int64]bool // activities being refreshed; true: changed again since it began
	runs  atomic.Int64   // refreshes done (for tests)
}

func newCardRefresher(db *store.DB, loc *time.Location, log *slog.Logger) *cardRefresher {
	return &cardRefresher{db: db, loc: loc, log: log, dirty: map[int64]bool{}}
}

// touch records that the activity's seats changed (call it after the change committed): a
// refresh starts in the background unless one is running, which then runs once more.
func (r *cardRefresher) touch(activityID int64, notify func()) {
	r.mu.Lock()
	if _, busy := r.dirty[activityID]; busy {
		r.dirty[activityID] = true
		r.mu.Unlock()
		return
	}
	r.dirty[activityID] = false
	r.mu.Unlock()
	go func() {
		for {
			r.refresh(activityID, notify)
			if !r.again(activityID) {
				return
			}
		}
	}()
}

// again reports whether the activity changed during its refresh, and ends the refresh if not.
func (r *cardRefresher) again(activityID int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dirty[activityID] {
		r.dirty[activityID] = false
		return true
	}
	delete(r.dirty, activityID)
	return false
}

// refresh patches the activity's group cards with its current seats (RefreshPublished).
func (r *cardRefresher) refresh(activityID int64, notify func()) {
	r.runs.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := r.db.InTx(ctx, func(tx *store.Tx) error {
		a, err := tx.Activity(ctx, activityID)
		if err != nil {
			return err
		}
		return RefreshPublished(ctx, tx, a, r.loc)
	})
	if err != nil {
		r.log.Error("refresh group cards", "activity", activityID, "err", err)
		return
	}
	if notify != nil {
		notify()
	}
}
