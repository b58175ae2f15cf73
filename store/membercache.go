package store

import (
	"slices"
	"sync"
	"time"
)

// The sender cache. The router asks MemberWithRoles for the member behind every event, and
// it is the heaviest statement of most events (the member, their 分工会 and their roles). A
// member's events come in runs (a conversation, a card clicked through), so the answer is
// kept for MemberCacheTTL. Every update of members or write to member_roles through this DB
// forgets the whole cache when it commits (inserting a member makes nothing stale: only
// lookups that found a member are kept), and a read that overlapped such a write is not kept, so a
// change made here is seen by the next event; a change made by another replica or by the
// command line (members import, roles) is seen within MemberCacheTTL.

// MemberCacheTTL is how long a member read for an event is reused.
const MemberCacheTTL = 2 * time.Second

// memberCacheMax bounds the cache: past it, it starts over.
const memberCacheMax = 50_000

type memberCache struct {
	mu  sync.Mutex
	gen uint64 // bumped by every forget
	m   map[string]cachedMember
}

type cachedMember struct {
	member Member
	roles  []string
	at     time.Time
}

// get returns a copy of a fresh entry.
func (c *memberCache) get(openID string, now time.Time) (*Member, []string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[openID]
	if !ok || now.Sub(e.at) >= MemberCacheTTL || now.Before(e.at) {
		return nil, nil, false
	}
	m := e.member
	return &m, slices.Clone(e.roles), true
}

// generation is read before a lookup; put keeps the result only if no write committed since.
func (c *memberCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *memberCache) put(gen uint64, openID string, m *Member, roles []string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= memberCacheMax {
		c.m = map[string]cachedMember{}
	}
	c.m[openID] = cachedMember{member: *m, roles: slices.Clone(roles), at: now}
}

func (c *memberCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}

// MembersChanged makes the transaction forget the sender cache: at once (a read that starts
// now must not keep what it reads) and again when it commits. The store's member updates
// and role writes call it; code that writes members or member_roles with its own SQL must too.
func (tx *Tx) MembersChanged() {
	tx.db.members.forget()
	tx.AfterCommit(tx.db.members.forget)
}
