package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
)

// JobPurge is the name of the retention purge job.
const JobPurge = "privacy.purge"

// RegisterJobs adds the retention purge: every registered store.RetentionRule, with the periods
// of privacy.materials_retention_days and privacy.records_retention_days, audited.
func RegisterJobs(e *jobs.Engine, d handlers.Deps) error {
	d = d.WithDefaults()
	p := d.Config.Privacy
	day := 24 * time.Hour
	return e.Add(jobs.Job{Name: JobPurge, Spec: p.PurgeSchedule,
		Help: fmt.Sprintf("privacy: purge closed cases' materials after %d days and their records after %d days", p.MaterialsRetentionDays, p.RecordsRetentionDays),
		Run: func(ctx context.Context, r *jobs.Run) error {
			rep, err := r.DB.Purge(ctx, r.At, time.Duration(p.MaterialsRetentionDays)*day, time.Duration(p.RecordsRetentionDays)*day, "job:"+JobPurge)
			if err != nil {
				return err
			}
			for name, n := range rep.Materials {
				if n > 0 || rep.Records[name] > 0 {
					r.Log.Info("privacy: purged", "rule", name, "materials", n, "records", rep.Records[name])
				}
			}
			return nil
		}})
}
