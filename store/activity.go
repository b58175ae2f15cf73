// Additions by the sign-up core helper (migration 00003): Activity.Confirmed and
// Activity.WaitlistSeq, ActivityItem.Confirmed and ActivityItem.WaitlistSeq are counters the
// store maintains (seats taken, last waitlist position given); they are read-only for callers
// and ignored by CreateActivity and UpdateActivity. CreateActivity sets a zero CancelDeadline
// to StartsAt. Sensitive is read from column is_sensitive (SENSITIVE is reserved in MySQL).
// Persistence is in activity_store.go, sign-ups in signup*.go.

package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Activity kinds.
const (
	KindSport    = "sport"    // 体育
	KindCulture  = "culture"  // 文化
	KindCare     = "care"     // 关爱
	KindTraining = "training" // 培训
	KindTrip     = "trip"     // 休养
)

// ActivityKinds maps each kind to its Chinese name, in display order.
var ActivityKinds = []struct{ Kind, Name string }{
	{KindSport, "体育"}, {KindCulture, "文化"}, {KindCare, "关爱"}, {KindTraining, "培训"}, {KindTrip, "休养"},
}

// Entry modes of an activity.
const (
	ModeIndividual = "individual" // each member signs up for themselves
	ModeTeam       = "team"       // a captain forms a team and invites members
	ModeUnit       = "unit"       // a 分工会主席 enters the unit's people
)

// Allocation of seats.
const (
	AllocFirstCome = "first_come" // in order of arrival; the rest wait
	AllocLottery   = "lottery"    // everyone applies; a seeded draw at close
)

// Activity statuses.
const (
	ActivityDraft     = "draft"     // created, not published
	ActivityOpen      = "open"      // published; sign-up follows its opening and closing times
	ActivityClosed    = "closed"    // sign-up closed (and the lottery drawn)
	ActivityCancelled = "cancelled" // called off; everyone signed up was told
	ActivityFinished  = "finished"  // took place; insurance ID numbers purged
)

// Entry statuses (DOMAIN.md §1).
const (
	EntryApplied     = "applied"               // lottery: waiting for the draw
	EntryPendingUnit = "pending_unit_approval" // waiting for the 分工会主席's confirmation
	EntryConfirmed   = "confirmed"
	EntryWaitlisted  = "waitlisted"
	EntryRejected    = "rejected"
	EntryCancelled   = "cancelled"
	EntryNoShow      = "no_show"
)

// EntryStatusNames are the statuses as members read them.
var EntryStatusNames = map[string]string{
	EntryApplied:     "待抽签",
	EntryPendingUnit: "待分工会确认",
	EntryConfirmed:   "已确认",
	EntryWaitlisted:  "候补",
	EntryRejected:    "未通过",
	EntryCancelled:   "已取消",
	EntryNoShow:      "缺席",
}

