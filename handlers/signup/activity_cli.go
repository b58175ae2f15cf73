package signup

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/unionbot/unionbot/store"
)

// CreateOptions configure CreateFromYAML.
type CreateOptions struct {
	Publish      bool     // open the activities for sign-up and send their cards at once
	DefaultChats []string // signup.default_chats, for Publish
	Actor        string   // for the audit trail, e.g. "cli:alice"
	Loc          *time.Location
}

// CreateFromYAML creates the activities of a YAML file (the format of
// examples/activity-badminton.yaml) in one transaction: all of them or, on any problem, none.
// Problems name the line (in Chinese). Created activities are drafts unless o.Publish.
func CreateFromYAML(ctx context.Context, db *store.DB, r io.Reader, o CreateOptions) ([]*store.Activity, error) {
	acts, err := ParseActivitiesYAML(r, o.Loc)
	if err != nil {
		return nil, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
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
