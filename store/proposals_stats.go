package store

import (
	"context"
	"fmt"
)

// ProposalStats are a session's figures, computed from the proposals, never stored. A
// proposal's rating is its proposer's rating of its current round.
type ProposalStats struct {
	Collected    int `db:"collected"`     // 征集数: submitted before the close
	Registered   int `db:"registered"`    // 立案数
	Merged       int `db:"merged"`        // 并案数
	ToSuggestion int `db:"to_suggestion"` // 转建议数
	Rejected     int `db:"rejected"`      // 不立案数
	Replied      int `db:"replied"`       // registered and answered
	Satisfied    int `db:"satisfied"`     // 满意
	Basic        int `db:"basic"`         // 基本满意
	Unsatisfied  int `db:"unsatisfied"`   // 不满意
	Unrated      int `db:"unrated"`       // 未评价: answered, no rating of the round (awaited, or closed unrated)
	ClassA       int `db:"class_a"`
	ClassB       int `db:"class_b"`
	ClassC       int `db:"class_c"`
	ClassD       int `db:"class_d"`
}

// Rated is the number of registered proposals rated in their current round.
func (s ProposalStats) Rated() int { return s.Satisfied + s.Basic + s.Unsatisfied }

// Percent is n/d as a percentage with one decimal ("—" when d is 0).
func Percent(n, d int) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(n)*100/float64(d))
}

// RegisterRate is 立案率 = 立案/征集; ReplyRate 办复率 = 已答复/立案; SatisfactionRate 满意率 =
// (满意+基本满意)/已评价.
func (s ProposalStats) RegisterRate() string     { return Percent(s.Registered, s.Collected) }
func (s ProposalStats) ReplyRate() string        { return Percent(s.Replied, s.Registered) }
func (s ProposalStats) SatisfactionRate() string { return Percent(s.Satisfied+s.Basic, s.Rated()) }

// ProposalStatsOf computes a session's figures.
func (tx *Tx) ProposalStatsOf(ctx context.Context, sessionID int64) (*ProposalStats, error) {
	var st ProposalStats
	reg := `p.number IS NOT NULL`
	err := tx.GetContext(ctx, &st, `SELECT
		COALESCE(SUM(CASE WHEN p.submitted_at IS NOT NULL AND p.late = 0 THEN 1 ELSE 0 END), 0) AS collected,
		COALESCE(SUM(CASE WHEN `+reg+` THEN 1 ELSE 0 END), 0) AS registered,
		COALESCE(SUM(CASE WHEN p.state = ? THEN 1 ELSE 0 END), 0) AS merged,
		COALESCE(SUM(CASE WHEN p.decision = ? THEN 1 ELSE 0 END), 0) AS to_suggestion,
		COALESCE(SUM(CASE WHEN p.state = ? THEN 1 ELSE 0 END), 0) AS rejected,
		COALESCE(SUM(CASE WHEN `+reg+` AND p.replied_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS replied,
		COALESCE(SUM(CASE WHEN `+reg+` AND r.rating = ? THEN 1 ELSE 0 END), 0) AS satisfied,
		COALESCE(SUM(CASE WHEN `+reg+` AND r.rating = ? THEN 1 ELSE 0 END), 0) AS basic,
		COALESCE(SUM(CASE WHEN `+reg+` AND r.rating = ? THEN 1 ELSE 0 END), 0) AS unsatisfied,
		COALESCE(SUM(CASE WHEN `+reg+` AND r.rating IS NULL AND (p.state = ? OR (p.state = ? AND p.replied_at IS NOT NULL)) THEN 1 ELSE 0 END), 0) AS unrated,
		COALESCE(SUM(CASE WHEN `+reg+` AND p.reply_class = 'A' THEN 1 ELSE 0 END), 0) AS class_a,
		COALESCE(SUM(CASE WHEN `+reg+` AND p.reply_class = 'B' THEN 1 ELSE 0 END), 0) AS class_b,
		COALESCE(SUM(CASE WHEN `+reg+` AND p.reply_class = 'C' THEN 1 ELSE 0 END), 0) AS class_c,
		COALESCE(SUM(CASE WHEN `+reg+` AND p.reply_class = 'D' THEN 1 ELSE 0 END), 0) AS class_d
		FROM proposals p LEFT JOIN proposal_ratings r ON r.proposal_id = p.id AND r.round = p.round AND r.member_id = p.proposer_id
		WHERE p.session_id = ?`,
		ProposalMerged, StepToSuggestion, ProposalRejected, RatingSatisfied, RatingBasic, RatingUnsatisfied,
		ProposalReplied, ProposalClosed, sessionID)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ProposalStatsOf", Err: err}
	}
	return &st, nil
}
