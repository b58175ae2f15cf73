package aid_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/aid"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// png is the smallest thing http.DetectContentType calls an image.
var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

type rig struct {
	*handlertest.Chat
	t    *testing.T
	fake *feishutest.Server
	h    *aid.Handlers
	msg  atomic.Int64
	cfg  *config.Config
}

// newRig: the shared rig with the aid routes, a data key, materials up to 1 MB fetched from the
// fake Open Platform, a 公示 chat, and the clock on 2027-03-10 10:00 in Shanghai.
func newRig(t *testing.T, db *store.DB) *rig {
	cfg := config.Default()
	cfg.Security.DataKey = testKey
	cfg.Aid.MaterialMaxMB = 1
	cfg.Aid.PublicityChat = "oc_publicity"
	fake := feishutest.NewT(t)
	client := lark.NewClient(fake.AppID(), fake.AppSecret(), lark.WithOpenBaseUrl(fake.URL()), lark.WithLogLevel(larkcore.LogLevelError))
	r := &rig{t: t, fake: fake, cfg: cfg}
	r.Chat = handlertest.New(t, db, handlertest.Options{Loc: shanghai, Config: cfg, Deadline: 10 * time.Second,
		Now: time.Date(2027, 3, 10, 10, 0, 0, 0, shanghai), IDPrefix: "om_aid",
		Register: func(rt *bot.Router, d handlers.Deps) {
			d.Resources = bot.NewResources(client)
			r.h = aid.New(d)
			r.h.Routes(rt)
			privacy.Register(rt, d) // 我的数据

		}})
	t.Cleanup(r.h.Wait)
	return r
}

func (r *rig) member(openID, name, branch string, roles ...string) *store.Member {
	r.t.Helper()
	return handlertest.NewMember(r.t, r.DB, handlertest.Person{OpenID: openID, Name: name, EmployeeNo: "0" + openID[3:], Branch: branch, Roles: roles})
}

// send sends a 1:1 image or file message and returns the bot's reply text.
func (r *rig) send(sender, typ, key, name string, data []byte) string {
	r.t.Helper()
	id := fmt.Sprintf("om_att%d", r.msg.Add(1))
	content := fmt.Sprintf(`{"image_key":%q}`, key)
	if typ == "file" {
		content = fmt.Sprintf(`{"file_key":%q,"file_name":%q}`, key, name)
	}
	r.fake.AddNamedResource(id, key, name, data)
	status, _, err := r.WH.Send(context.Background(), feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: sender,
		MessageType: typ, Content: content, Token: handlertest.Token}))
	if err != nil || status != 200 {
		r.t.Fatalf("send: %d %v", status, err)
	}
	r.h.Wait()
	var reply string
	if err := r.DB.Get(context.Background(), &reply, `SELECT content FROM outbox WHERE target_message_id = ?`, id); err != nil {
		r.t.Fatalf("no reply to the attachment: %v", err)
	}
	return reply
}

// click sends a card action and returns the toast and the replacement card's data.
func (r *rig) click(sender string, value, form map[string]any) (string, string) {
	r.t.Helper()
	a := r.Answer(sender, value, form)
	return a.Toast.Content, a.Data()
}

func (r *rig) count(query string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.DB.Get(context.Background(), &n, query, args...); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) aidCase(id int64) *store.AidCase {
	r.t.Helper()
	var a *store.AidCase
	if err := r.DB.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		a, err = tx.AidCaseByID(context.Background(), id)
		return err
	}); err != nil {
		r.t.Fatal(err)
	}
	return a
}

