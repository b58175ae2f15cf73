package roster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/unionbot/unionbot/store"
)

// Report is what an import did (or, for a dry run, would do).
type Report struct {
	Created   int // new members
	Updated   int // members whose data changed (including merged ones)
	Unchanged int // rows that matched their member exactly
	Resolved  int // imported rows whose Feishu account was found by email or mobile
	Problems  []Problem
	Warnings  []string
	DryRun    bool // nothing was written
}

// errDryRun rolls back a dry run's transaction.
var errDryRun = errors.New("roster: dry run")

// ImportFile parses a roster file and imports it: Parse, then Import, with the parse problems
// and warnings folded into the report. A file that cannot be used at all is an error and
// changes nothing.
func ImportFile(ctx context.Context, db *store.DB, filename string, r io.Reader, res Resolver, actor string, dryRun bool) (*Report, error) {
	p, err := ParseRoster(filename, r)
	if err != nil {
		return nil, err
	}
	rep, err := Import(ctx, db, p.Rows, res, actor, dryRun)
	if err != nil {
		return nil, err
	}
	rep.Warnings = append(p.Warnings, rep.Warnings...)
	rep.Problems = append(p.Problems, rep.Problems...)
	sortProblems(rep.Problems)
	logReport(ctx, len(p.Rows), rep)
	return rep, nil
}

// logReport logs an import's counts, the same ones its report shows (no names, no data).
func logReport(ctx context.Context, rows int, rep *Report) {
	slog.InfoContext(ctx, "roster import", "rows", rows, "created", rep.Created, "updated", rep.Updated,
		"unchanged", rep.Unchanged, "resolved", rep.Resolved, "problems", len(rep.Problems), "dry_run", rep.DryRun)
}

// Import creates or updates the members of a roster, matched by 工号, in one transaction (a
// dry run rolls it back and still reports). Open_ids are looked up first through res (nil:
// no lookup), at most BatchSize emails and mobiles a call; when that fails the import goes on
// without them and says so in a warning. A member auto-registered by the bot (no 工号) whose
// open_id a row resolves to receives the row's data, keeps its id and roles, and absorbs a
// separate unlinked member with the row's 工号. Rows failing a check become problems; the
// error is for the database failing.
func Import(ctx context.Context, db *store.DB, rows []Row, res Resolver, actor string, dryRun bool) (*Report, error) {
	base := &Report{DryRun: dryRun}
	first := map[string]int{}
	valid := make([]Row, 0, len(rows))
	for _, r := range rows {
		row, reasons := normalize(r)
		reasons = append(reasons, checkDuplicate(first, row)...)
		if len(reasons) > 0 {
			base.Problems = append(base.Problems, problem(row.Line, reasons))
			continue
		}
		valid = append(valid, row)
	}
	ids := resolveAll(ctx, res, valid, base)

	var rep *Report
	err := db.InTx(ctx, func(tx *store.Tx) error {
		// InTx may run this again after a deadlock: start from the base report each time.
		r := &Report{DryRun: dryRun, Problems: slices.Clone(base.Problems), Warnings: slices.Clone(base.Warnings)}
		im := &importer{tx: tx, actor: actor, rep: r, branches: map[string]int64{}}
		for _, row := range valid {
			if err := im.apply(ctx, row, ids); err != nil {
				return err
			}
		}
		rep = r
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, fmt.Errorf("roster: import: %w", err)
	}
	sortProblems(rep.Problems)
	return rep, nil
}

// sortProblems orders problems by line, keeping the order of one line's entries.
func sortProblems(p []Problem) {
	slices.SortStableFunc(p, func(a, b Problem) int { return a.Line - b.Line })
}

// resolveAll looks up the open_ids of the rows' emails and mobiles, BatchSize of each per
// call. On failure it keeps what was found and adds a warning to rep.
func resolveAll(ctx context.Context, res Resolver, rows []Row, rep *Report) map[string]string {
	var emails, mobiles []string
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Email != "" && !seen[r.Email] {
			seen[r.Email] = true
			emails = append(emails, r.Email)
		}
		if r.Mobile != "" && !seen[r.Mobile] {
			seen[r.Mobile] = true
			mobiles = append(mobiles, r.Mobile)
		}
	}
	ids := map[string]string{}
	if len(emails) == 0 && len(mobiles) == 0 {
		return ids
	}
	if res == nil {
		rep.Warnings = append(rep.Warnings, "未配置飞书应用，未查询成员的飞书账号：成员将在首次给机器人发消息时自动关联。")
		return ids
	}
	for i := 0; i < len(emails) || i < len(mobiles); i += BatchSize {
		got, err := res.Resolve(ctx, window(emails, i), window(mobiles, i))
		for k, v := range got {
			ids[k] = v
		}
		if err != nil {
			slog.WarnContext(ctx, "roster: resolving open_ids failed; importing without them", "err", err)
			var fe *FeishuError
			if errors.As(err, &fe) && fe.Code == CodeNoScope {
				rep.Warnings = append(rep.Warnings, "应用缺少飞书通讯录权限（通过手机号或邮箱获取用户 ID），未能查询成员的飞书账号："+
					"成员已导入但暂未关联飞书账号，将在首次给机器人发消息时自动关联。")
			} else {
				rep.Warnings = append(rep.Warnings, "查询成员的飞书账号失败，部分或全部成员未关联飞书账号："+
					"成员已导入，将在首次给机器人发消息时自动关联。")
			}
			break
		}
	}
	return ids
}

