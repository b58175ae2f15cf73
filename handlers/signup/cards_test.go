package signup

import (
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/internal/golden"
	"github.com/unionbot/unionbot/store"
)

// goldenActivity is an open activity with two items, one of them full, as the cards show it.
func goldenActivity(loc *time.Location) *store.Activity {
	at := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			panic(err)
		}
		return t
	}
	return &store.Activity{ID: 7, Version: 3, Title: "羽毛球比赛", Kind: store.KindSport, Description: "分男单、混双两个项目，自带球拍。",
		Place: "体育馆", StartsAt: at("2024-03-30 14:00"), EndsAt: at("2024-03-30 17:00"),
		SignupOpensAt: at("2024-03-19 09:00"), SignupClosesAt: at("2024-03-25 17:00"), CancelDeadline: at("2024-03-23 17:00"),
		Capacity: 0, EntryMode: store.ModeIndividual, Allocation: store.AllocFirstCome, Status: store.ActivityOpen,
		Branches: []string{"机关分工会", "体育学院分工会"},
		Items: []*store.ActivityItem{
			{ID: 11, ActivityID: 7, Name: "男单", Capacity: 2, Gender: "M", Position: 1, Confirmed: 2, WaitlistSeq: 1},
			{ID: 12, ActivityID: 7, Name: "混双", Capacity: 8, Position: 2, Confirmed: 3},
		},
		Confirmed: 5}
}

// TestCardsGolden pins the main sign-up cards: the group card, a member's own card (a seat,
// and a place on the waitlist), the officers' card, and the 新建活动 and edit forms.
func TestCardsGolden(t *testing.T) {
	loc := shanghai(t)
	h := newHandler(handlers.Deps{Loc: loc})
	a := goldenActivity(loc)
	now := time.Date(2024, 3, 20, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai
	confirmed := []*store.Entry{{ID: 101, ActivityID: 7, ItemID: 12, MemberID: 9, Role: store.RoleIndividual, Status: store.EntryConfirmed}}
	waitlisted := []*store.Entry{{ID: 102, ActivityID: 7, ItemID: 11, MemberID: 9, Role: store.RoleIndividual, Status: store.EntryWaitlisted, Position: 1}}
	stats := &store.ActivityStats{ItemStats: store.ItemStats{Confirmed: 5, Waitlisted: 1, SeatsLeft: 5}, People: 6, Items: []store.ItemStats{
		{ItemID: 11, Name: "男单", Capacity: 2, Confirmed: 2, Waitlisted: 1, SeatsLeft: 0},
		{ItemID: 12, Name: "混双", Capacity: 8, Confirmed: 3, SeatsLeft: 5},
	}}
	for _, tc := range []struct {
		name string
		card interface{ JSON() ([]byte, error) }
	}{
		{"signup_group", h.sharedCard(a)},
		{"signup_member_confirmed", h.personalCard(a, confirmed, "报名成功！", now)},
		{"signup_member_waitlisted", h.personalCard(a, waitlisted, "", now)},
		{"signup_officer", officerCard(a, stats, loc)},
		{"activity_form_new", activityForm(nil, []string{"机关分工会", "体育学院分工会"}, loc)},
		{"activity_form_edit", activityForm(a, []string{"机关分工会", "体育学院分工会"}, loc)},
	} {
		t.Run(tc.name, func(t *testing.T) { golden.Card(t, tc.name, tc.card) })
	}
}
