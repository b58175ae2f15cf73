package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/unionbot/unionbot/store/secret"
)

// Aid requests in 我的数据 (PIPL Art. 44–47): the source "帮扶申请" (registered in
// memberdata.go, in the order 我的数据 shows the sources).

// aidKindNames are the configured names of the aid kinds (code → name), for 我的数据; the aid
// flow sets them from its configuration (SetAidKindNames). A code without a name shows as is.
var aidKindNames struct {
	sync.RWMutex
	m map[string]string
}

// SetAidKindNames sets the names 我的数据 shows for the aid kinds' codes.
func SetAidKindNames(names map[string]string) {
	aidKindNames.Lock()
	defer aidKindNames.Unlock()
	aidKindNames.m = names
}

func aidKindName(code string) string {
	aidKindNames.RLock()
	defer aidKindNames.RUnlock()
	if n := aidKindNames.m[code]; n != "" {
		return n
	}
	return code
}

// aidDetailsText reads the text out of a case's opened details (the JSON the flow seals:
// {"text": ...}), without importing the flow.
func aidDetailsText(s string) string {
	var d struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return s
	}
	return d.Text
}

// collectAid is the member's aid requests as they see them on their own cards (PIPL Art. 45:
// everything the union holds about them in a case): kind, state, the form's text, amounts, the
// reason of a return or rejection, 公示, payment, the materials' names and sizes, the course
// of the case with its dates, and how many objections its 公示 drew. Not shown: who objected
// (their personal information, not the applicant's); the files themselves are opened from the
// case card (我的申请), each in the read audit.
func collectAid(ctx context.Context, tx *Tx, keys *secret.Keyring, memberID int64, loc *time.Location) (DataSection, error) {
	cases, err := tx.aidWhere(ctx, `a.member_id = ? ORDER BY a.id`, memberID)
	if err != nil {
		return DataSection{}, err
	}
	sec := DataSection{Columns: []string{"编号", "类别", "状态", "情况说明", "申请金额（元）", "自付医疗费用（元）", "批准金额（元）",
		"退回或未通过原因", "同意公示", "公示异议", "发放日期", "凭证号", "材料", "办理经过", "申请时间", "办结时间"},
		Note: "草稿或退回补充材料的申请可以更正（下方「更正帮扶申请」）；材料文件可在「我的申请」中打开对应申请查看。" +
			"公示期间他人提出的实名异议只显示条数，异议人的信息属于他人，不在此列出。已结案的申请按保存期限删除（见「申请删除」）。"}
	for _, a := range cases {
		text, reason := "", ""
		if a.Details != "" {
			s, err := keys.Open(SealedAidDetails.Ref(a.ID), a.Details)
			if err != nil {
				return DataSection{}, err
			}
			text = aidDetailsText(s)
		}
		if a.Reason != "" {
			if reason, err = keys.Open(SealedAidReason.Ref(a.ID), a.Reason); err != nil {
				return DataSection{}, err
			}
		}
		mats, err := tx.AidMaterials(ctx, a.ID)
		if err != nil {
			return DataSection{}, err
		}
		var names []string
		for i, m := range mats {
			if m.Status != MaterialStored {
				continue
			}
			name := fmt.Sprintf("材料%d", i+1)
			if m.Name != "" {
				if name, err = keys.Open(SealedAidMaterialName.Ref(m.ID), m.Name); err != nil {
					return DataSection{}, err
				}
			}
			names = append(names, fmt.Sprintf("%s（%d 字节）", name, m.Size))
		}
		materials := strings.Join(names, "、")
		if a.MaterialsPurgedAt != nil {
			materials = "已于 " + a.MaterialsPurgedAt.In(loc).Format(time.DateOnly) + " 按保存期限删除"
			text, reason = "（已删除）", ""
		}
		var objections int
		if err := tx.GetContext(ctx, &objections, `SELECT COUNT(*) FROM aid_objections WHERE case_id = ?`, a.ID); err != nil {
			return DataSection{}, err
		}
		course, err := tx.aidCourse(ctx, a.ID, loc)
		if err != nil {
			return DataSection{}, err
		}
		sec.Rows = append(sec.Rows, []string{fmt.Sprint(a.ID), aidKindName(a.Kind), AidStateNames[a.State], text,
			optFen(a.RequestedFen), optFen(a.SelfPaidFen), optFen(a.ApprovedFen), reason, yesNo(a.Publicity),
			fmt.Sprint(objections), a.PaidOn, a.Voucher, materials, course, a.CreatedAt.In(loc).Format("2006-01-02 15:04"),
			timeOf(a.ClosedAt, loc)})
		if a.State == AidDraft || a.State == AidReturned {
			sec.Actions = append(sec.Actions, DataAction{Text: fmt.Sprintf("更正帮扶申请 %d", a.ID), Action: "aid.form",
				Values: map[string]any{"case_id": a.ID}})
		}
	}
	return sec, nil
}

