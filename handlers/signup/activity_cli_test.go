package signup

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// A file created twice creates nothing the second time and names what exists (on both
// databases: the start is compared as stored); a cancelled activity does not count; with Now
// set, past activities are refused before anything is written.
func TestCreateFromYAMLExistingAndPast(t *testing.T) {
	example, err := os.ReadFile("../../examples/activity-badminton.yaml")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := CreateOptions{Actor: "cli:test", Loc: shanghai(t)}
		create := func(body string, o CreateOptions) ([]*store.Activity, error) {
			return CreateFromYAML(ctx, db, strings.NewReader(body), o)
		}
		past := o
		past.Now = time.Date(2024, 4, 16, 0, 0, 0, 0, o.Loc) // sign-up closed on the 15th
		var pe *PastError
		if _, err := create(string(example), past); !errors.As(err, &pe) || !strings.Contains(err.Error(), "报名截止时间 2024-04-15 18:00 已经过去") {
			t.Fatalf("past: %v", err)
		}
		past.Now = time.Date(2024, 3, 1, 0, 0, 0, 0, o.Loc)
		acts, err := create(string(example), past)
		if err != nil || len(acts) != 1 {
			t.Fatalf("create: %v", err)
		}
		other := strings.Replace(string(example), "title: 2024年教职工羽毛球比赛", "title: 乒乓球比赛", 1)
		_, err = create(other+"---\n"+string(example), o)
		if err == nil || !strings.Contains(err.Error(), "活动「2024年教职工羽毛球比赛」（2024-04-20 14:00 开始）已经存在") || strings.Contains(err.Error(), "乒乓球") {
			t.Fatalf("again: %v", err)
		}
		if all, _ := db.Activities(ctx); len(all) != 1 {
			t.Fatalf("a refused file created %d activities", len(all)-1)
		}
		// the same title at another time is another activity
		if _, err := create(strings.Replace(string(example), "start: 2024-04-20 14:00", "start: 2024-04-20 15:00", 1), o); err != nil {
			t.Errorf("another start: %v", err)
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE activities SET status = ? WHERE id = ?`, store.ActivityCancelled, acts[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := create(string(example), o); err != nil {
			t.Errorf("after the first was cancelled: %v", err)
		}
	})
}
