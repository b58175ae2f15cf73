package jobs

import (
	"context"
	"fmt"

	"github.com/unionbot/unionbot/store"
)

// CalendarCheckName is the name of the job that warns admins about missing holiday data.
const CalendarCheckName = "calendar.check"

// CalendarCheck is the job that, in December, warns every admin (1:1, once a year) when next
// year has neither statutory holiday data nor entered overrides: without them the calendar
// falls back to Monday to Friday and officer reminders may land on holidays. admins returns
// the admins' open_ids.
func CalendarCheck(spec string, admins func(ctx context.Context) ([]string, error)) Job {
	if spec == "" {
		spec = "0 10 * 12 *"
	}
	return Job{Name: CalendarCheckName, Spec: spec, Help: "in December, warn admins when next year has no holiday data",
		Run: func(ctx context.Context, r *Run) error {
			at := r.At.In(r.Loc)
			if at.Month() != 12 {
				return nil
			}
			next := at.Year() + 1
			if r.Cal.HasYear(next) {
				return nil
			}
			ids, err := admins(ctx)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				r.Log.Warn("next year has no holiday data and there is no admin to tell", "year", next)
				return nil
			}
			text := fmt.Sprintf("【节假日数据提醒】系统还没有 %d 年的节假日安排。没有它，%d 年的工作日只能按周一至周五计算，"+
				"办公提醒可能落在假期里。国务院办公厅公布安排后，请发送「节假日导入」并粘贴安排录入，"+
				"例如：\n2027-01-01 休 元旦\n2027-02-06..2027-02-12 休 春节\n2027-02-07 班 春节调休\n发送「节假日 %d」可查看录入结果。",
				next, next, next)
			return r.DB.InTx(ctx, func(tx *store.Tx) error {
				for _, id := range ids {
					if _, err := r.Remind(ctx, tx, Reminder{Key: fmt.Sprintf("calendar.missing:%d:%s", next, id),
						Due: r.At, OpenID: id, Text: text, Office: true}); err != nil {
						return err
					}
				}
				return nil
			})
		}}
}
