package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Legal aid (法律援助): a member's intake, seen by the member, the legal-aid officers and the
// lawyers only (LegalAccess), and appointments with the duty lawyer. facts and other_party are
// sealed (SealedLegalFacts, SealedLegalOtherParty). Every change is in the audit trail (entity
// "legal_case"), every view in the read audit.

// Legal-aid case statuses.
const (
	LegalOpen      = "open"      // submitted, being handled
	LegalClosed    = "closed"    // closed by a legal-aid officer
	LegalWithdrawn = "withdrawn" // the member withdrew (or withdrew their consent)
)

// Legal-aid steps, the names of the transitions in LegalNext and in the audit trail.
const (
	LegalStepClose    = "close"
	LegalStepWithdraw = "withdraw"
)

// LegalNext is the legal-aid state machine, the one place that says which step may follow
// which: from a status, each step and the status it leads to.
var LegalNext = map[string]map[string]string{
	LegalOpen: {LegalStepClose: LegalClosed, LegalStepWithdraw: LegalWithdrawn},
}

// LegalStatusNames are the statuses as members read them.
var LegalStatusNames = map[string]string{LegalOpen: "办理中", LegalClosed: "已结案", LegalWithdrawn: "已撤回"}

// LegalCategories are the intake's categories.
var LegalCategories = []string{"劳动合同", "工资待遇", "社保/工伤", "职称/考核", "人身损害", "名誉", "其他"}

// The sealed columns of legal aid.
var (
	SealedLegalFacts      = RegisterSealed(SealedColumn{Table: "legal_cases", Column: "facts"})
	SealedLegalOtherParty = RegisterSealed(SealedColumn{Table: "legal_cases", Column: "other_party"})
)

// Roles of legal aid: only they (and the member) see a case. An admin does not, unless
// granted one of them.
const (
	RoleLegalOfficer = "legal_officer" // 法律援助专员
	RoleLawyer       = "lawyer"        // 律师
)

// LegalStaff may see every legal-aid case.
var LegalStaff = []string{RoleLegalOfficer, RoleLawyer}

// LegalOfficers close cases.
var LegalOfficers = []string{RoleLegalOfficer}