func (r *rig) last(openID string) string {
	s := r.Sent(openID)
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// consentValue is the 同意 button of the consent card of purpose ("aid", "aid_publicity").
func consentValue(purpose string) map[string]any {
	act := map[string]string{"aid": "aid.consent", "aid_publicity": "aid.pub_consent"}[purpose]
	return map[string]any{"action": act, "purpose": purpose, "version": 1}
}

// writes counts the rows a refusal must not have written.
func (r *rig) writes() string {
	return fmt.Sprint(r.count(`SELECT COUNT(*) FROM aid_cases`), r.count(`SELECT COUNT(*) FROM aid_materials`),
		r.count(`SELECT COALESCE(SUM(version), 0) FROM aid_cases`), r.count(`SELECT COUNT(*) FROM aid_family_claims`),
		r.count(`SELECT COUNT(*) FROM audit_log WHERE entity IN ('aid_case', 'consent')`), r.count(`SELECT COUNT(*) FROM consents`))
}

func must(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}

// TestApplyAndChain walks one medical request through consent, the form, materials and every
// step of the chain, and every aid rule of "Rules and bad input" on the way: each refusal is a
// clear Chinese answer and writes nothing.
func TestApplyAndChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		ctx := context.Background()
		app := r.member("ou_app", "王芳", "计算机分工会")
		r.member("ou_bc", "李主席", "计算机分工会", store.RoleBranchChair)
		r.member("ou_xc", "赵主席", "机关分工会", store.RoleBranchChair)
		r.member("ou_off", "陈干事", "机关分工会", store.RoleOfficer)
		r.member("ou_wel", "周委员", "机关分工会", store.RoleWelfare)
		r.member("ou_out", "孙老师", "计算机分工会")

		// Applying in a group: nothing to the group, the consent 1:1, nothing stored.
		before := r.writes()
		status, _, err := r.WH.Send(ctx, feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_grp1", ChatID: "oc_group",
			ChatType: "group", SenderOpenID: "ou_app", Text: "@_user_1 申请帮扶", Token: handlertest.Token,
			Mentions: []feishutest.Mention{{Key: "@_user_1", OpenID: "ou_bot", Name: "工会助手"}}}))
		must(t, err == nil && status == 200, "group message: %d %v", status, err)
		must(t, r.count(`SELECT COUNT(*) FROM outbox WHERE target_message_id = 'om_grp1' OR receive_id = 'oc_group'`) == 0, "the group got an answer")
		must(t, strings.Contains(r.last("ou_app"), "帮扶申请 · 个人信息处理同意书") && strings.Contains(r.last("ou_app"), `"enable_forward":false`), "consent 1:1: %s", r.last("ou_app"))
		must(t, r.writes() == before, "applying in a group wrote %s → %s", before, r.writes())

		// Saving the form without consent: refused, nothing stored.
		toast, _ := r.click("ou_app", map[string]any{"action": "aid.save", "kind": "medical", "case_id": 0, "version": 0},
			map[string]any{"text": "住院治疗，自付较多"})
		must(t, strings.Contains(toast, "同意书") && r.writes() == before, "save without consent: %q, %s", toast, r.writes())

		// Consent, recorded with its version.
		toast, cd := r.click("ou_app", consentValue("aid"), nil)
		must(t, strings.Contains(toast, "已记录") && strings.Contains(cd, "大病互助"), "consent: %q", toast)
		must(t, r.count(`SELECT COUNT(*) FROM consents WHERE purpose = 'aid' AND member_id = ? AND withdrawn_at IS NULL`, app.ID) == 1, "consent not recorded")

		// 大病互助 without enrolment: refused.
		before = r.writes()
		toast, _ = r.click("ou_app", map[string]any{"action": "aid.form", "kind": "critical"}, nil)
		must(t, strings.Contains(toast, "尚未登记参加") && r.writes() == before, "critical without enrolment: %q", toast)
		toast, _ = r.click("ou_app", map[string]any{"action": "aid.save", "kind": "critical", "case_id": 0, "version": 0},
			map[string]any{"text": "大病", "self_paid": "20000"})
		must(t, strings.Contains(toast, "尚未登记参加") && r.writes() == before, "critical save without enrolment: %q", toast)

		// A kind only officers open.
		toast, _ = r.click("ou_app", map[string]any{"action": "aid.form", "kind": "warmth"}, nil)
		must(t, strings.Contains(toast, "不接受本人申请") && r.writes() == before, "warmth: %q", toast)

		// The form: a draft with its text sealed.
		toast, cd = r.click("ou_app", map[string]any{"action": "aid.save", "kind": "medical", "case_id": 0, "version": 0},
			map[string]any{"text": "胃部手术住院十天，自付一万二", "requested": "2500"})
		must(t, strings.Contains(toast, "已保存") && strings.Contains(cd, "胃部手术"), "save: %q %s", toast, cd)
		var id int64
		db.Get(ctx, &id, `SELECT id FROM aid_cases WHERE member_id = ?`, app.ID)
		a := r.aidCase(id)
		must(t, a.State == store.AidDraft && a.RequestedFen == 250000 && !strings.Contains(a.Details, "胃部") && strings.HasPrefix(a.Details, "v2:"),
			"draft %+v", a)
		must(t, r.count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%胃部%'`) == 0, "the audit trail holds the text")

		// Submitting without materials: refused.
		before = r.writes()
		toast, _ = r.click("ou_app", map[string]any{"action": "aid.submit", "case_id": id, "version": a.Version}, nil)
		must(t, strings.Contains(toast, "至少一份材料") && r.writes() == before, "submit without materials: %q", toast)

		// Materials: a refused type, a too-large file, then a photo and a PDF.
		reply := r.send("ou_app", "file", "file_exe", "setup.exe", []byte("MZ..."))
		must(t, strings.Contains(reply, "不支持该文件类型") && r.writes() == before, "exe: %s", reply)
		r.send("ou_app", "file", "file_big", "诊断证明.pdf", append([]byte("%PDF-1.7\n"), make([]byte, 1<<20+1)...))
		must(t, strings.Contains(r.last("ou_app"), "文件过大"), "too large: %s", r.last("ou_app"))
		must(t, r.count(`SELECT COUNT(*) FROM aid_materials WHERE status = 'refused' AND data = ''`) == 1, "the large file was kept")
		r.send("ou_app", "file", "file_fake", "发票.pdf", []byte("not a pdf at all"))
		must(t, strings.Contains(r.last("ou_app"), "内容与类型不符"), "fake pdf: %s", r.last("ou_app"))
		reply = r.send("ou_app", "image", "img_1", "", png)
		must(t, strings.Contains(reply, "收到材料"), "image: %s", reply)
		must(t, strings.Contains(r.last("ou_app"), "已加密保存材料") && strings.Contains(r.last("ou_app"), "现有 1 份"), "stored: %s", r.last("ou_app"))
		r.send("ou_app", "file", "file_ok", "发票.pdf", []byte("%PDF-1.7\n1 0 obj"))
		var sealed []byte
		db.Get(ctx, &sealed, `SELECT data FROM aid_materials WHERE file_key = 'file_ok'`)
		must(t, len(sealed) > 0 && !bytes.Contains(sealed, []byte("%PDF")), "the material is not sealed")

		// Submit: to the branch chair of the applicant's own 分工会; the notice is neutral.
		a = r.aidCase(id)
		toast, _ = r.click("ou_app", map[string]any{"action": "aid.submit", "case_id": id, "version": a.Version}, nil)
		a = r.aidCase(id)
		must(t, a.State == store.AidBranchReview, "submit: %q, %s", toast, a.State)
		note := r.last("ou_bc")
		must(t, strings.Contains(note, "你有一条帮扶申请待审核") && !strings.Contains(note, "胃部") && !strings.Contains(note, "王芳") &&
			strings.Contains(note, `"enable_forward":false`), "notice: %s", note)
		must(t, len(r.Sent("ou_xc")) == 0, "another branch's chair was told")

		// Another 分工会's chair and someone outside the chain: refused, nothing written.
		before = r.writes()
		for _, who := range []string{"ou_xc", "ou_out"} {
			toast, _ = r.click(who, map[string]any{"action": "aid.show", "case_id": id}, nil)
			must(t, strings.Contains(toast, "不能查看"), "%s show: %q", who, toast)
		}
		toast, _ = r.click("ou_xc", map[string]any{"action": "aid.pass", "case_id": id, "version": a.Version}, map[string]any{})
		must(t, strings.Contains(toast, "不能查看") && r.writes() == before, "other chair pass: %q", toast)
		toast, _ = r.click("ou_out", map[string]any{"action": "aid.pass", "case_id": id, "version": a.Version}, map[string]any{})
		must(t, strings.Contains(toast, "没有权限") && r.writes() == before, "outsider pass: %q", toast)

		// The branch chair opens it (read audit), passes it; a second click on the old card is stale.
		reads := r.count(`SELECT COUNT(*) FROM read_audit WHERE entity = 'aid_case' AND entity_id = ?`, id)
		_, cd = r.click("ou_bc", map[string]any{"action": "aid.show", "case_id": id}, nil)
		must(t, strings.Contains(cd, "胃部手术") && strings.Contains(cd, "初审通过"), "branch chair's card: %s", cd)
		must(t, r.count(`SELECT COUNT(*) FROM read_audit WHERE entity = 'aid_case' AND entity_id = ? AND owner_id = ?`, id, app.ID) == reads+1, "no read audit")
		old := a.Version
		toast, _ = r.click("ou_bc", map[string]any{"action": "aid.pass", "case_id": id, "version": old}, map[string]any{})
		a = r.aidCase(id)
		must(t, a.State == store.AidUnionReview, "branch pass: %q %s", toast, a.State)
		before = r.writes()
		toast, _ = r.click("ou_off", map[string]any{"action": "aid.pass", "case_id": id, "version": old}, map[string]any{})
		must(t, strings.Contains(toast, "卡片已过期") && r.writes() == before, "stale: %q", toast)
		// The branch chair's review is done: they no longer see the case.
		toast, _ = r.click("ou_bc", map[string]any{"action": "aid.show", "case_id": id}, nil)
		must(t, strings.Contains(toast, "不能查看"), "branch chair after their step: %q", toast)

		// 校工会 returns it for more; the applicant is told neutrally, adds a material, resubmits.
		toast, _ = r.click("ou_off", map[string]any{"action": "aid.return", "case_id": id, "version": a.Version}, map[string]any{"note": ""})
		must(t, strings.Contains(toast, "请填写退回原因"), "return without a note: %q", toast)
		r.click("ou_off", map[string]any{"action": "aid.return", "case_id": id, "version": a.Version}, map[string]any{"note": "请补充出院小结"})
		a = r.aidCase(id)
		must(t, a.State == store.AidReturned && !strings.Contains(a.Reason, "出院"), "returned %+v", a)
		must(t, strings.Contains(r.last("ou_app"), "你的帮扶申请有新进展"), "applicant told: %s", r.last("ou_app"))
		_, cd = r.click("ou_app", map[string]any{"action": "aid.show", "case_id": id}, nil)
		must(t, strings.Contains(cd, "请补充出院小结") && strings.Contains(cd, "重新提交"), "applicant's card: %s", cd)
		r.send("ou_app", "image", "img_2", "", png)
		r.click("ou_app", map[string]any{"action": "aid.submit", "case_id": id, "version": a.Version}, nil)
		a = r.aidCase(id)
		must(t, a.State == store.AidUnionReview, "resubmitted to %s", a.State)
		r.click("ou_off", map[string]any{"action": "aid.pass", "case_id": id, "version": a.Version}, map[string]any{})
		a = r.aidCase(id)
		must(t, a.State == store.AidApproval, "union pass: %s", a.State)

		// Approval above the per-time ceiling: refused with the headroom, nothing written.
		before = r.writes()
		toast, _ = r.click("ou_wel", map[string]any{"action": "aid.approve", "case_id": id, "version": a.Version}, map[string]any{"amount": "2500"})
		must(t, strings.Contains(toast, "超过上限") && strings.Contains(toast, "本次最多可批 2000 元") && r.writes() == before, "ceiling: %q", toast)
		toast, _ = r.click("ou_app", map[string]any{"action": "aid.approve", "case_id": id, "version": a.Version}, map[string]any{"amount": "100"})
		must(t, strings.Contains(toast, "没有权限") && r.writes() == before, "applicant approving: %q", toast)
		toast, _ = r.click("ou_wel", map[string]any{"action": "aid.approve", "case_id": id, "version": a.Version}, map[string]any{"amount": "1800"})
		a = r.aidCase(id)
		must(t, a.State == store.AidApproved && a.ApprovedFen == 180000 && a.LedgerYear == 2027 && a.LedgerMonth == 3, "approve: %q %+v", toast, a)

		// Payment closes it.
		toast, _ = r.click("ou_off", map[string]any{"action": "aid.pay", "case_id": id, "version": a.Version},
			map[string]any{"paid_on": "2027-03-12 +0800", "voucher": "记-031"})
		a = r.aidCase(id)
		must(t, a.State == store.AidClosed && a.PaidOn == "2027-03-12" && a.Voucher == "记-031", "pay: %q %+v", toast, a)

		// 我的申请 shows where it is.
		mine := r.Say("ou_app", "我的申请")
		must(t, strings.Contains(mine, "已发放，已办结"), "mine: %s", mine)
		must(t, r.count(`SELECT COUNT(*) FROM outbox WHERE content LIKE '%胃部%' AND receive_id_type = 'chat_id'`) == 0, "sensitive text sent to a chat")
	})
}
