package store

import (
	"context"
	"time"
)

// HolidayOverride is one day of an entered holiday arrangement: a day off (Workday false) or a
// 调休 working day (Workday true). It wins over the statutory calendar and the weekend rule.
type HolidayOverride struct {
	Day       string    `db:"day"` // "2006-01-02", in the union's time zone
	Workday   bool      `db:"workday"`
	Name      string    `db:"name"`   // e.g. "春节" or "春节调休"
	Source    string    `db:"source"` // "chat", a file name, ...
	CreatedBy string    `db:"created_by"`
	CreatedAt time.Time `db:"created_at"`
}

// HolidayOverrides returns every override, by day. Days are read as "2006-01-02" text on both
// dialects.
func (db *DB) HolidayOverrides(ctx context.Context) ([]HolidayOverride, error) {
	var out []HolidayOverride
	err := db.Select(ctx, &out, `SELECT CAST(day AS CHAR) AS day, workday, name, source, created_by, created_at
		FROM holiday_overrides ORDER BY day`)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.HolidayOverrides", Err: err}
	}
	return out, nil
}

// PutHolidayOverrides writes days in the transaction, replacing any override of the same day,
// and audits the change. CreatedBy and Source are taken from each row.
func (tx *Tx) PutHolidayOverrides(ctx context.Context, days []HolidayOverride) error {
	const op = "store.PutHolidayOverrides"
	for i := range days {
		d := &days[i]
		d.CreatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `DELETE FROM holiday_overrides WHERE day = ?`, d.Day); err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO holiday_overrides (day, workday, name, source, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, d.Day, d.Workday, d.Name, d.Source, d.CreatedBy, d.CreatedAt); err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	return nil
}

// DeleteHolidayOverrides removes the overrides of the days from..to (inclusive, "2006-01-02")
// and returns how many there were.
func (tx *Tx) DeleteHolidayOverrides(ctx context.Context, from, to string) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM holiday_overrides WHERE day >= ? AND day <= ?`, from, to)
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.DeleteHolidayOverrides", Err: err}
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