// aidCourse is the course of a case from its audit trail: each step with its date, no actor
// and no text.
func (tx *Tx) aidCourse(ctx context.Context, id int64, loc *time.Location) (string, error) {
	var steps []struct {
		At     time.Time `db:"at"`
		Action string    `db:"action"`
	}
	if err := tx.SelectContext(ctx, &steps, `SELECT at, action FROM audit_log WHERE entity = 'aid_case' AND entity_id = ? ORDER BY id`,
		fmt.Sprint(id)); err != nil {
		return "", err
	}
	var out []string
	for _, s := range steps {
		name := aidStepNames[s.Action]
		if s.Action == "create" {
			name = "创建"
		}
		if name == "" {
			continue // edits, materials, objections: not steps
		}
		out = append(out, s.At.In(loc).Format(time.DateOnly)+" "+name)
	}
	return strings.Join(out, "；"), nil
}

func optFen(fen int64) string {
	if fen == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// eraseAidMaterials erases a case's materials and sealed texts now.
func (tx *Tx) eraseAidMaterials(ctx context.Context, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM aid_materials WHERE case_id = ?`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE aid_cases SET details = '', reason = '', materials_purged_at = ?, version = version + 1
		WHERE id = ?`, tx.now, id)
	return err
}

// eraseAid is a deletion request's part in aid (PIPL Art. 47): drafts (never submitted) are
// deleted at once; requests under review are withdrawn and their materials and texts erased
// at once, as are those of requests withdrawn earlier (nothing was decided on them); decided
// requests (paid, rejected) follow the retention rule: materials until closed + Materials, the
// record (and its line in the ledger) until closed + Records; approved requests not yet paid
// are kept until they are paid, then follow the same rule.
func eraseAid(ctx context.Context, tx *Tx, memberID int64, r Retention) (Erasure, error) {
	cases, err := tx.aidWhere(ctx, `a.member_id = ? ORDER BY a.id`, memberID)
	if err != nil {
		return Erasure{}, err
	}
	actor := "member:" + fmt.Sprint(memberID)
	var e Erasure
	undated := 0
	for _, a := range cases {
		switch a.State {
		case AidDraft:
			for _, q := range []string{`DELETE FROM aid_materials WHERE case_id = ?`, `DELETE FROM aid_family_claims WHERE case_id = ?`,
				`DELETE FROM aid_cases WHERE id = ?`} {
				if _, err := tx.ExecContext(ctx, q, a.ID); err != nil {
					return Erasure{}, err
				}
			}
			if err := tx.Audit(ctx, actor, "aid_case", fmt.Sprint(a.ID), "erase", "draft deleted"); err != nil {
				return Erasure{}, err
			}
			e.Erased++
			continue
		case AidBranchReview, AidUnionReview, AidApproval, AidReturned:
			if err := tx.StepAid(ctx, a, AidStepWithdraw, actor, AidChange{Detail: "deletion requested"}); err != nil {
				return Erasure{}, err
			}
			a.ClosedAt = &tx.now
			fallthrough
		case AidWithdrawn:
			if a.MaterialsPurgedAt == nil {
				if err := tx.eraseAidMaterials(ctx, a.ID); err != nil {
					return Erasure{}, err
				}
				if err := tx.Audit(ctx, actor, "aid_case", fmt.Sprint(a.ID), "erase", "materials erased"); err != nil {
					return Erasure{}, err
				}
				e.Erased++
			}
		case AidPublicity, AidApproved:
			e.Kept++
			undated++
			continue
		}
		e.Kept++
		if until := dateOf(a.ClosedAt.Add(r.Records)); until > e.KeptUntil {
			e.KeptUntil = until
		}
	}
	if e.Kept > 0 {
		e.Why = fmt.Sprintf("已审核的帮扶申请是工会的帮扶档案：材料和情况说明在办结 %d 天后删除，申请记录和台账在办结 %d 天后删除。",
			int(r.Materials.Hours()/24), int(r.Records.Hours()/24))
		if undated > 0 {
			e.Why += fmt.Sprintf("其中 %d 件已批准、尚未发放，发放办结后按同一期限删除。", undated)
		}
	}
	return e, nil
}
