package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MemberFacts are what eligibility rules look at.
type MemberFacts struct {
	ID          int64        `db:"id"`
	OpenID      string       `db:"open_id"`
	Name        string       `db:"name"`
	Gender      string       `db:"gender"`
	BranchID    int64        `db:"branch_id"`
	BranchName  string       `db:"branch_name"`
	EmployeeNo  string       `db:"employee_no"`
	Active      bool         `db:"active"`
	Placeholder bool         `db:"placeholder"`
	Birth       sql.NullTime `db:"birth_date"`
}

// BirthDate is the member's birth date "2006-01-02", or "" when unknown.
func (m *MemberFacts) BirthDate() string {
	if !m.Birth.Valid {
		return ""
	}
	return m.Birth.Time.Format(time.DateOnly)
}

// MemberFacts reads the facts about a member that sign-up rules need, or ENOTFOUND.
func (tx *Tx) MemberFacts(ctx context.Context, memberID int64) (*MemberFacts, error) {
	var m MemberFacts
	err := tx.GetContext(ctx, &m, `SELECT m.id, COALESCE(m.open_id, '') AS open_id, m.name, m.gender,
		COALESCE(m.branch_id, 0) AS branch_id, COALESCE(b.name, '') AS branch_name, COALESCE(m.employee_no, '') AS employee_no,
		m.active, m.placeholder, m.birth_date FROM members m LEFT JOIN branches b ON b.id = m.branch_id WHERE m.id = ?`, memberID)
	if err != nil {
		return nil, notFound("store.MemberFacts", err, "找不到该成员。")
	}
	return &m, nil
}

// MembersByOpenIDs returns the members with these open_ids (unknown ones are missing from the
// map).
func (tx *Tx) MembersByOpenIDs(ctx context.Context, openIDs []string) (map[string]*MemberFacts, error) {
	out := map[string]*MemberFacts{}
	for _, id := range openIDs {
		var m MemberFacts
		err := tx.GetContext(ctx, &m, `SELECT m.id, COALESCE(m.open_id, '') AS open_id, m.name, m.gender,
			COALESCE(m.branch_id, 0) AS branch_id, COALESCE(b.name, '') AS branch_name, COALESCE(m.employee_no, '') AS employee_no,
			m.active, m.placeholder, m.birth_date FROM members m LEFT JOIN branches b ON b.id = m.branch_id WHERE m.open_id = ?`, id)
		if errNoRow(err) {
			continue
		} else if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: "store.MembersByOpenIDs", Err: err}
		}
		out[id] = &m
	}
	return out, nil
}

// SetBirthDate records a member's birth date ("2006-01-02", or "" to clear it).
func (tx *Tx) SetBirthDate(ctx context.Context, memberID int64, date string) error {
	if date != "" {
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return &Error{Code: EINVALID, Op: "store.SetBirthDate", Message: "出生日期格式应为 1980-05-01。"}
		}
	}
	tx.MembersChanged()
	if _, err := tx.ExecContext(ctx, `UPDATE members SET birth_date = ?, updated_at = ? WHERE id = ?`, nullDate(date), tx.now, memberID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.SetBirthDate", Err: err}
	}
	return nil
}

// AgeAt is the age in whole years on date of someone born on birth (both "2006-01-02").
func AgeAt(birth, date string) (int, error) {
	b, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		return 0, err
	}
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return 0, err
	}
	age := d.Year() - b.Year()
	if d.Month() < b.Month() || (d.Month() == b.Month() && d.Day() < b.Day()) {
		age--
	}
	return age, nil
}

// AgeRef is the date ages are computed at: AgeRefDate, or the activity's start day in loc.
func (a *Activity) AgeRef(loc *time.Location) string {
	if a.AgeRefDate != "" {
		return a.AgeRefDate
	}
	return a.StartsAt.In(loc).Format(time.DateOnly)
}

// Ineligible says why the member may not enter the activity's item (nil item: the activity
// without items), or "" when they may. The reason is Chinese and names the rule.
func (a *Activity) Ineligible(m *MemberFacts, it *ActivityItem, loc *time.Location) string {
	switch {
	case !m.Active:
		return "你的会员状态不是在册会员，不能报名。"
	case a.MembersOnly && (m.Placeholder || m.EmployeeNo == ""):
		return "本活动仅限在册工会会员报名：请先发送「我的信息」登记姓名和工号，或联系所在分工会。"
	case a.WomenOnly && m.Gender == "":
		return "本活动仅限女教职工报名：请先发送「我的信息」填写性别。"
	case a.WomenOnly && m.Gender != "F":
		return "本活动仅限女教职工报名。"
	}
	if len(a.Branches) > 0 && !slices.Contains(a.Branches, m.BranchName) {
		if m.BranchName == "" {
			return "本活动仅限以下分工会报名：" + strings.Join(a.Branches, "、") + "。请先发送「我的信息」选择你的分工会。"
		}
		return "本活动仅限以下分工会报名：" + strings.Join(a.Branches, "、") + "（你属于" + m.BranchName + "）。"
	}
	if it != nil && it.Gender != "" {
		want := map[string]string{"M": "男", "F": "女"}[it.Gender]
		if m.Gender == "" {
			return fmt.Sprintf("项目“%s”仅限%s性报名：请先发送「我的信息」填写性别。", it.Name, want)
		}
		if m.Gender != it.Gender {
			return fmt.Sprintf("项目“%s”仅限%s性报名。", it.Name, want)
		}
	}
	if a.AgeMin > 0 || a.AgeMax > 0 {
		ref := a.AgeRef(loc)
		rule := ageRule(a.AgeMin, a.AgeMax)
		if !m.Birth.Valid {
			return fmt.Sprintf("本活动有年龄要求（%s，按 %s 计算），系统中没有你的出生日期，请联系所在分工会补录。", rule, ref)
		}
		age, err := AgeAt(m.BirthDate(), ref)
		if err != nil {
			return "无法计算你的年龄，请联系所在分工会。"
		}
		if (a.AgeMin > 0 && age < a.AgeMin) || (a.AgeMax > 0 && age > a.AgeMax) {
			return fmt.Sprintf("本活动的年龄要求是%s（按 %s 计算），你届时 %d 岁。", rule, ref, age)
		}
	}
	return ""
}

func ageRule(lo, hi int) string {
	switch {
	case lo > 0 && hi > 0:
		return strconv.Itoa(lo) + "–" + strconv.Itoa(hi) + " 岁"
	case lo > 0:
		return strconv.Itoa(lo) + " 岁及以上"
	default:
		return strconv.Itoa(hi) + " 岁及以下"
	}
}

// ValidIDNumber checks a mainland resident ID number (18 characters, the last a check digit
// 0-9 or X per GB 11643) and returns it normalised (upper-case X).
func ValidIDNumber(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 18 {
		return "", false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return "", false
		}
		sum += int(c-'0') * weights[i]
	}
	check := "10X98765432"[sum%11]
	if s[17] != check {
		return "", false
	}
	if _, err := time.Parse("20060102", s[6:14]); err != nil {
		return "", false
	}
	return s, true
}

// MaskIDNumber shows an ID number as 110***********1234.
func MaskIDNumber(s string) string {
	if len(s) < 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
}
