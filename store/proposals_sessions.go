package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ProposalSession is a congress session (届次, e.g. 第四届第三次) that collects proposals: when
// collection opens and closes, the 大会 date, and the rules the committee set for it. Code
// prefixes its 立案编号 ("4-3" numbers proposals 4-3-001, 4-3-002 ...).
type ProposalSession struct {
	ID                  int64     `db:"id"`
	Name                string    `db:"name"`
	Code                string    `db:"code"`
	OpensAt             time.Time `db:"opens_at"`
	ClosesAt            time.Time `db:"closes_at"`
	CongressDate        string    `db:"congress_date"` // 2006-01-02
	MinCosigners        int       `db:"min_cosigners"` // 附议 needed to submit (DefaultMinCosigners unless stated)
	CategoriesText      string    `db:"categories"`    // one per line
	ReplyWorkdays       int       `db:"reply_workdays"`
	RatingWorkdays      int       `db:"rating_workdays"`
	CosignersRate       bool      `db:"cosigners_rate"`        // co-signers rate the reply too
	PublicAfterRegister bool      `db:"public_after_register"` // every member sees proposals after 立案
	LateAsSuggestion    bool      `db:"late_as_suggestion"`    // after the close, a proposal is taken as 意见建议
	ReplyReview         bool      `db:"reply_review"`          // 答复审核: the committee reviews a reply before the proposer sees it
	CreatedBy           string    `db:"created_by"`
	CreatedAt           time.Time `db:"created_at"`
}

// Defaults of a session's rules (DOMAIN.md §2).
const (
	DefaultMinCosigners   = 2
	DefaultReplyWorkdays  = 30
	DefaultRatingWorkdays = 15
)

// DefaultProposalCategories are a session's categories when none are given.
var DefaultProposalCategories = []string{"教学科研", "人事待遇", "后勤保障", "校园建设", "其他"}

// Categories lists the session's categories.
func (s *ProposalSession) Categories() []string {
	var out []string
	for _, c := range strings.Split(s.CategoriesText, "\n") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// HasCategory reports whether c is one of the session's categories.
func (s *ProposalSession) HasCategory(c string) bool {
	for _, x := range s.Categories() {
		if x == c {
			return true
		}
	}
	return false
}

// Open reports whether collection is open at now.
func (s *ProposalSession) Open(now time.Time) bool {
	return !now.Before(s.OpensAt) && now.Before(s.ClosesAt)
}

// Closed reports whether collection has closed at now.
func (s *ProposalSession) Closed(now time.Time) bool { return !now.Before(s.ClosesAt) }

// ValidateProposalSession checks a session as entered and fills in the defaults (not
// MinCosigners: 0 is a rule, no 附议 needed); the error is
// EINVALID naming the first problem in Chinese.
func ValidateProposalSession(s *ProposalSession) error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	s.Name, s.Code = strings.TrimSpace(s.Name), strings.TrimSpace(s.Code)
	if s.ReplyWorkdays == 0 {
		s.ReplyWorkdays = DefaultReplyWorkdays
	}
	if s.RatingWorkdays == 0 {
		s.RatingWorkdays = DefaultRatingWorkdays
	}
	if len(s.Categories()) == 0 {
		s.CategoriesText = strings.Join(DefaultProposalCategories, "\n")
	}
	switch {
	case s.Name == "":
		return bad("请填写届次名称（如 第四届第三次）。")
	case utf8.RuneCountInString(s.Name) > 50:
		return bad("届次名称太长（最多 50 字）。")
	case s.Code == "" || utf8.RuneCountInString(s.Code) > 20 || strings.ContainsAny(s.Code, " \t"):
		return bad("请填写届次代码（立案编号的前缀，如 4-3，最多 20 个字符，不含空格）。")
	case s.OpensAt.IsZero() || s.ClosesAt.IsZero():
		return bad("请填写征集开始和截止时间。")
	case !s.ClosesAt.After(s.OpensAt):
		return bad("征集截止时间应晚于开始时间。")
	case s.MinCosigners < 0 || s.MinCosigners > 50:
		return bad("附议人数应在 0 到 50 之间，收到 %d。", s.MinCosigners)
	case s.ReplyWorkdays < 1 || s.ReplyWorkdays > 250:
		return bad("答复期限应在 1 到 250 个工作日之间，收到 %d。", s.ReplyWorkdays)
	case s.RatingWorkdays < 1 || s.RatingWorkdays > 250:
		return bad("评价期限应在 1 到 250 个工作日之间，收到 %d。", s.RatingWorkdays)
	}
	d, ok := ParseDate(s.CongressDate)
	if !ok {
		return bad("大会日期无效：%q（格式 2027-04-15）。", s.CongressDate)
	}
	s.CongressDate = d
	for _, c := range s.Categories() {
		if utf8.RuneCountInString(c) > 20 {
			return bad("类别「%s」太长（最多 20 字）。", c)
		}
	}
	return nil
}

func sessionColumns(dialect string) string {
	return `s.id, s.name, s.code, s.opens_at, s.closes_at, ` + taskDate(dialect, "s.congress_date") + ` AS congress_date,
		s.min_cosigners, s.categories, s.reply_workdays, s.rating_workdays, s.cosigners_rate,
		s.public_after_register, s.late_as_suggestion, s.reply_review, s.created_by, s.created_at`
}