// LegalAccess says who may see a legal-aid case: its member, and the holders of LegalStaff
// roles themselves (not an admin by virtue of being one). roles are the viewer's granted roles.
func LegalAccess(c *LegalCase, viewerID int64, roles []string) bool {
	if c.MemberID == viewerID {
		return true
	}
	for _, r := range LegalStaff {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// LegalCase is one intake. Facts and OtherParty are sealed as stored.
type LegalCase struct {
	ID          int64      `db:"id"`
	MemberID    int64      `db:"member_id"`
	MemberName  string     `db:"member_name"`
	OpenID      string     `db:"open_id"`
	BranchName  string     `db:"branch_name"`
	Status      string     `db:"status"`
	Category    string     `db:"category"`
	Urgent      bool       `db:"urgent"`
	Facts       string     `db:"facts"`
	OtherParty  string     `db:"other_party"`
	Conflict    bool       `db:"conflict"`
	DisputeDate string     `db:"dispute_date"` // 2006-01-02
	LimitDate   string     `db:"limit_date"`   // the labour-arbitration limit
	CloseNote   string     `db:"close_note"`
	Version     int        `db:"version"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
	ClosedAt    *time.Time `db:"closed_at"`
	// MaterialsPurgedAt is when the retention purge erased the sealed texts.
	MaterialsPurgedAt *time.Time `db:"materials_purged_at"`

	Booking *LegalBooking `db:"-"` // the standing appointment, if any
}

// LegalBooking is an appointment with the duty lawyer.
type LegalBooking struct {
	ID       int64     `db:"id"`
	CaseID   int64     `db:"case_id"`
	StartsAt time.Time `db:"starts_at"`
	EndsAt   time.Time `db:"ends_at"`
	Status   string    `db:"status"`
}

// Booking statuses.
const (
	BookingBooked    = "booked"
	BookingCancelled = "cancelled"
)

// ArbitrationLimit is the labour-arbitration limit of a dispute on date (2006-01-02): one
// year later (劳动争议调解仲裁法 Art. 27).
func ArbitrationLimit(date string) (string, error) {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return "", err
	}
	return d.AddDate(1, 0, 0).Format(time.DateOnly), nil
}

// LegalIntake is what a member submits.
type LegalIntake struct {
	MemberID    int64
	Category    string
	Urgent      bool
	Facts       string
	OtherParty  string
	DisputeDate string // 2006-01-02, in the union's time zone
	Today       string // today in the union's time zone, for the date check
	Conflict    bool   // set by the caller (LegalConflict)
}

// Limits of the intake's texts.
const (
	legalFactsMax = 2000
	legalPartyMax = 100
)

// ValidateLegalIntake checks an intake before anything is stored; the message says what is
// wrong.
func ValidateLegalIntake(in *LegalIntake) error {
	in.Facts, in.OtherParty = strings.TrimSpace(in.Facts), strings.TrimSpace(in.OtherParty)
	switch {
	case !slices.Contains(LegalCategories, in.Category):
		return Errorf(EINVALID, "请选择纠纷类别。")
	case in.Facts == "":
		return Errorf(EINVALID, "请填写事实经过。")
	case utf8.RuneCountInString(in.Facts) > legalFactsMax:
		return Errorf(EINVALID, "事实经过最多 %d 字，请精简（详细材料可面谈时提供）。", legalFactsMax)
	case in.OtherParty == "":
		return Errorf(EINVALID, "请填写对方当事人（单位或个人）。")
	case utf8.RuneCountInString(in.OtherParty) > legalPartyMax:
		return Errorf(EINVALID, "对方当事人最多 %d 字。", legalPartyMax)
	}
	d, err := time.Parse(time.DateOnly, in.DisputeDate)
	if err != nil {
		return Errorf(EINVALID, "请选择纠纷发生日期。")
	}
	if in.Today != "" && in.DisputeDate > in.Today {
		return Errorf(EINVALID, "纠纷发生日期不能晚于今天。")
	}
	if d.Year() < 1990 {
		return Errorf(EINVALID, "纠纷发生日期不对，请检查年份。")
	}
	return nil
}

// LegalConflict reports whether otherParty names the school or one of its units: one of the
// school's names, a department's name, or the unit of a 分工会 ("信息工程学院分工会" gives 信息工程学院).
func (tx *Tx) LegalConflict(ctx context.Context, otherParty string, schoolNames []string) (bool, error) {
	names := append([]string{"学校", "校方", "本校"}, schoolNames...)
	var units []string
	if err := tx.SelectContext(ctx, &units, `SELECT name FROM departments UNION ALL SELECT name FROM branches`); err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.LegalConflict", Err: err}
	}
	for _, u := range units {
		names = append(names, strings.TrimSuffix(u, "分工会"))
	}
	party := strings.ReplaceAll(otherParty, " ", "")
	for _, n := range names {
		if n = strings.TrimSpace(n); utf8.RuneCountInString(n) >= 2 && strings.Contains(party, n) {
			return true, nil
		}
	}
	return false, nil
}

// CreateLegalCase stores an intake validated by ValidateLegalIntake: the case row, then its
// sealed texts (bound to the row). Audited as actor without the texts.
func (tx *Tx) CreateLegalCase(ctx context.Context, in *LegalIntake, facts, otherParty Sensitive, actor string) (int64, error) {
	const op = "store.CreateLegalCase"
	limit, err := ArbitrationLimit(in.DisputeDate)
	if err != nil {
		return 0, &Error{Code: EINVALID, Op: op, Message: "请选择纠纷发生日期。"}
	}
	if !facts.Keys.Enabled() || !otherParty.Keys.Enabled() {
		return 0, &Error{Code: EINVALID, Op: op, Message: "系统尚未配置数据加密密钥，暂不能受理法律援助。请联系工会管理员。"}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO legal_cases (member_id, status, category, urgent, facts, other_party, conflict,
		dispute_date, limit_date, close_note, version, created_at, updated_at) VALUES (?, ?, ?, ?, '', '', ?, ?, ?, '', 1, ?, ?)`,
		in.MemberID, LegalOpen, in.Category, in.Urgent, in.Conflict, in.DisputeDate, limit, tx.now, tx.now)
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := tx.sealSensitive(ctx, SealedLegalFacts, id, facts); err != nil {
		return 0, err
	}
	if err := tx.sealSensitive(ctx, SealedLegalOtherParty, id, otherParty); err != nil {
		return 0, err
	}
	detail := in.Category
	if in.Conflict {
		detail += "; conflict of interest"
	}
	return id, tx.Audit(ctx, actor, "legal_case", fmt.Sprint(id), "submit", detail)
}

func legalSelect(dialect string) string {
	return `SELECT c.id, c.member_id, m.name AS member_name, COALESCE(m.open_id, '') AS open_id, COALESCE(b.name, '') AS branch_name,
		c.status, c.category, c.urgent, c.facts, c.other_party, c.conflict, ` + taskDate(dialect, "c.dispute_date") + ` AS dispute_date,
		` + taskDate(dialect, "c.limit_date") + ` AS limit_date, c.close_note, c.version, c.created_at, c.updated_at, c.closed_at,
		c.materials_purged_at
		FROM legal_cases c JOIN members m ON m.id = c.member_id LEFT JOIN branches b ON b.id = m.branch_id `
}

// LegalCaseByID reads a case with its standing appointment. Callers check LegalAccess before
// showing anything of it, and show it through Reveal.
func (tx *Tx) LegalCaseByID(ctx context.Context, id int64) (*LegalCase, error) {
	var c LegalCase
	if err := tx.GetContext(ctx, &c, legalSelect(tx.db.Dialect)+`WHERE c.id = ?`, id); err != nil {
		return nil, notFound("store.LegalCaseByID", err, "找不到这件法律援助申请。")
	}
	b, err := tx.standingBooking(ctx, id)
	if err != nil {
		return nil, err
	}
	c.Booking = b
	return &c, nil
}

func (tx *Tx) standingBooking(ctx context.Context, caseID int64) (*LegalBooking, error) {
	var b LegalBooking
	err := tx.GetContext(ctx, &b, `SELECT id, case_id, starts_at, ends_at, status FROM legal_bookings WHERE live_case = ?`, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.standingBooking", Err: err}
	}
	return &b, nil
}

// LegalCasesOf are a member's cases, newest first (without their appointments).
func (tx *Tx) LegalCasesOf(ctx context.Context, memberID int64) ([]*LegalCase, error) {
	out := []*LegalCase{}
	if err := tx.SelectContext(ctx, &out, legalSelect(tx.db.Dialect)+`WHERE c.member_id = ? ORDER BY c.id DESC`, memberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.LegalCasesOf", Err: err}
	}
	return out, nil
}

// LegalCasesByStatus are the cases in status, oldest first, at most limit.
func (tx *Tx) LegalCasesByStatus(ctx context.Context, status string, limit int) ([]*LegalCase, error) {
	out := []*LegalCase{}
	if err := tx.SelectContext(ctx, &out, legalSelect(tx.db.Dialect)+`WHERE c.status = ? ORDER BY c.id LIMIT ?`, status, limit); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.LegalCasesByStatus", Err: err}
	}
	return out, nil
}

