package privacy_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/legalaid"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var now = time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)

func dataRig(t *testing.T, db *store.DB) *handlertest.Chat {
	cfg := config.Default()
	cfg.Security.DataKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	c := handlertest.New(t, db, handlertest.Options{Config: cfg, Now: now, Deadline: 10 * time.Second,
		Register: func(r *bot.Router, d handlers.Deps) { privacy.Register(r, d); legalaid.Register(r, d) }})
	c.Member(handlertest.Person{OpenID: "ou_m", Name: "王老师", EmployeeNo: "0204", Branch: "信息工程学院分工会"})
	c.Member(handlertest.Person{OpenID: "ou_lo", Name: "周专员", Roles: []string{store.RoleLegalOfficer}})
	mustExec(t, db, `UPDATE members SET mobile = '13800000204', email = 'w@example.edu' WHERE open_id = 'ou_m'`)
	for i, a := range []struct{ title, status string }{{"春季健步走", store.ActivityFinished}, {"羽毛球比赛", store.ActivityOpen}} {
		mustExec(t, db, `INSERT INTO activities (id, title, kind, description, branches, publish_chats, starts_at, ends_at, signup_opens_at,
			signup_closes_at, cancel_deadline, entry_mode, allocation, status, created_at, updated_at)
			VALUES (?, ?, 'sports', '', '', '', ?, ?, ?, ?, ?, 'individual', 'first_come', ?, ?, ?)`,
			i+1, a.title, now, now, now, now, now, a.status, now, now)
		mustExec(t, db, `INSERT INTO signup_entries (activity_id, member_id, status, live_member, created_at, updated_at)
			SELECT ?, id, 'confirmed', id, ?, ? FROM members WHERE open_id = 'ou_m'`, i+1, now, now)
	}
	return c
}

func mustExec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.SQL().ExecContext(ctx, q, args...); err != nil {
		t.Fatal(err)
	}
}

// legalCase gives ou_m a consent and an open legal-aid case, viewed by the officer.
func legalCase(t *testing.T, c *handlertest.Chat) int64 {
	t.Helper()
	c.Click("ou_m", map[string]any{"action": "legal.consent", "purpose": "legal", "version": 1}, nil)
	a := c.Answer("ou_m", map[string]any{"action": "legal.submit"}, map[string]any{"category": "工资待遇", "urgent": "normal",
		"facts": "拖欠绩效工资三个月", "other_party": "某公司", "dispute_date": "2025-01-15"})
	if a.Toast.Type != "success" {
		t.Fatalf("submit: %+v", a.Toast)
	}
	var id int64
	c.DB.Get(ctx, &id, `SELECT MAX(id) FROM legal_cases`)
	c.Click("ou_lo", map[string]any{"action": "legal.show", "case_id": id}, nil)
	return id
}

// TestMyData: 我的数据 shows every flow's data about the member (their own sealed texts opened),
// who viewed their sensitive records, and a withdraw button per standing consent; asked in a
// group it goes 1:1; the view is read-audited and shows nothing when the audit fails.
func TestMyData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := dataRig(t, db)
		legalCase(t, c)
		got := c.Say("ou_m", "我的数据")
		for _, want := range []string{"个人资料", "王老师", "13800000204", "活动报名", "春季健步走", "羽毛球比赛", "法律援助",
			"拖欠绩效工资三个月", "同意记录", "周专员", "撤回同意：法律援助", "申请删除", "privacy.export", "profile.show", `"enable_forward":false`} {
			if !strings.Contains(got, want) {
				t.Errorf("我的数据 lacks %q", want)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM read_audit WHERE entity = 'member_data' AND what = 'card'`); n != 1 {
			t.Errorf("%d read-audit rows for the view", n)
		}
		// In a group: 1:1, and the group sees nothing of it.
		id := "om_mydata_group"
		status, _, err := c.WH.Send(ctx, feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: "ou_m",
			ChatID: "oc_group", ChatType: "group", Text: "@_user_1 我的数据", Token: handlertest.Token,
			Mentions: []feishutest.Mention{{Key: "@_user_1", OpenID: "ou_bot", Name: "工会助手"}}}))
		if err != nil || status != 200 {
			t.Fatal(status, err)
		}
		var reply string
		db.Get(ctx, &reply, `SELECT content FROM outbox WHERE target_message_id = ?`, id)
		if !strings.Contains(reply, "已私信发给你") || strings.Contains(reply, "王老师") {
			t.Errorf("the group sees %s", reply)
		}
		if sent := c.Sent("ou_m"); len(sent) != 1 || !strings.Contains(sent[0], "我的数据") {
			t.Errorf("1:1: %d messages", len(sent))
		}
		mustExec(t, db, `DROP TABLE read_audit`)
		a := c.Answer("ou_m", map[string]any{"action": privacy.ActionMyData}, nil)
		if a.Data() != "" || a.Toast.Type != "error" {
			t.Errorf("with the audit failing: %+v %s", a.Toast, a.Data())
		}
	})
}

// TestMyDataExport: the download is a file sent 1:1 to the member, JSON or Excel, with every
// section; each download is read-audited.
func TestMyDataExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := dataRig(t, db)
		legalCase(t, c)
		if toast, _ := c.Click("ou_m", map[string]any{"action": privacy.ActionExport, "format": "json"}, nil); !strings.Contains(toast, "我的数据_20250310.json") {
			t.Fatalf("json: %s", toast)
		}
		if toast, _ := c.Click("ou_m", map[string]any{"action": privacy.ActionExport, "format": "xlsx"}, nil); !strings.Contains(toast, ".xlsx") {
			t.Fatalf("xlsx: %s", toast)
		}
		if toast, _ := c.Click("ou_m", map[string]any{"action": privacy.ActionExport, "format": "pdf"}, nil); !strings.Contains(toast, "请选择") {
			t.Errorf("pdf: %s", toast)
		}
		files, err := db.OpenedOutbox(ctx, `kind = 'file'`)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 || files[0].ReceiveID != "ou_m" || files[0].ReceiveIDType != "open_id" || files[1].ReceiveID != "ou_m" {
			t.Fatalf("files: %+v", files)
		}
		var doc struct {
			Sections []struct {
				Name string
				Rows []map[string]string
			}
		}
		if err := json.Unmarshal(files[0].FileData, &doc); err != nil {
			t.Fatal(err)
		}
		names := map[string]int{}
		for _, s := range doc.Sections {
			names[s.Name] = len(s.Rows)
			if s.Name == "法律援助" && (len(s.Rows) != 1 || s.Rows[0]["事实经过"] != "拖欠绩效工资三个月") {
				t.Errorf("legal section %+v", s.Rows)
			}
		}
		if names["个人资料"] != 1 || names["活动报名"] != 2 || names["法律援助"] != 1 || names["同意记录"] != 1 {
			t.Errorf("sections %v", names)
		}
		x, err := excelize.OpenReader(bytes.NewReader(files[1].FileData))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("法律援助")
		sheets, want := x.GetSheetList(), []string{"个人资料", "活动报名", "教代会提案", "法律援助", "帮扶申请", "同意记录"}
		slices.Sort(sheets)
		slices.Sort(want)
		if !slices.Equal(sheets, want) || len(rows) != 2 || rows[1][3] != "拖欠绩效工资三个月" {
			t.Errorf("workbook: %v %v", x.GetSheetList(), rows)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM read_audit WHERE entity = 'member_data' AND what = 'export'`); n != 2 {
			t.Errorf("%d read-audit rows for the downloads, want 2", n)
		}
	})
}