// importer applies rows inside one transaction.
type importer struct {
	tx       *store.Tx
	actor    string
	rep      *Report
	branches map[string]int64 // name → id, so each branch is ensured once
}

func (im *importer) problem(line int, reason string) {
	im.rep.Problems = append(im.rep.Problems, problem(line, []string{reason}))
}

func (im *importer) warn(line int, reason string) {
	im.rep.Warnings = append(im.rep.Warnings, fmt.Sprintf("第 %d 行：%s", line, reason))
}

// openIDFor is the Feishu account a row resolves to, or "" (with a warning) when its email
// and mobile name two different accounts.
func (im *importer) openIDFor(row Row, ids map[string]string) string {
	byEmail, byMobile := ids[row.Email], ids[row.Mobile]
	if row.Email == "" {
		byEmail = ""
	}
	if row.Mobile == "" {
		byMobile = ""
	}
	if byEmail != "" && byMobile != "" && byEmail != byMobile {
		im.warn(row.Line, "邮箱和手机号对应两个不同的飞书账号，未关联飞书账号")
		return ""
	}
	if byEmail != "" {
		return byEmail
	}
	return byMobile
}

// find turns a lookup's ENOTFOUND into a nil member.
func find(m *store.Member, err error) (*store.Member, error) {
	if store.ErrorCode(err) == store.ENOTFOUND {
		return nil, nil
	}
	return m, err
}