// StepLegalCase moves a case by step (LegalNext) if it is still at the version read: the
// status, the note (a close note), the audit trail; a standing appointment is cancelled when
// the case ends. A case that moved meanwhile: ECONFLICT; a step not allowed: EINVALID.
func (tx *Tx) StepLegalCase(ctx context.Context, c *LegalCase, step, note, actor string) error {
	const op = "store.StepLegalCase"
	to, ok := LegalNext[c.Status][step]
	if !ok {
		return &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("这件申请%s，不能再办理。", LegalStatusNames[c.Status])}
	}
	res, err := tx.ExecContext(ctx, `UPDATE legal_cases SET status = ?, close_note = ?, version = version + 1, updated_at = ?,
		closed_at = ? WHERE id = ? AND status = ? AND version = ?`, to, note, tx.now, tx.now, c.ID, c.Status, c.Version)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "这件申请已被他人处理，请刷新后再试。"}
	}
	if _, err := tx.cancelBookings(ctx, c.ID); err != nil {
		return err
	}
	c.Status, c.Version, c.CloseNote = to, c.Version+1, note
	return tx.Audit(ctx, actor, "legal_case", fmt.Sprint(c.ID), step, "")
}

func (tx *Tx) cancelBookings(ctx context.Context, caseID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE legal_bookings SET status = ?, live_slot = NULL, live_case = NULL, cancelled_at = ?
		WHERE case_id = ? AND live_case IS NOT NULL`, BookingCancelled, tx.now, caseID)
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.cancelBookings", Err: err}
	}
	return res.RowsAffected()
}

// BookLegalSlot books the slot [start, end) for an open case. A slot already booked, or a case
// with a standing appointment, is refused (ECONFLICT, by the unique keys, so two clicks at once
// cannot both win). The caller checks that the slot is one of the configured ones, in the
// future.
func (tx *Tx) BookLegalSlot(ctx context.Context, c *LegalCase, start, end time.Time, actor string) (*LegalBooking, error) {
	const op = "store.BookLegalSlot"
	if c.Status != LegalOpen {
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("这件申请%s，不能预约。", LegalStatusNames[c.Status])}
	}
	if c.Booking != nil {
		return nil, &Error{Code: ECONFLICT, Op: op, Message: "这件申请已有预约。如需改时间，请先取消原预约。"}
	}
	start, end = utc(start), utc(end)
	var taken int
	if err := tx.GetContext(ctx, &taken, `SELECT COUNT(*) FROM legal_bookings WHERE live_slot = ?`, start); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if taken > 0 {
		return nil, &Error{Code: ECONFLICT, Op: op, Message: "该时段已被预约，请选择其他时段。"}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO legal_bookings (case_id, starts_at, ends_at, status, live_slot, live_case, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, start, end, BookingBooked, start, c.ID, tx.now)
	if isUniqueViolation(err) {
		return nil, &Error{Code: ECONFLICT, Op: op, Message: "该时段刚被他人预约，请选择其他时段。", Err: err}
	} else if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	id, _ := res.LastInsertId()
	b := &LegalBooking{ID: id, CaseID: c.ID, StartsAt: start, EndsAt: end, Status: BookingBooked}
	return b, tx.Audit(ctx, actor, "legal_case", fmt.Sprint(c.ID), "book", start.Format(time.RFC3339))
}

// CancelLegalBooking cancels the case's standing appointment; ENOTFOUND when there is none.
func (tx *Tx) CancelLegalBooking(ctx context.Context, c *LegalCase, actor string) error {
	n, err := tx.cancelBookings(ctx, c.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return &Error{Code: ENOTFOUND, Op: "store.CancelLegalBooking", Message: "这件申请没有预约。"}
	}
	return tx.Audit(ctx, actor, "legal_case", fmt.Sprint(c.ID), "cancel_booking", "")
}

// TakenLegalSlots are the start instants of the standing appointments in [from, to).
func (tx *Tx) TakenLegalSlots(ctx context.Context, from, to time.Time) ([]time.Time, error) {
	out := []time.Time{}
	if err := tx.SelectContext(ctx, &out, `SELECT starts_at FROM legal_bookings WHERE live_slot IS NOT NULL
		AND starts_at >= ? AND starts_at < ? ORDER BY starts_at`, utc(from), utc(to)); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.TakenLegalSlots", Err: err}
	}
	return out, nil
}

// LegalBookingDue is a standing appointment with its case's member, for the reminder job.
type LegalBookingDue struct {
	LegalBooking
	MemberOpenID string `db:"open_id"`
}

// LegalBookingsStarting are the standing appointments of open cases starting in [from, to).
func (db *DB) LegalBookingsStarting(ctx context.Context, from, to time.Time) ([]LegalBookingDue, error) {
	out := []LegalBookingDue{}
	if err := db.Select(ctx, &out, `SELECT b.id, b.case_id, b.starts_at, b.ends_at, b.status, COALESCE(m.open_id, '') AS open_id
		FROM legal_bookings b JOIN legal_cases c ON c.id = b.case_id JOIN members m ON m.id = c.member_id
		WHERE b.live_slot IS NOT NULL AND c.status = ? AND b.starts_at >= ? AND b.starts_at < ? ORDER BY b.starts_at`,
		LegalOpen, utc(from), utc(to)); err != nil {
		return nil, fmt.Errorf("store.LegalBookingsStarting: %w", err)
	}
	return out, nil
}

// OpenLegalLimits are the open cases (id, member's open_id, limit date) whose arbitration limit
// falls in [fromDate, toDate] (2006-01-02), for the reminder job.
func (db *DB) OpenLegalLimits(ctx context.Context, fromDate, toDate string) ([]*LegalCase, error) {
	out := []*LegalCase{}
	if err := db.Select(ctx, &out, legalSelect(db.Dialect)+`WHERE c.status = ? AND c.limit_date >= ? AND c.limit_date <= ? ORDER BY c.id`,
		LegalOpen, fromDate, toDate); err != nil {
		return nil, fmt.Errorf("store.OpenLegalLimits: %w", err)
	}
	return out, nil
}

// A member who withdraws the legal consent stops their open cases (withdrawn, appointments
// cancelled).
var _ = func() bool {
	OnConsentWithdrawn(PurposeLegal, func(ctx context.Context, tx *Tx, memberID int64, actor string) (int, error) {
		cases, err := tx.LegalCasesOf(ctx, memberID)
		if err != nil {
			return 0, err
		}
		n := 0
		for _, c := range cases {
			if c.Status != LegalOpen {
				continue
			}
			if err := tx.StepLegalCase(ctx, c, LegalStepWithdraw, "撤回同意", actor); err != nil {
				return 0, err
			}
			n++
		}
		return n, nil
	})
	return true
}()