// Activity is one event members sign up for. Times are instants (stored in UTC); the
// eligibility's AgeRefDate is a calendar date "2006-01-02". Version grows with every edit, and
// cards carry it, so a click on a card older than the last edit is recognised as stale.
type Activity struct {
	ID          int64  `db:"id"`
	Title       string `db:"title"`
	Kind        string `db:"kind"`
	Description string `db:"description"`
	Place       string `db:"place"`

	StartsAt       time.Time `db:"starts_at"`
	EndsAt         time.Time `db:"ends_at"`
	SignupOpensAt  time.Time `db:"signup_opens_at"`
	SignupClosesAt time.Time `db:"signup_closes_at"`
	CancelDeadline time.Time `db:"cancel_deadline"` // cancelling an entry is allowed until then

	Capacity         int    `db:"capacity"`     // seats in all; 0 = unlimited
	BranchQuota      int    `db:"branch_quota"` // entries (or teams) per 分工会; 0 = no quota
	EntryMode        string `db:"entry_mode"`
	OneItemPerPerson bool   `db:"one_item_per_person"` // 不得兼项
	Allocation       string `db:"allocation"`
	BranchConfirm    bool   `db:"branch_confirm"`  // a 分工会主席 must confirm entries
	NeedsInsurance   bool   `db:"needs_insurance"` // ID numbers are collected (encrypted, masked, purged after)
	MinEntries       int    `db:"min_entries"`     // fewer at close cancels the activity; 0 = none
	Sensitive        bool   `db:"is_sensitive"`    // who signed up is visible to officers only

	// Eligibility.
	MembersOnly bool     `db:"members_only"`
	WomenOnly   bool     `db:"women_only"`
	Branches    []string `db:"-"`            // 分工会 names allowed; empty = all
	AgeMin      int      `db:"age_min"`      // 0 = no lower bound
	AgeMax      int      `db:"age_max"`      // 0 = no upper bound
	AgeRefDate  string   `db:"age_ref_date"` // the date ages are computed at, "2006-01-02"

	PublishChats []string `db:"-"`          // group chat_ids the sign-up card is posted to
	NotifyAll    bool     `db:"notify_all"` // also send the card to every eligible member

	Items []*ActivityItem `db:"-"`

	Status      string    `db:"status"`
	Version     int       `db:"version"`
	LotterySeed int64     `db:"lottery_seed"`    // stored at the draw, so it can be re-checked
	Confirmed   int       `db:"confirmed_count"` // seats taken (entries, or teams in team mode); store-maintained
	WaitlistSeq int       `db:"waitlist_seq"`    // last waitlist position given (no items); store-maintained
	CreatedBy   int64     `db:"created_by"`      // the organiser (member id)
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

// ActivityItem is one item of an activity (男单, 女单, 混双 ...). An activity without items has
// none; entries then have ItemID 0.
type ActivityItem struct {
	ID         int64  `db:"id"`
	ActivityID int64  `db:"activity_id"`
	Name       string `db:"name"`
	Capacity   int    `db:"capacity"` // 0 = bounded by the activity only
	Gender     string `db:"gender"`   // "M" or "F" to restrict the item, "" for anyone
	TeamMin    int    `db:"team_min"` // team mode: members per team, captain included
	TeamMax    int    `db:"team_max"`
	MinWomen   int    `db:"min_women"` // team mode: at least this many women per team
	Position   int    `db:"position"`  // display order

	Confirmed   int `db:"confirmed_count"` // seats taken in the item; store-maintained
	WaitlistSeq int `db:"waitlist_seq"`    // last waitlist position given in the item; store-maintained
}

// Limits on an activity's fields.
const (
	MaxTitleLen       = 60
	MaxDescriptionLen = 2000
	MaxItems          = 20
)

// Validate checks an activity as an officer entered it; the message names the first problem
// in Chinese. It does not look at the database.
func (a *Activity) Validate() error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	a.Title = strings.TrimSpace(a.Title)
	switch {
	case a.Title == "":
		return bad("请填写活动名称。")
	case utf8.RuneCountInString(a.Title) > MaxTitleLen:
		return bad("活动名称不能超过 %d 个字。", MaxTitleLen)
	case utf8.RuneCountInString(a.Description) > MaxDescriptionLen:
		return bad("活动说明不能超过 %d 个字。", MaxDescriptionLen)
	}
	if kindName(a.Kind) == "" {
		return bad("活动类型无效：%q。", a.Kind)
	}
	switch {
	case a.StartsAt.IsZero() || a.EndsAt.IsZero():
		return bad("请填写活动的开始和结束时间。")
	case !a.EndsAt.After(a.StartsAt):
		return bad("结束时间必须晚于开始时间。")
	case a.SignupOpensAt.IsZero() || a.SignupClosesAt.IsZero():
		return bad("请填写报名的开始和截止时间。")
	case !a.SignupClosesAt.After(a.SignupOpensAt):
		return bad("报名截止时间必须晚于报名开始时间。")
	case a.SignupClosesAt.After(a.StartsAt):
		return bad("报名截止时间不能晚于活动开始时间。")
	case !a.CancelDeadline.IsZero() && a.CancelDeadline.After(a.StartsAt):
		return bad("取消报名截止时间不能晚于活动开始时间。")
	}
	switch {
	case a.Capacity < 0:
		return bad("名额不能小于 0（0 表示不限）。")
	case a.BranchQuota < 0:
		return bad("每个分工会的限额不能小于 0（0 表示不限）。")
	case a.Capacity > 0 && a.BranchQuota > a.Capacity:
		return bad("每个分工会的限额（%d）不能大于总名额（%d）。", a.BranchQuota, a.Capacity)
	case a.MinEntries < 0:
		return bad("最少成行人数不能小于 0。")
	case a.Capacity > 0 && a.MinEntries > a.Capacity:
		return bad("最少成行人数（%d）不能大于总名额（%d）。", a.MinEntries, a.Capacity)
	}
	switch a.EntryMode {
	case ModeIndividual, ModeTeam, ModeUnit:
	default:
		return bad("报名方式无效：%q。", a.EntryMode)
	}
	switch a.Allocation {
	case AllocFirstCome:
	case AllocLottery:
		if a.EntryMode != ModeIndividual {
			return bad("抽签只适用于个人报名。")
		}
	default:
		return bad("名额分配方式无效：%q。", a.Allocation)
	}
	if a.AgeMin < 0 || a.AgeMax < 0 || (a.AgeMax > 0 && a.AgeMin > a.AgeMax) {
		return bad("年龄范围无效：%d–%d。", a.AgeMin, a.AgeMax)
	}
	if (a.AgeMin > 0 || a.AgeMax > 0) && a.AgeRefDate != "" {
		if _, err := time.Parse(time.DateOnly, a.AgeRefDate); err != nil {
			return bad("年龄计算基准日期无效：%q（格式 2024-04-01）。", a.AgeRefDate)
		}
	}
	if len(a.Items) > MaxItems {
		return bad("项目不能超过 %d 个。", MaxItems)
	}
	if a.EntryMode == ModeTeam && len(a.Items) == 0 {
		return bad("组队报名至少要设一个项目（队伍人数在项目里设定）。")
	}
	seen := map[string]bool{}
	for i, it := range a.Items {
		it.Name = strings.TrimSpace(it.Name)
		it.Position = i
		switch {
		case it.Name == "":
			return bad("第 %d 个项目没有名称。", i+1)
		case seen[it.Name]:
			return bad("项目“%s”重复了。", it.Name)
		case it.Capacity < 0:
			return bad("项目“%s”的名额不能小于 0。", it.Name)
		case a.Capacity > 0 && it.Capacity > a.Capacity:
			return bad("项目“%s”的名额（%d）不能大于总名额（%d）。", it.Name, it.Capacity, a.Capacity)
		case it.Gender != "" && it.Gender != "M" && it.Gender != "F":
			return bad("项目“%s”的性别限制无效。", it.Name)
		}
		seen[it.Name] = true
		if a.EntryMode == ModeTeam {
			switch {
			case it.TeamMin < 1 || it.TeamMax < it.TeamMin:
				return bad("项目“%s”的队伍人数范围无效：%d–%d。", it.Name, it.TeamMin, it.TeamMax)
			case it.MinWomen < 0 || it.MinWomen > it.TeamMax:
				return bad("项目“%s”的最少女性人数（%d）无效。", it.Name, it.MinWomen)
			}
		}
	}
	return nil
}

// KindName is the Chinese name of an activity kind.
func KindName(kind string) string { return kindName(kind) }

func kindName(kind string) string {
	for _, k := range ActivityKinds {
		if k.Kind == kind {
			return k.Name
		}
	}
	return ""
}

// SignupState says where sign-up stands at now: "" when open, else the reason in Chinese
// (times shown in loc).
func (a *Activity) SignupState(now time.Time, loc *time.Location) string {
	switch {
	case a.Status == ActivityCancelled:
		return "活动已取消。"
	case a.Status == ActivityDraft:
		return "活动尚未发布。"
	case a.Status != ActivityOpen:
		return "报名已截止。"
	case now.Before(a.SignupOpensAt):
		return fmt.Sprintf("报名尚未开始（%s 开始）。", a.SignupOpensAt.In(loc).Format("1月2日 15:04"))
	case !now.Before(a.SignupClosesAt):
		return "报名已截止。"
	}
	return ""
}
