package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/aid"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
	"github.com/unionbot/unionbot/store/storetest"
)

// yearClock is the clock of the year of aid: wall time moved by an offset, so that leases,
// polls and retries run as usual while the calendar jumps where the test sets it.
type yearClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *yearClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *yearClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = time.Until(t)
}

// aidYear drives one running unionbot through the webhook (the real guard: signed, encrypted,
// timestamped events) with the year's clock.
type aidYear struct {
	t    *testing.T
	ctx  context.Context
	fake *feishutest.Server
	cfg  *config.Config
	clk  *yearClock
	in   *instance
	msg  int
}

var (
	yearKey1 = base64.StdEncoding.EncodeToString([]byte("k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1"))
	yearKey2 = base64.StdEncoding.EncodeToString([]byte("k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2"))
	yearPNG  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 64)...)
	yearLoc  = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()
)

// start runs unionbot on the year's configuration and clock.
func (y *aidYear) start() {
	y.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{t: y.t, fake: y.fake, cfg: y.cfg, cancel: cancel, done: make(chan error, 1),
		m: &Main{Config: y.cfg, Log: slog.New(slog.NewTextHandler(testWriter{y.t}, &slog.HandlerOptions{Level: slog.LevelWarn})), Now: y.clk.Now}}
	if err := in.m.Open(ctx); err != nil {
		y.t.Fatal(err)
	}
	go func() { in.done <- in.m.Run(ctx) }()
	y.t.Cleanup(in.stop)
	deadline := time.Now().Add(10 * time.Second)
	for status, _ := in.get("/readyz"); status != 200; status, _ = in.get("/readyz") {
		if time.Now().After(deadline) {
			y.t.Fatal("not ready within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	y.in = in
}

func (y *aidYear) send(payload []byte) []byte {
	y.t.Helper()
	ctx, cancel := context.WithTimeout(y.ctx, 10*time.Second)
	defer cancel()
	wh := &feishutest.Webhook{URL: "http://" + y.in.m.Addr() + "/webhook/event", EncryptKey: e2eKey, VerificationToken: e2eToken}
	status, body, err := wh.Send(ctx, payload, feishutest.WithTimestamp(y.clk.Now()))
	if err != nil || status != 200 {
		y.t.Fatalf("webhook: %d %s %v", status, body, err)
	}
	return body
}

// click sends a card action and returns the toast and the answer's card.
func (y *aidYear) click(who string, value, form map[string]any) (string, string) {
	y.t.Helper()
	var out map[string]any
	json.Unmarshal(y.send(feishutest.CardActionEvent(feishutest.CardOpts{OperatorOpenID: who, Value: value, FormValue: form,
		Token: e2eToken, CreateTime: y.clk.Now()})), &out)
	return toastOf(out), fmt.Sprint(out["card"])
}

// say sends a 1:1 command and waits for its reply.
func (y *aidYear) say(who, text string) string {
	y.t.Helper()
	y.msg++
	id := fmt.Sprintf("om_year%d", y.msg)
	y.send(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: who, Text: text, Token: e2eToken, CreateTime: y.clk.Now()}))
	return waitFor(y.t, y.fake, "reply to "+text, replyTo(id)).Content
}

// photo sends a 1:1 photo and waits until it is fetched, sealed and stored.
func (y *aidYear) photo(who string) {
	y.t.Helper()
	y.msg++
	id, key := fmt.Sprintf("om_photo%d", y.msg), fmt.Sprintf("img_year%d", y.msg)
	y.fake.AddNamedResource(id, key, "", yearPNG)
	y.send(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: who, MessageType: "image",
		Content: fmt.Sprintf(`{"image_key":%q}`, key), Token: e2eToken, CreateTime: y.clk.Now()}))
	deadline := time.Now().Add(10 * time.Second)
	for y.count(`SELECT COUNT(*) FROM aid_materials WHERE file_key = ? AND status = 'stored'`, key) == 0 {
		if time.Now().After(deadline) {
			y.t.Fatalf("the photo %s of %s was not stored", key, who)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (y *aidYear) count(q string, args ...any) int {
	y.t.Helper()
	var n int
	if err := y.in.m.DB.Get(y.ctx, &n, q, args...); err != nil {
		y.t.Fatal(err)
	}
	return n
}

func (y *aidYear) aidCase(id int64) *store.AidCase {
	y.t.Helper()
	var a *store.AidCase
	if err := y.in.m.DB.InTx(y.ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.AidCaseByID(y.ctx, id)
		return err
	}); err != nil {
		y.t.Fatal(err)
	}
	return a
}

func (y *aidYear) must(cond bool, format string, args ...any) {
	y.t.Helper()
	if !cond {
		y.t.Fatalf(format, args...)
	}
}

// apply: the aid consent (once; a second 同意 is harmless), the kind's form saved, the 公示
// consent when asked for, one photo; it returns the draft.
func (y *aidYear) apply(who, kind string, form map[string]any) int64 {
	y.t.Helper()
	y.click(who, map[string]any{"action": "aid.consent", "purpose": "aid", "version": 1}, nil)
	toast, _ := y.click(who, map[string]any{"action": "aid.save", "kind": kind, "case_id": 0, "version": 0}, form)
	y.must(strings.Contains(toast, "已保存"), "%s %s: %q", who, kind, toast)
	var id int64
	y.in.m.DB.Get(y.ctx, &id, `SELECT MAX(a.id) FROM aid_cases a JOIN members m ON m.id = a.member_id WHERE m.open_id = ?`, who)
	if form["publicity"] == "yes" {
		toast, _ := y.click(who, map[string]any{"action": "aid.pub_consent", "purpose": "aid_publicity", "version": 1, "case_id": id}, nil)
		y.must(strings.Contains(toast, "单独同意"), "publicity consent: %q", toast)
	}
	y.photo(who)
	return id
}

// refusedApply: saving the kind's form is refused with want, nothing written.
func (y *aidYear) refusedApply(who, kind, want string, form map[string]any) {
	y.t.Helper()
	y.click(who, map[string]any{"action": "aid.consent", "purpose": "aid", "version": 1}, nil)
	before := y.count(`SELECT COUNT(*) FROM aid_cases`)
	toast, _ := y.click(who, map[string]any{"action": "aid.save", "kind": kind, "case_id": 0, "version": 0}, form)
	y.must(strings.Contains(toast, want) && y.count(`SELECT COUNT(*) FROM aid_cases`) == before, "%s %s: %q", who, kind, toast)
}

// step clicks a case's button as who on its current card and returns the toast.
func (y *aidYear) step(who, action string, id int64, form map[string]any) string {
	y.t.Helper()
	if form == nil {
		form = map[string]any{}
	}
	toast, _ := y.click(who, map[string]any{"action": action, "case_id": id, "version": y.aidCase(id).Version}, form)
	return toast
}

// expect checks a case's state and approved amount (fen).
func (y *aidYear) expect(id int64, state string, fen int64) {
	y.t.Helper()
	a := y.aidCase(id)
	y.must(a.State == state && a.ApprovedFen == fen, "case %d: %s %d, want %s %d", id, a.State, a.ApprovedFen, state, fen)
}

// chain takes a submitted case through the remaining review steps and approves amount.
func (y *aidYear) chain(id int64, branchChair, approver, amount string) {
	y.t.Helper()
	if branchChair != "" {
		y.must(y.aidCase(id).State == store.AidBranchReview, "case %d not at 初审: %s", id, y.aidCase(id).State)
		y.step(branchChair, "aid.pass", id, nil)
	}
	y.must(y.aidCase(id).State == store.AidUnionReview, "case %d not at 审核: %s", id, y.aidCase(id).State)
	y.step("ou_off", "aid.pass", id, nil)
	if amount != "" {
		toast := y.step(approver, "aid.approve", id, map[string]any{"amount": amount})
		y.must(strings.Contains(toast, "批准"), "approve %d: %q", id, toast)
	}
}

func (y *aidYear) pay(id int64, voucher string) {
	y.t.Helper()
	on := y.clk.Now().In(yearLoc).Format("2006-01-02") + " +0800"
	y.step("ou_off", "aid.pay", id, map[string]any{"paid_on": on, "voucher": voucher})
	y.must(y.aidCase(id).State == store.AidClosed, "pay %d: %s", id, y.aidCase(id).State)
}

// runJob runs a scheduled job at the clock's now (retrying while a wake-up of its own holds it).
func (y *aidYear) runJob(name string) {
	y.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := y.in.m.Jobs.RunJob(y.ctx, name, y.clk.Now())
		var busy *jobs.BusyError
		if err == nil {
			return
		}
		if !errors.As(err, &busy) || time.Now().After(deadline) {
			y.t.Fatalf("%s: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openAll opens every sealed value of the database with keys (bound to its row), and counts
// the values per key id: each value names one key, and opens with it.
func (y *aidYear) openAll(keys *secret.Keyring) map[string]int {
	y.t.Helper()
	ids := map[string]int{}
	for _, c := range store.SealedColumns() {
		var rows []struct {
			ID int64  `db:"id"`
			V  string `db:"v"`
		}
		if err := y.in.m.DB.Select(y.ctx, &rows, `SELECT id, `+c.Column+` AS v FROM `+c.Table+` WHERE `+c.Column+` <> ''`); err != nil {
			y.t.Fatal(err)
		}
		for _, r := range rows {
			if _, err := keys.OpenBytes(c.Ref(r.ID), r.V); err != nil {
				y.t.Fatalf("%s row %d (key %s) does not open: %v", c, r.ID, secret.KeyID(r.V), err)
			}
			ids[secret.KeyID(r.V)]++
		}
	}
	return ids
}

// ledgerBy sums the year's ledger by a key of its rows: "count amount" in 元.
func (y *aidYear) ledgerBy(year int, key func(store.AidLedgerRow) string) string {
	y.t.Helper()
	rows, err := y.in.m.DB.AidLedger(y.ctx, year)
	y.must(err == nil, "ledger: %v", err)
	n, sum := map[string]int{}, map[string]int64{}
	for _, r := range rows {
		n[key(r)]++
		sum[key(r)] += r.ApprovedFen
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		out = append(out, fmt.Sprintf("%s %d %d", k, n[k], sum[k]/100))
	}
	return strings.Join(out, "; ")
}

// TestAidYear is a year of aid on both databases, through the webhook path: 20 requests of
// every kind through every branch of the chain (returned and resubmitted at 初审 and at 审批,
// rejected at each step, withdrawn, emergency, 公示 with an objection taken down by the job,
// and one revoked after its objection), refusals above a ceiling with the headroom shown, the
// formula, one per family and enrolment; a key rotation in the middle with a crash half-way
// (every value still opens, each under exactly one key; resumed, only the new key is left);
// the ledger asserted exactly (hand-computed); a member's export and deletion; and the purge
// at the retention dates with the clock moved.
func TestAidYear(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testAidYear(t, dialect) })
	}
}

func testAidYear(t *testing.T, dialect string) {
	fake := feishutest.NewT(t)
	cfg := e2eConfig(t, fake, config.ModeWebhook, dialect)
	cfg.Security.DataKey, cfg.Security.DataKeyID = yearKey1, "k1"
	cfg.Aid.PublicityChat = "oc_publicity"
	cfg.Aid.MaterialMaxMB = 1
	y := &aidYear{t: t, ctx: context.Background(), fake: fake, cfg: cfg, clk: &yearClock{}}
	y.clk.Set(time.Date(2027, 1, 11, 9, 0, 0, 0, yearLoc)) // a Monday
	y.start()
	db := y.in.m.DB
	people := []handlertest.Person{
		{OpenID: "ou_bc1", Name: "李主席", EmployeeNo: "0901", Branch: "计算机分工会", Roles: []string{store.RoleBranchChair}},
		{OpenID: "ou_bc2", Name: "赵主席", EmployeeNo: "0902", Branch: "外语分工会", Roles: []string{store.RoleBranchChair}},
		{OpenID: "ou_off", Name: "陈干事", EmployeeNo: "0801", Branch: "机关分工会", Roles: []string{store.RoleOfficer}},
		{OpenID: "ou_chair", Name: "刘主席", EmployeeNo: "0802", Branch: "机关分工会", Roles: []string{store.RoleChair}},
		{OpenID: "ou_wel", Name: "周委员", EmployeeNo: "0803", Branch: "机关分工会", Roles: []string{store.RoleWelfare}},
		{OpenID: "ou_obj", Name: "孙老师", EmployeeNo: "0804", Branch: "机关分工会"},
		{OpenID: "ou_a1", Name: "王一", EmployeeNo: "0101", Branch: "计算机分工会"},
		{OpenID: "ou_a2", Name: "王二", EmployeeNo: "0102", Branch: "计算机分工会"},
		{OpenID: "ou_a3", Name: "张三", EmployeeNo: "0103", Branch: "外语分工会"},
		{OpenID: "ou_a4", Name: "张四", EmployeeNo: "0104", Branch: "外语分工会"},
		{OpenID: "ou_a5", Name: "钱五", EmployeeNo: "0105", Branch: "体育分工会"}, // 体育分工会 has no chair: straight to 审核
		{OpenID: "ou_a6", Name: "钱六", EmployeeNo: "0106", Branch: "体育分工会"},
	}
	for _, p := range people {
		handlertest.NewMember(t, db, p)
	}
	y.must(strings.Contains(y.say("ou_off", "家庭登记 0102 0103"), "已登记为同一家庭"), "family a2/a3")
	y.must(strings.Contains(y.say("ou_off", "家庭登记 0105 0106"), "已登记为同一家庭"), "family a5/a6")
	y.must(strings.Contains(y.say("ou_off", "大病互助登记 0104"), "新登记 1 人"), "enrolment")

	// January.
	// C1–C3: a1's 医疗补助 up to the yearly ceiling (5000): 1800; 2500 refused above the
	// per-time ceiling, 2000; 1500 refused above what the year leaves (1200), 1200.
	c1 := y.apply("ou_a1", "medical", map[string]any{"text": "阑尾炎手术住院", "requested": "1800"})
	y.step("ou_a1", "aid.submit", c1, nil)
	y.chain(c1, "ou_bc1", "ou_wel", "1800")
	y.pay(c1, "记-0101")
	c2 := y.apply("ou_a1", "medical", map[string]any{"text": "术后并发症再次住院", "requested": "2500"})
	y.step("ou_a1", "aid.submit", c2, nil)
	y.chain(c2, "ou_bc1", "", "")
	toast := y.step("ou_wel", "aid.approve", c2, map[string]any{"amount": "2500"})
	y.must(strings.Contains(toast, "超过上限") && strings.Contains(toast, "本次最多可批 2000 元"), "above the per-time ceiling: %q", toast)
	y.expect(c2, store.AidApproval, 0)
	y.step("ou_wel", "aid.approve", c2, map[string]any{"amount": "2000"})
	y.pay(c2, "记-0102")
	c3 := y.apply("ou_a1", "medical", map[string]any{"text": "康复治疗", "requested": "1500"})
	y.step("ou_a1", "aid.submit", c3, nil)
	y.chain(c3, "ou_bc1", "", "")
	toast = y.step("ou_wel", "aid.approve", c3, map[string]any{"amount": "1500"})
	y.must(strings.Contains(toast, "本次最多可批 1200 元"), "above the yearly ceiling: %q", toast)
	y.step("ou_wel", "aid.approve", c3, map[string]any{"amount": "1200"})
	y.expect(c3, store.AidApproved, 120000)

	// C4: a2's 困难补助 with 公示: returned at 初审, a material added, resubmitted to 初审, approved
	// into a 公示 (name, 分工会, kind only), an objection that reaches the officers privately.
	c4 := y.apply("ou_a2", "hardship", map[string]any{"text": "配偶重病，家庭收入骤减", "requested": "3000", "publicity": "yes"})
	y.step("ou_a2", "aid.submit", c4, nil)
	y.step("ou_bc1", "aid.return", c4, map[string]any{"note": "请补充收入证明"})
	y.expect(c4, store.AidReturned, 0)
	y.photo("ou_a2")
	y.step("ou_a2", "aid.submit", c4, nil)
	y.chain(c4, "ou_bc1", "ou_chair", "3000")
	y.expect(c4, store.AidPublicity, 300000)
	pub := waitFor(t, fake, "公示 card", func(m feishutest.Message) bool { return m.ReceiveID == "oc_publicity" })
	y.must(strings.Contains(pub.Content, "王二") && strings.Contains(pub.Content, "困难补助") && !strings.Contains(pub.Content, "重病") &&
		!strings.Contains(pub.Content, "3000"), "公示 card: %s", pub.Content)
	toast, _ = y.click("ou_obj", map[string]any{"action": "aid.object", "case_id": c4}, nil)
	y.must(strings.Contains(toast, "已收到你的实名异议"), "objection: %q", toast)
	waitFor(t, fake, "objection to the officers", func(m feishutest.Message) bool {
		return m.ReceiveID == "ou_off" && strings.Contains(m.Content, "孙老师")
	})
	// a3, of a2's family: 困难补助 refused (one per family).
	y.refusedApply("ou_a3", "hardship", "每户每年限一人", map[string]any{"text": "同一困难", "publicity": "no"})

	// C5: a3's 助学 rejected at 审核, which frees the family's claim; C6: a2's 助学 then approved.
	c5 := y.apply("ou_a3", "education", map[string]any{"text": "子女考入大学", "requested": "2000", "publicity": "no"})
	y.step("ou_a3", "aid.submit", c5, nil)
	y.step("ou_bc2", "aid.pass", c5, nil)
	y.step("ou_off", "aid.reject", c5, map[string]any{"note": "不符合助学条件"})
	y.expect(c5, store.AidRejected, 0)
	c6 := y.apply("ou_a2", "education", map[string]any{"text": "子女就读高职", "requested": "2000", "publicity": "no"})
	y.step("ou_a2", "aid.submit", c6, nil)
	y.chain(c6, "ou_bc1", "ou_chair", "2000")
	y.expect(c6, store.AidApproved, 200000)

	// C7, C8: the emergency path (丧事慰问 for a4, 送温暖 for a5); 送温暖 for a5's family refused.
	y.say("ou_off", "帮扶登记")
	toast, _ = y.click("ou_off", map[string]any{"action": "aid.emergent"}, map[string]any{"employee_no": "0104", "kind": "visit_bereavement", "amount": "2000", "note": "父亲病故"})
	y.must(strings.Contains(toast, "已登记并批准 2000 元"), "emergency: %q", toast)
	toast, _ = y.click("ou_off", map[string]any{"action": "aid.emergent"}, map[string]any{"employee_no": "0105", "kind": "warmth", "amount": "1000", "note": "春节送温暖"})
	y.must(strings.Contains(toast, "已登记并批准 1000 元"), "warmth: %q", toast)
	before := y.count(`SELECT COUNT(*) FROM aid_cases`)
	toast, _ = y.click("ou_off", map[string]any{"action": "aid.emergent"}, map[string]any{"employee_no": "0106", "kind": "warmth", "amount": "500", "note": "春节送温暖"})
	y.must(strings.Contains(toast, "每户每年限一人") && y.count(`SELECT COUNT(*) FROM aid_cases`) == before, "warmth for the family: %q", toast)
	var c7, c8 int64
	db.Get(y.ctx, &c7, `SELECT id FROM aid_cases WHERE kind = 'visit_bereavement'`)
	db.Get(y.ctx, &c8, `SELECT id FROM aid_cases WHERE kind = 'warmth'`)

	// C9: a4's 大病互助 (enrolled): 60 % of 20000 − 5000 = 9000; 9000.01 refused. a5 is not enrolled.
	c9 := y.apply("ou_a4", "critical", map[string]any{"text": "肿瘤化疗", "self_paid": "20000"})
	y.step("ou_a4", "aid.submit", c9, nil)
	y.chain(c9, "ou_bc2", "", "")
	toast = y.step("ou_chair", "aid.approve", c9, map[string]any{"amount": "9000.01"})
	y.must(strings.Contains(toast, "本次最多可批 9000 元"), "formula: %q", toast)
	y.step("ou_chair", "aid.approve", c9, map[string]any{"amount": "9000"})
	y.pay(c9, "记-0109")
	y.refusedApply("ou_a5", "critical", "尚未登记参加", map[string]any{"text": "大病", "self_paid": "20000"})

	// C10: a5's 住院慰问, 体育分工会 has no chair: straight to 审核.
	c10 := y.apply("ou_a5", "visit_hospital", map[string]any{"text": "骨折住院", "requested": "1000"})
	y.step("ou_a5", "aid.submit", c10, nil)
	y.chain(c10, "", "ou_wel", "1000")
	y.pay(c10, "记-0110")

	// The 公示 ends: still up on its last workday, taken down by the job the day after.
	until := y.aidCase(c4).PublicityUntil
	y.must(until == "2027-01-18", "publicity until %s", until)
	y.clk.Set(time.Date(2027, 1, 18, 20, 0, 0, 0, yearLoc))
	y.runJob("aid.jobs")
	y.expect(c4, store.AidPublicity, 300000)
	y.clk.Set(time.Date(2027, 1, 19, 9, 0, 0, 0, yearLoc))
	y.runJob("aid.jobs")
	y.expect(c4, store.AidApproved, 300000)
	waitFor(t, fake, "公示结束", func(m feishutest.Message) bool {
		return m.Kind == feishutest.KindPatch && m.MessageID == pub.MessageID && strings.Contains(m.Content, "公示结束")
	})
	y.pay(c4, "记-0119")

	// June: a key rotation. The new key k2 is made active, k1 kept as an old key, and unionbot
	// restarted; `keys rotate` (store.RotateKeys) crashes after 7 values.
	y.clk.Set(time.Date(2027, 6, 1, 9, 0, 0, 0, yearLoc))
	y.in.stop()
	cfg.Security.DataKey, cfg.Security.DataKeyID, cfg.Security.OldKeys = yearKey2, "k2", []string{"k1:" + yearKey1}
	y.start()
	db = y.in.m.DB
	keys, err := cfg.Security.Keyring()
	y.must(err == nil, "keyring: %v", err)
	crash := errors.New("crash")
	rep, err := db.RotateKeys(y.ctx, keys, store.RotateOptions{Batch: 3, Actor: "test",
		AfterValue: func(n int) error {
			if n == 7 {
				return crash
			}
			return nil
		}})
	y.must(errors.Is(err, crash) && rep.Resealed == 6, "the crash: %v, %d re-sealed", err, rep.Resealed)
	half := y.openAll(keys)
	y.must(half["k1"] > 0 && half["k2"] == 6 && len(half) == 2, "half-way: %v", half)
	// No value is ambiguous: each opens with the key it names and with no other.
	only1, _ := secret.FromConfig(yearKey1, "k1", nil)
	only2, _ := secret.FromConfig(yearKey2, "k2", nil)
	for _, c := range store.SealedColumns() {
		var rows []struct {
			ID int64  `db:"id"`
			V  string `db:"v"`
		}
		db.Select(y.ctx, &rows, `SELECT id, `+c.Column+` AS v FROM `+c.Table+` WHERE `+c.Column+` <> ''`)
		for _, r := range rows {
			_, e1 := only1.OpenBytes(c.Ref(r.ID), r.V)
			_, e2 := only2.OpenBytes(c.Ref(r.ID), r.V)
			y.must((e1 == nil) != (e2 == nil) && (e1 == nil) == (secret.KeyID(r.V) == "k1"), "%s row %d opens under k1 %v, k2 %v", c, r.ID, e1, e2)
		}
	}
	// Half-way, everything still opens in chat, and new values are sealed with k2.
	_, cd := y.click("ou_off", map[string]any{"action": "aid.show", "case_id": c4}, nil)
	y.must(strings.Contains(cd, "配偶重病") && strings.Contains(cd, "请补充收入证明"), "c4 half-way: %s", cd)
	_, cd = y.click("ou_a1", map[string]any{"action": "aid.show", "case_id": c1}, nil)
	y.must(strings.Contains(cd, "阑尾炎"), "c1 half-way: %s", cd)

	// C11, C12: a6's 住院慰问 800, then 1500 refused above the per-time ceiling (1000), 1000.
	c11 := y.apply("ou_a6", "visit_hospital", map[string]any{"text": "肺炎住院", "requested": "800"})
	y.step("ou_a6", "aid.submit", c11, nil)
	y.chain(c11, "", "ou_wel", "800")
	y.pay(c11, "记-0601")
	c12 := y.apply("ou_a6", "visit_hospital", map[string]any{"text": "肺炎复发", "requested": "1500"})
	y.step("ou_a6", "aid.submit", c12, nil)
	y.chain(c12, "", "", "")
	toast = y.step("ou_wel", "aid.approve", c12, map[string]any{"amount": "1500"})
	y.must(strings.Contains(toast, "本次最多可批 1000 元"), "c12: %q", toast)
	y.step("ou_wel", "aid.approve", c12, map[string]any{"amount": "1000"})
	y.pay(c12, "记-0602")
	// C13: withdrawn by a3 at 初审. C14: a4's 医疗补助 rejected at 初审.
	c13 := y.apply("ou_a3", "medical", map[string]any{"text": "牙科治疗", "requested": "900"})
	y.step("ou_a3", "aid.submit", c13, nil)
	y.step("ou_a3", "aid.withdraw", c13, nil)
	y.expect(c13, store.AidWithdrawn, 0)
	c14 := y.apply("ou_a4", "medical", map[string]any{"text": "门诊费用", "requested": "500"})
	y.step("ou_a4", "aid.submit", c14, nil)
	y.step("ou_bc2", "aid.reject", c14, map[string]any{"note": "门诊费用不在补助范围"})
	y.expect(c14, store.AidRejected, 0)
	// C15: a1's 结婚慰问; C16: a2's 生育慰问 (a3, of the family, refused).
	c15 := y.apply("ou_a1", "visit_wedding", map[string]any{"text": "本人结婚", "requested": "600"})
	y.step("ou_a1", "aid.submit", c15, nil)
	y.chain(c15, "ou_bc1", "ou_wel", "600")
	y.pay(c15, "记-0603")
	c16 := y.apply("ou_a2", "visit_birth", map[string]any{"text": "配偶生育", "requested": "600"})
	y.step("ou_a2", "aid.submit", c16, nil)
	y.chain(c16, "ou_bc1", "ou_wel", "600")
	y.refusedApply("ou_a3", "visit_birth", "每户每年限一人", map[string]any{"text": "生育"})
	// C17: a5's 医疗补助 returned at 审批, resubmitted back to 审批, approved.
	c17 := y.apply("ou_a5", "medical", map[string]any{"text": "心脏支架手术", "requested": "2000"})
	y.step("ou_a5", "aid.submit", c17, nil)
	y.chain(c17, "", "", "")
	y.step("ou_wel", "aid.return", c17, map[string]any{"note": "请补充发票原件照片"})
	y.photo("ou_a5")
	y.step("ou_a5", "aid.submit", c17, nil)
	y.must(y.aidCase(c17).State == store.AidApproval, "c17 resubmitted to %s", y.aidCase(c17).State)
	y.step("ou_wel", "aid.approve", c17, map[string]any{"amount": "2000"})
	y.pay(c17, "记-0604")

	// The rotation resumed: done, only k2 left, every value opens with k2 alone.
	rep, err = db.RotateKeys(y.ctx, keys, store.RotateOptions{Batch: 3, Actor: "test"})
	// (The outbox's pending sensitive messages are re-sealed and counted too; the worker is
	// sending meanwhile, so they are left out of the exact figures.)
	tables := rep.Resealed - rep.Columns["outbox.content"] - rep.Columns["outbox.file_data"]
	y.must(err == nil && tables == half["k1"] && len(rep.InUse) == 1 && rep.InUse["k2"] > 0, "resumed: %+v %v", rep, err)
	done := y.openAll(only2)
	y.must(len(done) == 1 && done["k2"] <= rep.InUse["k2"], "after the rotation: %v", done)
	usage, err := db.KeyUsage(y.ctx)
	y.must(err == nil && len(usage) == 1 && usage["k2"] >= done["k2"], "keys status: %v %v", usage, err)

	// C18: a4's 困难补助 with 公示, revoked after an objection: out of the ledger.
	c18 := y.apply("ou_a4", "hardship", map[string]any{"text": "房屋受灾", "requested": "2500", "publicity": "yes"})
	y.step("ou_a4", "aid.submit", c18, nil)
	y.chain(c18, "ou_bc2", "ou_chair", "2500")
	y.click("ou_obj", map[string]any{"action": "aid.object", "case_id": c18}, nil)
	y.step("ou_off", "aid.revoke", c18, map[string]any{"note": "异议属实"})
	y.expect(c18, store.AidRejected, 0)
	// C19: a6's 助学. C20: a1's 医疗补助 over the year's ceiling: nothing may be approved; rejected.
	c19 := y.apply("ou_a6", "education", map[string]any{"text": "子女读研", "requested": "2000", "publicity": "no"})
	y.step("ou_a6", "aid.submit", c19, nil)
	y.chain(c19, "", "ou_chair", "2000")
	c20 := y.apply("ou_a1", "medical", map[string]any{"text": "复查", "requested": "300"})
	y.step("ou_a1", "aid.submit", c20, nil)
	y.chain(c20, "ou_bc1", "", "")
	toast = y.step("ou_wel", "aid.approve", c20, map[string]any{"amount": "300"})
	y.must(strings.Contains(toast, "超过上限") && strings.Contains(toast, "本次最多可批 0 元"), "c20: %q", toast)
	y.step("ou_wel", "aid.reject", c20, map[string]any{"note": "本年度医疗补助额度已用完"})
	y.expect(c20, store.AidRejected, 0)
	y.must(y.count(`SELECT COUNT(*) FROM aid_cases`) == 20, "%d cases", y.count(`SELECT COUNT(*) FROM aid_cases`))
	kinds := y.count(`SELECT COUNT(DISTINCT kind) FROM aid_cases`)
	y.must(kinds == len(cfg.Aid.Kinds), "%d kinds of %d", kinds, len(cfg.Aid.Kinds))

	// The ledger, by hand: January 23,000 元 (1800 + 2000 + 1200 + 3000 + 2000 + 2000 + 1000 +
	// 9000 + 1000), June 7,000 元 (800 + 1000 + 600 + 600 + 2000 + 2000).
	const (
		byMonth  = "1 9 23000; 6 6 7000"
		byKind   = "critical 1 9000; education 2 4000; hardship 1 3000; medical 4 7000; visit_bereavement 1 2000; visit_birth 1 600; visit_hospital 3 2800; visit_wedding 1 600; warmth 1 1000"
		byBranch = "体育分工会 6 7800; 外语分工会 2 11000; 计算机分工会 7 11200"
	)
	got := [3]string{y.ledgerBy(2027, func(r store.AidLedgerRow) string { return fmt.Sprint(r.Month) }),
		y.ledgerBy(2027, func(r store.AidLedgerRow) string { return r.Kind }),
		y.ledgerBy(2027, func(r store.AidLedgerRow) string { return r.BranchName })}
	y.must(got == [3]string{byMonth, byKind, byBranch}, "ledger:\n%s\n%s\n%s", got[0], got[1], got[2])
	_, xlsx, err := aid.LedgerFile(y.ctx, db, cfg.Aid.Kinds, 2027)
	y.must(err == nil && len(xlsx) > 0, "ledger file: %v", err)
	// Each member's use of the year against the ceilings, exactly.
	for _, u := range []struct {
		who, kind string
		fen       int64
	}{{"ou_a1", "medical", 500000}, {"ou_a6", "visit_hospital", 180000}, {"ou_a4", "critical", 900000}, {"ou_a4", "hardship", 0}} {
		var used store.AidUse
		db.InTx(y.ctx, func(tx *store.Tx) error {
			m, err := tx.MemberByOpenID(y.ctx, u.who)
			if err != nil {
				return err
			}
			used, err = tx.AidUsed(y.ctx, m.ID, u.kind, 2027)
			return err
		})
		y.must(used.ApprovedFen == u.fen, "%s %s used %d, want %d", u.who, u.kind, used.ApprovedFen, u.fen)
	}

	// a3's data: exported 1:1 with the texts opened (sealed with k2 now), then deleted: the
	// withdrawn request's materials at once, the rejected one kept until the archive date.
	toast, _ = y.click("ou_a3", map[string]any{"action": "privacy.export", "format": "json"}, nil)
	y.must(strings.Contains(toast, "文件已私信发给你"), "export: %q", toast)
	files, err := db.OpenedOutbox(y.ctx, `kind = 'file' AND receive_id = 'ou_a3' AND receive_id_type = 'open_id'`)
	y.must(err == nil && len(files) == 1 && files[0].Sealed, "the export: %d files, %v", len(files), err)
	file := files[0].FileData
	y.must(bytes.Contains(file, []byte("子女考入大学")) && bytes.Contains(file, []byte("不符合助学条件")) && bytes.Contains(file, []byte("牙科治疗")) &&
		!bytes.Contains(file, []byte("配偶重病")), "export: %s", file)
	toast, cd = y.click("ou_a3", map[string]any{"action": "privacy.erase"}, nil)
	keptUntil := y.aidCase(c13).ClosedAt.Add(3650 * 24 * time.Hour).Format("2006-01-02")
	y.must(strings.Contains(cd, "**帮扶申请**：已删除 1 项；保留 2 项，最迟于 "+keptUntil+" 删除"), "erase: %q %s", toast, cd)
	y.must(y.aidCase(c13).Details == "" && y.aidCase(c5).Details != "", "after the erasure: %+v %+v", y.aidCase(c13), y.aidCase(c5))

	// The purge at the retention dates: materials of every closed case a year after the last
	// closed (June 2027); the closed cases themselves ten years after; the ledger then holds the
	// approved, unpaid ones only (C3 1200, C6 2000, C7 2000, C8 1000, C16 600, C19 2000).
	closed := []int64{c1, c2, c4, c5, c9, c10, c11, c12, c13, c14, c15, c17, c18, c20}
	y.clk.Set(time.Date(2028, 7, 1, 4, 0, 0, 0, yearLoc))
	y.runJob("privacy.purge")
	for _, id := range closed {
		a := y.aidCase(id)
		y.must(a.Details == "" && a.Reason == "" && a.MaterialsPurgedAt != nil && y.count(`SELECT COUNT(*) FROM aid_materials WHERE case_id = ?`, id) == 0,
			"closed case %d after a year: %+v", id, a)
	}
	y.must(y.aidCase(c3).Details != "" && y.count(`SELECT COUNT(*) FROM aid_materials WHERE case_id = ?`, c19) == 1, "open cases purged")
	y.must(y.ledgerBy(2027, func(store.AidLedgerRow) string { return "all" }) == "all 15 30000", "the ledger lost lines with the materials")
	y.clk.Set(time.Date(2037, 7, 1, 4, 0, 0, 0, yearLoc))
	y.runJob("privacy.purge")
	y.must(y.count(`SELECT COUNT(*) FROM aid_cases`) == 6, "%d cases after the archive period", y.count(`SELECT COUNT(*) FROM aid_cases`))
	y.must(y.ledgerBy(2027, func(store.AidLedgerRow) string { return "all" }) == "all 6 8800", "ledger after the archive period: %s",
		y.ledgerBy(2027, func(store.AidLedgerRow) string { return "all" }))
	var trail []string
	db.Select(y.ctx, &trail, `SELECT action FROM audit_log WHERE entity = 'retention' AND entity_id = 'aid_cases' ORDER BY id`)
	y.must(strings.Join(trail, ",") == "purge_materials,purge_records", "purge trail %v", trail)

	// Nothing sensitive went to a chat, into the audit trail or into a notice's preview.
	for _, m := range fake.Messages() {
		if m.ReceiveID == "oc_publicity" || strings.HasPrefix(m.ReceiveID, "oc_") {
			for _, s := range []string{"重病", "化疗", "异议属实", "孙老师"} {
				y.must(!strings.Contains(m.Content, s), "%q sent to %s", s, m.ReceiveID)
			}
		}
	}
	y.must(y.count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%重病%' OR detail LIKE '%化疗%' OR detail LIKE '%异议属实%'`) == 0, "sensitive text in the audit trail")
}
