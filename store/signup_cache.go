package store

import "slices"

// The sign-up hot path reads its activity once per transaction. Clicks on one activity share
// transactions (HandleEvent's Policy.Serial), and each click would read the same activity row,
// its items and its live cards again: the heaviest statement of a click. SignupActivity keeps
// what it read in the transaction (signupCache) and hands out copies; the copy is valid while
// the transaction has written nothing since (tx.seq), except the writes of the sign-ups that
// account for them (SignUp's first-come path applies its seat and waitlist counters to the
// copy). Any other write of the transaction, a failed statement, a rollback to a savepoint or
// a new transaction drops it, so a stale copy is never used.
//
// Why a copy equals what the query would read again: on MySQL SignupActivity reads the
// activity and item rows with FOR UPDATE, so no other transaction changes them until this one
// ends, and the live cards (read without a lock) are what the transaction's snapshot shows,
// which a second read in the same transaction would show too (InnoDB's REPEATABLE READ). On
// SQLite the write transaction holds the database's one write lock from its start.

// signupCache is what SignupActivity read in this transaction.
type signupCache struct {
	a     *Activity
	pubs  []LiveCard
	stamp int // tx.seq when it last matched the database
}

// cachedSignupActivity returns copies of the activity id and its live cards when the
// transaction read them and has changed nothing since.
func (tx *Tx) cachedSignupActivity(id int64) (*Activity, []LiveCard, bool) {
	c := tx.signup
	if c == nil || c.a.ID != id || c.stamp != tx.seq {
		return nil, nil, false
	}
	return c.a.clone(), slices.Clone(c.pubs), true
}

// keepSignupActivity records what SignupActivity read, if the transaction wrote nothing while
// it read (seq is tx.seq before the read).
func (tx *Tx) keepSignupActivity(a *Activity, pubs []LiveCard, seq int) {
	tx.signup = nil
	if tx.seq == seq {
		tx.signup = &signupCache{a: a.clone(), pubs: slices.Clone(pubs), stamp: seq}
	}
}

// signupCacheHolds reports whether the transaction's copy is valid and a holds the same
// counters: a sign-up on a may then write its seat and counters to the copy (keepSignup).
func (tx *Tx) signupCacheHolds(a *Activity) bool {
	c := tx.signup
	if c == nil || c.stamp != tx.seq || c.a.ID != a.ID || c.a.Version != a.Version ||
		c.a.Confirmed != a.Confirmed || c.a.WaitlistSeq != a.WaitlistSeq || len(c.a.Items) != len(a.Items) {
		return false
	}
	for i, it := range c.a.Items {
		o := a.Items[i]
		if o.ID != it.ID || o.Confirmed != it.Confirmed || o.WaitlistSeq != it.WaitlistSeq {
			return false
		}
	}
	return true
}

// keepSignup takes a's counters into the copy: they are the database's after the
// transaction's writes since signupCacheHolds(a) (only those of a sign-up on a). Nothing else
// of a is taken, whatever its holder changed.
func (tx *Tx) keepSignup(a *Activity) {
	c := tx.signup.a
	c.Confirmed, c.WaitlistSeq = a.Confirmed, a.WaitlistSeq
	for i, it := range c.Items {
		it.Confirmed, it.WaitlistSeq = a.Items[i].Confirmed, a.Items[i].WaitlistSeq
	}
	tx.signup.stamp = tx.seq
}

// keepCopies runs f, whose writes touch none of the rows the transaction's copy holds (an
// event's deduplication key, a savepoint), and keeps the copy valid if it was.
func (tx *Tx) keepCopies(f func() error) error {
	valid := tx.signup != nil && tx.signup.stamp == tx.seq
	err := f()
	if valid && err == nil {
		tx.signup.stamp = tx.seq
	}
	return err
}

// clone copies a and its items, so that changes to one copy never reach another.
func (a *Activity) clone() *Activity {
	c := *a
	c.Branches = slices.Clone(a.Branches)
	c.PublishChats = slices.Clone(a.PublishChats)
	c.Items = make([]*ActivityItem, len(a.Items))
	for i, it := range a.Items {
		ic := *it
		c.Items[i] = &ic
	}
	if a.Items == nil {
		c.Items = nil
	}
	return &c
}
