package store_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestSignupActivity checks the hot path's one-query read against Activity and LiveCards:
// the same activity and items, and the group cards' message ids once known.
func TestSignupActivity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		withItems := baseActivity()
		withItems.Branches = []string{"机关分工会", "计算机学院分工会"}
		withItems.AgeMin, withItems.AgeRefDate = 45, "2024-04-01"
		withItems.Items = []*store.ActivityItem{{Name: "女单", Capacity: 2, Gender: "F", Position: 2},
			{Name: "男单", Capacity: 1, Gender: "M", Position: 1}, {Name: "混双", TeamMin: 2, TeamMax: 2, MinWomen: 1, Position: 3}}
		f.create(withItems)
		plain := baseActivity()
		plain.Title, plain.Capacity = "健康跑", 64
		f.create(plain)
		m := f.member("hot1", "机关分工会", "M")
		f.must(f.tx(func(tx *store.Tx) error { return tx.SetBirthDate(f.ctx, m.ID, "1970-01-01") }))
		m = f.facts(m.ID)
		if _, err := f.signup(withItems, withItems.Items[1].ID, m); err != nil {
			t.Fatal(err)
		}
		read := func(id int64) (a *store.Activity, pubs []store.LiveCard, err error) {
			err = f.tx(func(tx *store.Tx) (err error) { a, pubs, err = tx.SignupActivity(f.ctx, id); return err })
			return
		}
		messages := func(pubs []store.LiveCard) []string {
			var out []string
			for _, p := range pubs {
				if p.MessageID != "" {
					out = append(out, p.MessageID)
				}
			}
			slices.Sort(out)
			return out
		}
		for _, want := range []*store.Activity{withItems, plain} {
			full, err := db.Activity(f.ctx, want.ID)
			f.must(err)
			got, pubs, err := read(want.ID)
			f.must(err)
			if !reflect.DeepEqual(got, full) {
				t.Errorf("%s: SignupActivity %+v\nActivity %+v", want.Title, got, full)
			}
			for i := range full.Items {
				if !reflect.DeepEqual(got.Items[i], full.Items[i]) {
					t.Errorf("%s item %d: %+v, want %+v", want.Title, i, got.Items[i], full.Items[i])
				}
			}
			if len(pubs) != 0 {
				t.Errorf("%s: publications %+v before publishing", want.Title, pubs)
			}
		}
		// Published to two chats: while the cards are undelivered there is nothing to patch;
		// once delivered (the outbox knows the message id) both are returned.
		f.must(f.tx(func(tx *store.Tx) error {
			for _, chat := range []string{"oc_a", "oc_b"} {
				if _, err := tx.PostCard(f.ctx, "activity", plain.ID, chat, `{"text":"x"}`); err != nil {
					return err
				}
			}
			return nil
		}))
		if _, pubs, err := read(plain.ID); err != nil || len(messages(pubs)) != 0 {
			t.Errorf("undelivered: %+v %v", pubs, err)
		}
		msgs, err := db.ClaimOutbox(f.ctx, "w", 10, time.Minute)
		f.must(err)
		for i, msg := range msgs {
			f.must(db.MarkSent(f.ctx, msg, []string{"om_1", "om_2"}[i]))
		}
		for round := 0; round < 2; round++ { // first learnt from the outbox, then from the publications
			_, pubs, err := read(plain.ID)
			f.must(err)
			if got := messages(pubs); !slices.Equal(got, []string{"om_1", "om_2"}) {
				t.Errorf("round %d: message ids %v", round, got)
			}
		}
		if _, pubs, _ := read(withItems.ID); len(pubs) != 0 {
			t.Errorf("another activity's publications: %+v", pubs)
		}
		if _, _, err := read(99999); code(err) != store.ENOTFOUND {
			t.Errorf("unknown activity: %v", err)
		}
	})
}

// TestResolvedMemberFacts checks that the member the router resolves (MemberWithRoles) carries
// what eligibility needs, equal to MemberFacts.
func TestResolvedMemberFacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, birth := range []string{"1979-05-01", ""} {
			name := "facts" + strings.ReplaceAll(birth, "-", "")
			m := f.member(name, "体育学院分工会", "F")
			f.must(f.tx(func(tx *store.Tx) error { return tx.SetBirthDate(f.ctx, m.ID, birth) }))
			want := f.facts(m.ID)
			got, _, err := db.MemberWithRoles(f.ctx, "ou_"+name)
			f.must(err)
			if !reflect.DeepEqual(got.Facts(), want) {
				t.Errorf("birth %q: Facts() %+v, MemberFacts %+v", birth, got.Facts(), want)
			}
			if got.Facts().BirthDate() != birth {
				t.Errorf("birth date %q, want %q", got.Facts().BirthDate(), birth)
			}
		}
	})
}

// TestSecondSignupRefused checks the second sign-up in the same item, refused by the unique key
// (no read of the member's entries beforehand): the message names the standing entry, and
// nothing changes, the counters included.
func TestSecondSignupRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.Capacity = 1
		f.create(a)
		first, second := f.member("dup1", "机关分工会", "M"), f.member("dup2", "机关分工会", "F")
		if e, err := f.signup(a, 0, first); err != nil || e.Status != store.EntryConfirmed {
			t.Fatalf("first: %+v %v", e, err)
		}
		if e, err := f.signup(a, 0, second); err != nil || e.Status != store.EntryWaitlisted || e.Position != 1 {
			t.Fatalf("second: %+v %v", e, err)
		}
		state := func() string {
			var s struct {
				Entries, Audit, Confirmed, Seq int
			}
			f.must(db.Get(f.ctx, &s.Entries, `SELECT COUNT(*) FROM signup_entries`))
			f.must(db.Get(f.ctx, &s.Audit, `SELECT COUNT(*) FROM audit_log`))
			got, err := db.Activity(f.ctx, a.ID)
			f.must(err)
			s.Confirmed, s.Seq = got.Confirmed, got.WaitlistSeq
			return fmt.Sprintf("%+v", s)
		}
		before := state()
		tests := []struct {
			name string
			who  *store.MemberFacts
			want string
		}{
			{"confirmed", first, "dup1已经报名了（已确认），无需重复报名。"},
			{"waitlisted", second, "dup2已经报名了（候补第 1 位），无需重复报名。"},
		}
		for _, tc := range tests {
			_, err := f.signup(a, 0, tc.who)
			if code(err) != store.ECONFLICT || store.ErrorMessage(err) != tc.want {
				t.Errorf("%s: %v (%q), want %q", tc.name, err, store.ErrorMessage(err), tc.want)
			}
			if after := state(); after != before {
				t.Errorf("%s: database changed %s → %s", tc.name, before, after)
			}
		}
		// The next person still gets the next place.
		if e, err := f.signup(a, 0, f.member("dup3", "机关分工会", "M")); err != nil || e.Position != 2 {
			t.Errorf("third: %+v %v", e, err)
		}
	})
}
