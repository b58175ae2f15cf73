package signup

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/unionbot/unionbot/store"
)

// ItemLineHint explains the item line format, in the 新建活动 form and in the YAML example.
const ItemLineHint = "每行一个项目：名称 [名额] [每队人数] [女N] [限男/限女]。" +
	"如「男单 16」「混双 8 2-2 女1」「女子接力 6 4-4 限女」。名额不写或写 0 表示不限；" +
	"每队人数（如 2-2、3-5）只用于组队报名，女N 表示每队至少 N 名女性。"

// ParseItemLine reads one item line: a name, then in any order an integer capacity (「16」 or
// 「16人」), a team size 「a-b」 (or a single 「a」 after the capacity), 「女N」 for the minimum
// number of women per team, and 「限男」/「限女」 to restrict the item to one gender.
func ParseItemLine(line string) (*store.ActivityItem, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil, store.Errorf(store.EINVALID, "项目行是空的。")
	}
	it := &store.ActivityItem{Name: fields[0]}
	if isNumber(it.Name) {
		return nil, store.Errorf(store.EINVALID, "项目行「%s」要以项目名称开头。%s", line, ItemLineHint)
	}
	var haveCap, haveTeam, haveWomen, haveGender bool
	for _, f := range fields[1:] {
		bad := func(why string) error {
			return store.Errorf(store.EINVALID, "项目行「%s」：%s。%s", line, why, ItemLineHint)
		}
		switch {
		case f == "限男" || f == "限女":
			if haveGender {
				return nil, bad("性别限制写了两次")
			}
			haveGender = true
			it.Gender = map[string]string{"限男": "M", "限女": "F"}[f]
		case strings.HasPrefix(f, "女"):
			n, err := strconv.Atoi(strings.TrimPrefix(f, "女"))
			if err != nil || n < 0 || haveWomen {
				return nil, bad(fmt.Sprintf("「%s」不是有效的最少女性人数（如 女1）", f))
			}
			haveWomen = true
			it.MinWomen = n
		case strings.ContainsAny(f, "-~～－"):
			lo, hi, ok := parseRange(f)
			if !ok || haveTeam {
				return nil, bad(fmt.Sprintf("「%s」不是有效的每队人数（如 2-2 或 3-5）", f))
			}
			haveTeam = true
			it.TeamMin, it.TeamMax = lo, hi
		default:
			n, err := strconv.Atoi(strings.TrimRight(f, "人名"))
			switch {
			case err != nil:
				return nil, bad(fmt.Sprintf("看不懂「%s」", f))
			case n < 0:
				return nil, bad("名额不能小于 0")
			case !haveCap:
				haveCap = true
				it.Capacity = n
			case !haveTeam:
				haveTeam = true
				it.TeamMin, it.TeamMax = n, n
			default:
				return nil, bad(fmt.Sprintf("多余的数字「%s」", f))
			}
		}
	}
	return it, nil
}

// ParseItemLines reads the item lines of a form's text area (blank lines skipped).
func ParseItemLines(text string) ([]*store.ActivityItem, error) {
	var out []*store.ActivityItem
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		it, err := ParseItemLine(line)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// ItemLine writes an item back in the line format, for a prefilled edit form.
func ItemLine(it *store.ActivityItem) string {
	parts := []string{it.Name}
	if it.Capacity > 0 || it.TeamMax > 0 {
		parts = append(parts, strconv.Itoa(it.Capacity))
	}
	if it.TeamMax > 0 {
		parts = append(parts, fmt.Sprintf("%d-%d", it.TeamMin, it.TeamMax))
	}
	if it.MinWomen > 0 {
		parts = append(parts, fmt.Sprintf("女%d", it.MinWomen))
	}
	switch it.Gender {
	case "M":
		parts = append(parts, "限男")
	case "F":
		parts = append(parts, "限女")
	}
	return strings.Join(parts, " ")
}

// checkItems adds the checks the model's Validate leaves to the entry mode: teams need a size,
// and team-only settings make no sense for individuals.
func checkItems(a *store.Activity) error {
	for _, it := range a.Items {
		switch {
		case a.EntryMode == store.ModeTeam && it.TeamMax == 0:
			return store.Errorf(store.EINVALID, "组队报名的项目「%s」要写每队人数（如「%s 8 2-2」）。", it.Name, it.Name)
		case a.EntryMode != store.ModeTeam && (it.TeamMax > 0 || it.MinWomen > 0):
			return store.Errorf(store.EINVALID, "项目「%s」写了每队人数或女性人数，但报名方式不是组队报名。", it.Name)
		case a.WomenOnly && it.Gender == "M":
			return store.Errorf(store.EINVALID, "活动只限女性，项目「%s」却限男。", it.Name)
		}
	}
	return nil
}

func parseRange(s string) (lo, hi int, ok bool) {
	s = strings.NewReplacer("~", "-", "～", "-", "－", "-").Replace(s)
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || lo < 1 || hi < lo {
		return 0, 0, false
	}
	return lo, hi, true
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
