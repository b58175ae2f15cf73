// Package cronspec is the one parser of job schedules, shared by the job engine and the
// configuration's validation, so a spec that passes validation is one the engine runs.
//
// A spec has five fields (minute hour day-of-month month day-of-week, e.g. "0 9 25 * *"), an
// optional leading seconds field, or a descriptor ("@hourly", "@every 1h").
package cronspec

import "github.com/robfig/cron/v3"

// Parser parses job schedules.
var Parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse parses a schedule. The schedule's times are in the zone of the instant passed to Next.
func Parse(spec string) (cron.Schedule, error) { return Parser.Parse(spec) }
