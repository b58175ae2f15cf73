// Package livecard keeps the cards of entities current in the chats they were posted to: a
// sign-up activity's card in its groups today, proposals' and aid cases' next. A flow makes
// one Kind per entity kind, with the renderer of its card, and
//
//   - posts the card to a chat with Post (in the transaction that publishes the entity): the
//     store remembers which message shows which entity (store.LiveCard, store.Tx.PostCard);
//   - after a change commits, calls Touch: one refresh at a time per entity renders the card
//     and queues what changed, and changes during a refresh make one more;
//   - inside a transaction that changed the entity and already holds it, calls Show with the
//     card rendered there;
//   - repairs what a crash between a change and its refresh left behind by calling Refresh
//     from its periodic job (a card last queued with the current rendering is left alone).
//
// Queuing a card (store.Tx.ShowOnCards) patches each delivered message whose last queued
// content differs, coalesced in the outbox (one patch in flight and one waiting per message,
// paced in the database across replicas), and posts the card afresh, forgetting the old
// message, when Feishu would no longer let it be edited (14 days); a patch Feishu refuses as
// too old does the same (store.DB.MarkCardTooOld).
package livecard

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// Render returns the card the entity id shows now, read in tx, or nil when it shows none any
// more (its cards are then left as they are).
type Render func(ctx context.Context, tx *store.Tx, id int64) (*card.Card, error)

// Kind is the live cards of one kind of entity.
type Kind struct {
	name   string
	render Render
	db     *store.DB
	log    *slog.Logger

	mu    sync.Mutex
	dirty map[int64]bool // entities being refreshed; true: changed again since it began
	runs  atomic.Int64   // background refreshes done (for tests)
}

// New returns the live cards of the entity kind name (stored in store.LiveCard.Kind; at most
// 32 characters), rendered by render.
func New(db *store.DB, name string, render Render, log *slog.Logger) *Kind {
	if log == nil {
		log = slog.Default()
	}
	return &Kind{name: name, render: render, db: db, log: log, dirty: map[int64]bool{}}
}

// Name is the kind's name.
func (k *Kind) Name() string { return k.name }

// Post queues cd to chat and remembers the message as showing the entity kind/id. A chat
// already showing the entity is left as it was (false).
func Post(ctx context.Context, tx *store.Tx, kind string, id int64, chat string, cd *card.Card) (bool, error) {
	content, err := cd.JSON()
	if err != nil {
		return false, err
	}
	return tx.PostCard(ctx, kind, id, chat, string(content))
}

// Show queues the cards of entity kind/id to show cd, each unless it shows it already; it
// reports how many were queued. Call it in a transaction that changed the entity and holds it
// (cd was rendered there).
func Show(ctx context.Context, tx *store.Tx, kind string, id int64, cd *card.Card) (int, error) {
	cards, err := tx.LiveCards(ctx, kind, id, true)
	if err != nil || !Delivered(cards) {
		return 0, err
	}
	content, err := cd.JSON()
	if err != nil {
		return 0, err
	}
	return tx.ShowOnCards(ctx, cards, string(content))
}

// Refresh renders entity id in tx and queues its cards to show it, each unless it shows it
// already; it reports how many were queued. The cards are locked before the entity is read, so
// that concurrent refreshes of one entity (other replicas) queue in the order they read it.
func (k *Kind) Refresh(ctx context.Context, tx *store.Tx, id int64) (int, error) {
	cards, err := tx.LiveCards(ctx, k.name, id, true)
	if err != nil || !Delivered(cards) {
		return 0, err
	}
	cd, err := k.render(ctx, tx, id)
	if err != nil || cd == nil {
		return 0, err
	}
	content, err := cd.JSON()
	if err != nil {
		return 0, err
	}
	return tx.ShowOnCards(ctx, cards, string(content))
}

// Delivered reports whether any of cards has been delivered (and so can be updated): a flow
// calls Touch only then.
func Delivered(cards []store.LiveCard) bool {
	for _, c := range cards {
		if c.MessageID != "" {
			return true
		}
	}
	return false
}

// Touch records that entity id changed (call it after the change committed): a refresh starts
// in the background unless one of the entity is running, which then runs once more. A burst of
// changes costs a few refreshes, not one each. notify (may be nil) runs after a refresh
// committed (to wake the outbox).
//
// The refresh is not atomic with the change: a process that dies between the two leaves the
// cards as they were until the next change, or the flow's job, refreshes them (Refresh).
func (k *Kind) Touch(id int64, notify func()) {
	k.mu.Lock()
	if _, busy := k.dirty[id]; busy {
		k.dirty[id] = true
		k.mu.Unlock()
		return
	}
	k.dirty[id] = false
	k.mu.Unlock()
	go func() {
		for {
			k.refresh(id, notify)
			if !k.again(id) {
				return
			}
		}
	}()
}

// Runs is the number of background refreshes done so far.
func (k *Kind) Runs() int64 { return k.runs.Load() }

// again reports whether the entity changed during its refresh, and ends the refresh if not.
func (k *Kind) again(id int64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dirty[id] {
		k.dirty[id] = false
		return true
	}
	delete(k.dirty, id)
	return false
}

func (k *Kind) refresh(id int64, notify func()) {
	k.runs.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	err := k.db.InTx(ctx, func(tx *store.Tx) (err error) {
		n, err = k.Refresh(ctx, tx, id)
		return err
	})
	if err != nil {
		k.log.Error("live cards: refresh", "kind", k.name, "id", id, "err", err)
		return
	}
	if n > 0 && notify != nil {
		notify()
	}
}