// TestMyDataWithdraw: withdrawing a consent from 我的数据 stops the purpose's pending cases;
// a second withdrawal is refused with nothing written.
func TestMyDataWithdraw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := dataRig(t, db)
		id := legalCase(t, c)
		toast, cd := c.Click("ou_m", map[string]any{"action": privacy.ActionWithdraw, "purpose": "legal"}, nil)
		if !strings.Contains(toast, "已撤回「法律援助」的同意。1 件办理中的申请已终止。") || strings.Contains(cd, "撤回同意：法律援助") {
			t.Errorf("withdraw: %s %s", toast, cd)
		}
		var status string
		db.Get(ctx, &status, `SELECT status FROM legal_cases WHERE id = ?`, id)
		if status != store.LegalWithdrawn {
			t.Errorf("the case is %s", status)
		}
		before := count(t, db, `SELECT COUNT(*) FROM audit_log`)
		if toast, _ := c.Click("ou_m", map[string]any{"action": privacy.ActionWithdraw, "purpose": "legal"}, nil); !strings.Contains(toast, "没有需要撤回的同意") {
			t.Errorf("second withdrawal: %s", toast)
		}
		if count(t, db, `SELECT COUNT(*) FROM audit_log`) != before {
			t.Error("a refused withdrawal wrote to the audit trail")
		}
	})
}

// TestMyDataErase: a deletion request erases at once what no retention rule keeps (contact
// fields, sign-ups of finished activities, an open legal case's texts) and shows until when
// the rest is kept (the legal record: closed + privacy.records_retention_days).
func TestMyDataErase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := dataRig(t, db)
		id := legalCase(t, c)
		toast, cd := c.Click("ou_m", map[string]any{"action": privacy.ActionErase}, nil)
		if !strings.Contains(toast, "已处理") {
			t.Fatalf("erase: %s", toast)
		}
		until := now.AddDate(0, 0, 3650).Format("2006-01-02")
		for _, want := range []string{"**个人资料**：已删除 1 项", "**活动报名**：已删除 1 项；保留 1 项", "**法律援助**：已删除 1 项；保留 1 项，最迟于 " + until + " 删除"} {
			if !strings.Contains(cd, want) {
				t.Errorf("the answer lacks %q: %s", want, cd)
			}
		}
		var m store.Member
		db.Get(ctx, &m, `SELECT mobile, email, name FROM members WHERE open_id = 'ou_m'`)
		if m.Mobile != "" || m.Email != "" || m.Name != "王老师" {
			t.Errorf("profile after erasure: %+v", m)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM signup_entries WHERE activity_id = 1`); n != 0 {
			t.Error("the finished activity's entry is kept")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM signup_entries WHERE activity_id = 2`); n != 1 {
			t.Error("the running activity's entry was deleted")
		}
		var lc struct {
			Status string `db:"status"`
			Facts  string `db:"facts"`
		}
		db.Get(ctx, &lc, `SELECT status, facts FROM legal_cases WHERE id = ?`, id)
		if lc.Status != store.LegalWithdrawn || lc.Facts != "" {
			t.Errorf("legal case after erasure: %+v", lc)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'member_data' AND action = 'erase'`); n != 1 {
			t.Error("the erasure is not audited")
		}
	})
}