// apply imports one row.
func (im *importer) apply(ctx context.Context, row Row, ids map[string]string) error {
	tx := im.tx
	oid := im.openIDFor(row, ids)
	byNo, err := find(tx.MemberByEmployeeNo(ctx, row.EmployeeNo))
	if err != nil {
		return err
	}
	var byOID *store.Member
	if oid != "" {
		if byOID, err = find(tx.MemberByOpenID(ctx, oid)); err != nil {
			return err
		}
	}

	target := byNo        // the member that receives the row
	var dup *store.Member // an unlinked member with the row's 工号, merged into target
	link := ""            // an open_id to set on target
	linked := false       // the row's Feishu account ends up on its member
	switch {
	case byOID != nil && byNo != nil && byOID.ID == byNo.ID:
		linked = true
	case byOID != nil && byOID.EmployeeNo != "":
		im.problem(row.Line, fmt.Sprintf("飞书账号（邮箱/手机）已关联到工号 %s 的成员", byOID.EmployeeNo))
		return nil
	case byOID != nil && byNo != nil && byNo.OpenID != "":
		// The 工号's member is linked to one account and an auto-registered member holds the
		// one the email/mobile names: keep them apart, and the existing link.
		im.warn(row.Line, "该工号已关联另一个飞书账号，与邮箱/手机查到的账号不同，保留原关联")
	case byOID != nil:
		target, dup, linked = byOID, byNo, true
	case oid != "" && byNo != nil && byNo.OpenID != "":
		im.warn(row.Line, "该工号已关联另一个飞书账号，与邮箱/手机查到的账号不同，保留原关联")
	case oid != "":
		link, linked = oid, true
	}

	if target == nil {
		m := &store.Member{Name: row.Name, EmployeeNo: row.EmployeeNo, Gender: row.Gender, Mobile: row.Mobile,
			Email: row.Email, OpenID: link, Active: true}
		if row.Branch != "" {
			if m.BranchID, err = im.branch(ctx, row.Branch); err != nil {
				return err
			}
		}
		if err := tx.CreateMember(ctx, m); store.ErrorCode(err) == store.ECONFLICT {
			im.problem(row.Line, "工号或飞书账号已属于另一位成员")
			return nil
		} else if err != nil {
			return err
		}
		if err := tx.SetBirthDate(ctx, m.ID, row.BirthDate); err != nil {
			return err
		}
		im.rep.Created++
		if linked {
			im.rep.Resolved++
		}
		return tx.Audit(ctx, im.actor, "member", fmt.Sprint(m.ID), "import", "created")
	}

	m := *target
	var changed []string
	set := func(field string, cur *string, v string) {
		if *cur != v {
			*cur = v
			changed = append(changed, field)
		}
	}
	set("employee_no", &m.EmployeeNo, row.EmployeeNo)
	set("name", &m.Name, row.Name)
	if row.Branch != "" {
		bid, err := im.branch(ctx, row.Branch)
		if err != nil {
			return err
		}
		if m.BranchID != bid {
			m.BranchID = bid
			changed = append(changed, "branch")
		}
	}
	// An empty cell keeps what the member has: a roster without a mobile column must not
	// wipe the mobiles members gave the bot.
	if row.Gender != "" {
		set("gender", &m.Gender, row.Gender)
	}
	if row.Mobile != "" {
		set("mobile", &m.Mobile, row.Mobile)
	}
	if row.Email != "" {
		set("email", &m.Email, row.Email)
	}
	if row.BirthDate != "" {
		cur, err := tx.MemberFacts(ctx, m.ID)
		if err != nil {
			return err
		}
		if cur.BirthDate() != row.BirthDate {
			if err := tx.SetBirthDate(ctx, m.ID, row.BirthDate); err != nil {
				return err
			}
			changed = append(changed, "birth_date")
		}
	}
	if link != "" {
		set("open_id", &m.OpenID, link)
	}
	if !m.Active {
		m.Active = true
		changed = append(changed, "active")
	}
	if m.Placeholder {
		m.Placeholder = false
		changed = append(changed, "placeholder")
	}
	if len(changed) == 0 && dup == nil {
		im.rep.Unchanged++
		if linked {
			im.rep.Resolved++
		}
		return nil
	}
	detail := "updated: " + strings.Join(changed, ",")
	if dup != nil {
		moved, err := tx.MergeMember(ctx, m.ID, dup.ID, im.actor)
		if err != nil {
			return err
		}
		roles := "none"
		if len(moved) > 0 {
			roles = strings.Join(moved, ",")
		}
		detail = fmt.Sprintf("merged member %d (roles: %s); %s", dup.ID, roles, detail)
		// dup is gone, so the 工号 is free; a conflict now is a bug, not a row problem.
		if err := tx.SaveMember(ctx, &m); err != nil {
			return err
		}
	} else if err := tx.SaveMember(ctx, &m); store.ErrorCode(err) == store.ECONFLICT {
		im.problem(row.Line, "工号或飞书账号已属于另一位成员")
		return nil
	} else if err != nil {
		return err
	}
	im.rep.Updated++
	if linked {
		im.rep.Resolved++
	}
	return tx.Audit(ctx, im.actor, "member", fmt.Sprint(m.ID), "import", detail)
}

// branch returns the id of a branch, creating it once per import.
func (im *importer) branch(ctx context.Context, name string) (int64, error) {
	if id, ok := im.branches[name]; ok {
		return id, nil
	}
	id, err := im.tx.EnsureBranch(ctx, name)
	if err != nil {
		return 0, err
	}
	im.branches[name] = id
	return id, nil
}
