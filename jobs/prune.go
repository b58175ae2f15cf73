package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/unionbot/unionbot/store"
)

// Prune is the housekeeping job: it deletes event-deduplication keys older than
// dedupRetention (Feishu redelivers for about 7 hours; keys are kept for days) and sent
// outbox messages older than outboxRetention. Deleting is idempotent, so replicas may both
// run it.
func Prune(db *store.DB, dedupRetention, outboxRetention time.Duration, log *slog.Logger) Job {
	return Job{Name: "prune", Spec: "@every 1h", Run: func(ctx context.Context) error {
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
