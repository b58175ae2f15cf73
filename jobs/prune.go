package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/unionbot/unionbot/store"
)

// Prune is the housekeeping job: it deletes event-deduplication keys older than
// dedupRetention (Feishu redelivers for about 7 hours; keys are kept for days) and sent
// outbox messages older than outboxRetention, on schedule spec (default "@every 1h").
// Deleting is idempotent; the lease makes one replica do it.
func Prune(db *store.DB, spec string, dedupRetention, outboxRetention time.Duration, log *slog.Logger) Job {
	if spec == "" {
		spec = "@every 1h"
	}
	return Job{Name: "prune", Spec: spec, Help: "delete old event keys and sent outbox messages", Run: func(ctx context.Context, _ *Run) error {
		n, err := db.PruneProcessed(ctx, dedupRetention)
		if err != nil {
			return err
		}
		m, err := db.PruneOutbox(ctx, outboxRetention)
		if err != nil {
			return err
		}
		if n+m > 0 {
			log.Info("pruned", "dedup_keys", n, "sent_messages", m)
		}
		return nil
	}}
}
