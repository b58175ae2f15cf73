package signup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/unionbot/unionbot/store"
)

// CreateOptions configure CreateFromYAML.
type CreateOptions struct {
	Publish      bool     // open the activities for sign-up and send their cards at once
	DefaultChats []string // signup.default_chats, for Publish
	Actor        string   // for the audit trail, e.g. "cli:alice"
	Loc          *time.Location
	// Now, when set, refuses activities whose sign-up closes or whose start lies before it
	// (the CLI sets it unless -allow-past).
	Now time.Time
}

// PastError refuses a file holding activities whose sign-up closes or whose start is past.
type PastError struct{ Problems []string }

func (e *PastError) Error() string { return strings.Join(e.Problems, "\n") }

// pastProblems lists, in Chinese, the activities of acts whose sign-up close or start lies before now.
func pastProblems(acts []*store.Activity, now time.Time, loc *time.Location) []string {
	var out []string
	for _, a := range acts {
		switch {
		case a.StartsAt.Before(now):
			out = append(out, fmt.Sprintf("活动「%s」的开始时间 %s 已经过去。", a.Title, a.StartsAt.In(loc).Format("2006-01-02 15:04")))
		case a.SignupClosesAt.Before(now):
			out = append(out, fmt.Sprintf("活动「%s」的报名截止时间 %s 已经过去。", a.Title, a.SignupClosesAt.In(loc).Format("2006-01-02 15:04")))
		}
	}
	return out
}

// duplicates lists, in Chinese, the activities of acts that exist already (same title and
// start, not cancelled) or stand twice in the file.
func duplicates(ctx context.Context, tx *store.Tx, acts []*store.Activity, loc *time.Location) ([]string, error) {
	var out []string
	for i, a := range acts {
		when := a.StartsAt.In(loc).Format("2006-01-02 15:04")
		var rows []struct {
			ID       int64     `db:"id"`
			StartsAt time.Time `db:"starts_at"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT id, starts_at FROM activities WHERE title = ? AND status <> ? ORDER BY id`,
			a.Title, store.ActivityCancelled); err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.StartsAt.Equal(a.StartsAt) {
				out = append(out, fmt.Sprintf("活动「%s」（%s 开始）已经存在（活动 %d）。", a.Title, when, r.ID))
				break
			}
		}
		for _, b := range acts[:i] {
			if b.Title == a.Title && b.StartsAt.Equal(a.StartsAt) {
				out = append(out, fmt.Sprintf("活动「%s」（%s 开始）在文件里出现了两次。", a.Title, when))
				break
			}
		}
	}
	return out, nil
}

// CreateFromYAML creates the activities of a YAML file (the format of
// examples/activity-badminton.yaml) in one transaction: all of them or, on any problem, none.
// Problems name the line (in Chinese). Created activities are drafts unless o.Publish. A file
// with activities already created (same title and start; cancelled ones aside) is refused
// naming them, so running a file twice creates nothing the second time; with o.Now set, so is
// one whose sign-up closes or whose start is past (a *PastError).
func CreateFromYAML(ctx context.Context, db *store.DB, r io.Reader, o CreateOptions) ([]*store.Activity, error) {
	acts, err := ParseActivitiesYAML(r, o.Loc)
	if err != nil {
		return nil, err
	}
	if !o.Now.IsZero() {
		if ps := pastProblems(acts, o.Now, o.Loc); len(ps) > 0 {
			return nil, &PastError{ps}
		}
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		dups, err := duplicates(ctx, tx, acts, o.Loc)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			return errors.New(strings.Join(dups, "\n"))
		}
		for _, a := range acts {
			if err := checkBranches(ctx, tx, a); err != nil {
				return fmt.Errorf("活动「%s」：%s", a.Title, store.ErrorMessage(err))
			}
			a.Status = store.ActivityDraft
			if err := tx.CreateActivity(ctx, a); err != nil {
				return fmt.Errorf("活动「%s」：%w", a.Title, err)
			}
			if err := tx.Audit(ctx, o.Actor, "activity", fmt.Sprint(a.ID), "import", "from a YAML file"); err != nil {
				return err
			}
			if o.Publish {
				if _, _, err := publish(ctx, tx, a, o.DefaultChats, o.Actor, o.Loc); err != nil {
					return fmt.Errorf("活动「%s」：%w", a.Title, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return acts, nil
}