// CreateProposalSession validates and inserts a session, audited as created by actor. A
// session with the same name or code exists: ECONFLICT.
func (tx *Tx) CreateProposalSession(ctx context.Context, s *ProposalSession, actor string) error {
	const op = "store.CreateProposalSession"
	if err := ValidateProposalSession(s); err != nil {
		return err
	}
	s.CreatedBy, s.CreatedAt = actor, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO proposal_sessions (name, code, opens_at, closes_at, congress_date,
		min_cosigners, categories, reply_workdays, rating_workdays, cosigners_rate, public_after_register,
		late_as_suggestion, reply_review, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Name, s.Code, utc(s.OpensAt), utc(s.ClosesAt), s.CongressDate, s.MinCosigners, s.CategoriesText,
		s.ReplyWorkdays, s.RatingWorkdays, s.CosignersRate, s.PublicAfterRegister, s.LateAsSuggestion, s.ReplyReview, actor, tx.now)
	if isUniqueViolation(err) {
		return &Error{Code: ECONFLICT, Op: op, Message: fmt.Sprintf("届次「%s」或代码「%s」已存在。", s.Name, s.Code), Err: err}
	} else if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if s.ID, err = res.LastInsertId(); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return tx.Audit(ctx, actor, "proposal_session", fmt.Sprint(s.ID), "create", s.Name)
}

// ProposalSessionByID returns a session, or ENOTFOUND.
func (tx *Tx) ProposalSessionByID(ctx context.Context, id int64) (*ProposalSession, error) {
	var s ProposalSession
	if err := tx.GetContext(ctx, &s, `SELECT `+sessionColumns(tx.db.Dialect)+` FROM proposal_sessions s WHERE s.id = ?`, id); err != nil {
		return nil, notFound("store.ProposalSessionByID", err, "找不到该届次。")
	}
	return &s, nil
}

// ProposalSessionByName returns a session by its name or its code, or ENOTFOUND.
func (tx *Tx) ProposalSessionByName(ctx context.Context, name string) (*ProposalSession, error) {
	var s ProposalSession
	name = strings.TrimSpace(name)
	if err := tx.GetContext(ctx, &s, `SELECT `+sessionColumns(tx.db.Dialect)+` FROM proposal_sessions s
		WHERE s.name = ? OR s.code = ? ORDER BY s.id LIMIT 1`, name, name); err != nil {
		return nil, notFound("store.ProposalSessionByName", err, fmt.Sprintf("找不到届次「%s」。", name))
	}
	return &s, nil
}

// CurrentProposalSession returns the session proposals go to at now: the newest one whose
// collection has opened (open or closed), or ENOTFOUND when none has.
func (tx *Tx) CurrentProposalSession(ctx context.Context, now time.Time) (*ProposalSession, error) {
	var s ProposalSession
	if err := tx.GetContext(ctx, &s, `SELECT `+sessionColumns(tx.db.Dialect)+` FROM proposal_sessions s
		WHERE s.opens_at <= ? ORDER BY s.opens_at DESC, s.id DESC LIMIT 1`, utc(now)); err != nil {
		return nil, notFound("store.CurrentProposalSession", err, "目前没有征集提案的届次。")
	}
	return &s, nil
}

// ProposalSessions lists every session, newest first (read pool).
func (db *DB) ProposalSessions(ctx context.Context) ([]*ProposalSession, error) {
	var out []*ProposalSession
	if err := db.Select(ctx, &out, `SELECT `+sessionColumns(db.Dialect)+` FROM proposal_sessions s ORDER BY s.opens_at DESC, s.id DESC`); err != nil {
		return nil, fmt.Errorf("store.ProposalSessions: %w", err)
	}
	return out, nil
}

// UpdateProposalSession validates and saves a session's dates, thresholds, categories and
// switches (its name and code stay: the code prefixes the 立案编号 given), audited as actor.
func (tx *Tx) UpdateProposalSession(ctx context.Context, s *ProposalSession, actor string) error {
	const op = "store.UpdateProposalSession"
	if err := ValidateProposalSession(s); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE proposal_sessions SET opens_at = ?, closes_at = ?, congress_date = ?, min_cosigners = ?,
		categories = ?, reply_workdays = ?, rating_workdays = ?, cosigners_rate = ?, public_after_register = ?, late_as_suggestion = ?,
		reply_review = ? WHERE id = ?`,
		utc(s.OpensAt), utc(s.ClosesAt), s.CongressDate, s.MinCosigners, s.CategoriesText, s.ReplyWorkdays, s.RatingWorkdays,
		s.CosignersRate, s.PublicAfterRegister, s.LateAsSuggestion, s.ReplyReview, s.ID); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return tx.Audit(ctx, actor, "proposal_session", fmt.Sprint(s.ID), "update", fmt.Sprintf("%s：征集 %s 至 %s，附议 %d，答复 %d，评价 %d，审核 %v",
		s.Name, s.OpensAt.UTC().Format(time.RFC3339), s.ClosesAt.UTC().Format(time.RFC3339), s.MinCosigners, s.ReplyWorkdays, s.RatingWorkdays, s.ReplyReview))
}

// ProposalSessionsAll lists every session, newest first, in the transaction.
func (tx *Tx) ProposalSessionsAll(ctx context.Context) ([]*ProposalSession, error) {
	var out []*ProposalSession
	if err := tx.SelectContext(ctx, &out, `SELECT `+sessionColumns(tx.db.Dialect)+` FROM proposal_sessions s ORDER BY s.opens_at DESC, s.id DESC`); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ProposalSessionsAll", Err: err}
	}
	return out, nil
}
