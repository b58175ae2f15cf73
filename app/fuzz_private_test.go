package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// privateRig is the app's routes with a data key (so that the aid and legal-aid forms get past
// it to their fields), an applicant who has consented to both, an aid case at each step of its
// chain, an open legal-aid case, and a member for each role that acts on them.
type privateRig struct {
	chat    *handlertest.Chat
	w       *world
	actions []string // the aid, legal-aid and privacy actions, by name
	actors  []string // open ids: the applicant, a member of nothing, then one per role
}

func newPrivateRig(f *testing.F) *privateRig {
	db := storetest.Open(f, "sqlite")
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2027, 3, 10, 10, 0, 0, 0, loc)
	cfg := config.Default()
	cfg.Security.DataKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	cfg.Aid.PublicityChat = "oc_publicity"
	cfg.LegalAid.DutyHours = []string{"WED 14:00-16:00"}
	cfg.LegalAid.SchoolNames = []string{"示范大学"}
	var routes *bot.Router
	chat := handlertest.New(f, db, handlertest.Options{Admins: []string{fuzzAdmin}, Loc: loc, Now: now, Deadline: 10 * time.Second,
		Config: cfg, IDPrefix: "om_fuzzpriv_", Routes: func(r *bot.Router, d handlers.Deps) { routes = r; app.RegisterRoutes(r, d) }})
	r := &privateRig{chat: chat, w: &world{t: f, chat: chat, ctx: context.Background(), loc: loc, now: now}}
	for _, a := range routes.Actions() {
		if strings.HasPrefix(a.Name, "aid.") || strings.HasPrefix(a.Name, "legal.") || strings.HasPrefix(a.Name, "privacy.") {
			r.actions = append(r.actions, a.Name)
		}
	}
	w := r.w
	w.must(db.InTx(w.ctx, func(tx *store.Tx) error {
		var err error
		if w.units[0], err = tx.EnsureBranch(w.ctx, "甲分工会"); err != nil {
			return err
		}
		w.units[1], err = tx.EnsureBranch(w.ctx, "乙分工会")
		return err
	}))
	chat.Member(handlertest.Person{OpenID: fuzzAdmin, Name: "管理员", EmployeeNo: "F0001", Branch: "甲分工会"})
	applicant := w.member("")
	r.actors = []string{applicant.OpenID, w.member("").OpenID, fuzzAdmin}
	for _, role := range []string{store.RoleBranchChair, store.RoleOfficer, store.RoleChair, store.RoleWelfare,
		store.RoleLegalOfficer, store.RoleLawyer} {
		r.actors = append(r.actors, w.member(role).OpenID)
	}
	// The applicant consents to both purposes and saves an aid draft (case 1); cases 2 and 3
	// wait for the 分工会 and for approval; legal-aid case 1 is open.
	for _, v := range []map[string]any{{"action": "aid.consent", "purpose": "aid", "version": 1},
		{"action": "legal.consent", "purpose": "legal", "version": 1}} {
		if a := chat.Answer(applicant.OpenID, v, nil); a.Toast.Type == "error" || a.Toast.Type == "warning" {
			f.Fatalf("consent %v: %s", v, a.Toast.Content)
		}
	}
	if a := chat.Answer(applicant.OpenID, map[string]any{"action": "aid.save", "kind": "medical", "case_id": 0, "version": 0},
		map[string]any{"text": "胃部手术住院十天，自付一万二", "requested": "2500"}); !strings.Contains(a.Toast.Content, "已保存") {
		f.Fatalf("aid draft: %s", a.Toast.Content)
	}
	aidEvent("", store.AidStepSubmit)(w, cell{}, nil, applicant)
	aidEvent("", store.AidStepSubmit, store.AidStepBranchPass, store.AidStepUnionPass)(w, cell{}, nil, applicant)
	legalEvent("")(w, cell{}, nil, applicant)
	return r
}

// writes counts what a refusal must leave as it was.
func (r *privateRig) writes(t *testing.T) string {
	var out []string
	for _, q := range []string{`SELECT COUNT(*) FROM aid_cases`, `SELECT COALESCE(SUM(version), 0) FROM aid_cases`,
		`SELECT COUNT(*) FROM aid_materials`, `SELECT COUNT(*) FROM aid_family_claims`, `SELECT COUNT(*) FROM aid_objections`,
		`SELECT COUNT(*) FROM consents`, `SELECT COUNT(*) FROM consents WHERE withdrawn_at IS NOT NULL`,
		`SELECT COUNT(*) FROM legal_cases`, `SELECT COALESCE(SUM(version), 0) FROM legal_cases`, `SELECT COUNT(*) FROM legal_bookings`,
		`SELECT COUNT(*) FROM audit_log`, `SELECT COUNT(*) FROM outbox`} {
		var n int
		if err := r.chat.DB.Get(context.Background(), &n, q); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(n))
	}
	return strings.Join(out, " ")
}

// goText are fragments of Go's own error texts, which a refusal must never show.
var goText = []string{"strconv", "json:", "unmarshal", "invalid syntax", "<nil>", "%!", "sql:", "store:", "runtime error",
	"interface {", "map[", "[]", "0x", "parsing time", "out of range", "EOF"}

// FuzzPrivateForms sends the aid, legal-aid and privacy card actions (chosen by index) with any
// button value and form, as the applicant, a member of nothing, an admin or a holder of each
// role of the aid chain and of legal aid, on a rig with a data key and cases at each step.
// Asserted: 200 with a JSON answer, no panic, no refusal after a write; a refusal (a warning or
// error toast) is worded for people (Chinese, none of Go's error texts that the input did not
// carry) and leaves every aid, legal-aid, consent, audit and outbox row as it was.
func FuzzPrivateForms(f *testing.F) {
	r := newPrivateRig(f)
	index := map[string]uint16{}
	for i, a := range r.actions {
		index[a] = uint16(i)
	}
	seeds := []struct {
		action      string
		who         uint8
		value, form string
	}{
		{"aid.form", 0, `{"kind": "medical"}`, ``},
		{"aid.form", 0, `{"kind": "no-such-kind"}`, ``},
		{"aid.form", 0, `{"case_id": 1}`, ``},
		{"aid.save", 0, `{"kind": "medical", "case_id": 0, "version": 0}`, `{"text": "住院治疗，自付较多", "requested": "2500"}`},
		{"aid.save", 0, `{"kind": "medical", "case_id": 1, "version": 2}`, `{"text": "改", "requested": "-1"}`},
		{"aid.save", 0, `{"kind": "critical", "case_id": 0, "version": 0}`, `{"text": "大病", "self_paid": "1e400", "publicity": "yes"}`},
		{"aid.save", 0, `{"kind": "medical", "case_id": "1", "version": "x"}`, `{"text": null, "requested": ["1", 2]}`},
		{"aid.save", 0, `{"kind": {"a": 1}, "case_id": 1e308}`, `{"text": "\u0000\u202e", "requested": "９９９９９９９９９９９９"}`},
		{"aid.submit", 0, `{"case_id": 1, "version": 1}`, ``},
		{"aid.withdraw", 0, `{"case_id": 1, "version": 1}`, ``},
		{"aid.show", 3, `{"case_id": 2}`, ``},
		{"aid.pass", 3, `{"case_id": 2, "version": 2}`, `{"note": ""}`},
		{"aid.return", 3, `{"case_id": 2, "version": 2}`, `{"note": "请补充诊断证明"}`},
		{"aid.reject", 3, `{"case_id": 2, "version": 2}`, `{"note": null}`},
		{"aid.approve", 5, `{"case_id": 3, "version": 4}`, `{"amount": "100"}`},
		{"aid.approve", 5, `{"case_id": 3, "version": 4}`, `{"amount": "-0.001"}`},
		{"aid.approve", 5, `{"case_id": 3, "version": 4}`, `{"amount": 123456789012345678901234567890}`},
		{"aid.pay", 4, `{"case_id": 3, "version": 4}`, `{"paid_on": "2027-02-30", "voucher": "V001"}`},
		{"aid.pay", 4, `{"case_id": 3, "version": 4}`, `{"paid_on": "1700000000000", "voucher": ""}`},
		{"aid.revoke", 4, `{"case_id": 3, "version": 4}`, `{"note": "公示期间收到异议"}`},
		{"aid.object", 1, `{"case_id": 3}`, `{"reason": "不属实"}`},
		{"aid.emergent", 4, `{}`, `{"employee_no": "A00002", "kind": "warmth", "amount": "500", "note": "送温暖"}`},
		{"aid.emergent", 4, `{}`, `{"employee_no": "", "kind": "nope", "amount": "abc", "note": ""}`},
		{"aid.behalf", 4, `{}`, `{"employee_no": "A00002", "kind": "hardship"}`},
		{"aid.behalf", 4, `{"employee_no": "A00002", "kind": "medical"}`, ``},
		{"aid.ledger", 5, `{"year": 2027}`, ``},
		{"aid.ledger", 5, `{"year": -99999999999}`, ``}, // once sent a ledger of that year
		{"aid.material", 3, `{"case_id": 2, "material_id": 1}`, ``},
		{"aid.consent", 1, `{"purpose": "aid", "version": 1}`, ``},
		{"aid.pub_consent", 0, `{"purpose": "aid_publicity", "version": 1, "case_id": 1}`, ``},
		{"legal.new", 0, `{}`, ``},
		{"legal.submit", 0, `{}`, `{"category": "劳动合同", "urgent": "normal", "facts": "被拖欠工资三个月", "other_party": "某公司", "dispute_date": "2027-01-15"}`},
		{"legal.submit", 0, `{}`, `{"category": "不存在", "urgent": "soon", "facts": "", "other_party": null, "dispute_date": "2027-13-45"}`},
		{"legal.submit", 0, `{}`, `{"category": ["劳动合同"], "facts": 5, "dispute_date": "3000-01-01"}`},
		{"legal.show", 7, `{"case_id": 1}`, ``},
		{"legal.slots", 0, `{"case_id": 1, "version": 1}`, ``},
		{"legal.book", 0, `{"case_id": 1, "version": 1, "start": 1804572000}`, ``},
		{"legal.book", 0, `{"case_id": 1, "version": 1, "start": -1}`, ``},
		{"legal.cancel", 0, `{"case_id": 1, "version": 1}`, ``},
		{"legal.withdraw", 0, `{"case_id": 1, "version": 1}`, ``},
		{"legal.close", 7, `{"case_id": 1, "version": 1}`, `{"note": "已提供咨询意见"}`},
		{"legal.close", 7, `{"case_id": 1, "version": 1}`, `{"note": ""}`},
		{"legal.list", 8, `{}`, ``},
		{"privacy.withdraw", 0, `{"purpose": "aid"}`, ``},
		{"privacy.withdraw", 0, `{"purpose": "nothing"}`, ``},
	}
	for _, s := range seeds {
		i, ok := index[s.action]
		if !ok {
			continue // renamed: the other seeds still run
		}
		f.Add(i, s.who, []byte(s.value), []byte(s.form))
	}
	f.Fuzz(func(t *testing.T, action uint16, who uint8, value, form []byte) {
		name := r.actions[int(action)%len(r.actions)]
		sender := r.actors[int(who)%len(r.actors)]
		payload := cardPayload(name, sender, value, form)
		before, counts := [2]float64{r.chat.Outcomes("panic"), r.chat.Outcomes("refused_after_write")}, r.writes(t)
		status, body, err := r.chat.WH.Send(context.Background(), payload)
		rigCheck(t, r.chat, status, body, err, before)
		var answer struct {
			Toast *struct{ Type, Content string } `json:"toast"`
		}
		if err := json.Unmarshal(body, &answer); err != nil {
			t.Fatalf("the answer is not JSON: %s", body)
		}
		if answer.Toast == nil || answer.Toast.Type != "warning" && answer.Toast.Type != "error" {
			return
		}
		text := answer.Toast.Content
		if !strings.ContainsFunc(text, func(c rune) bool { return unicode.Is(unicode.Han, c) }) {
			t.Fatalf("%s refused with %q: not worded for people", name, text)
		}
		for _, g := range goText {
			if strings.Contains(text, g) && !bytes.Contains(value, []byte(g)) && !bytes.Contains(form, []byte(g)) {
				t.Fatalf("%s refused with %q: Go's error text (%q)", name, text, g)
			}
		}
		if after := r.writes(t); after != counts {
			t.Fatalf("%s refused with %q, but wrote: %s → %s", name, text, counts, after)
		}
	})
}

// cardPayload is a signed card callback of action name by sender, with the button's value and
// the form's values as raw JSON: an object value gets the action first (a later "action" key in
// the input wins, as in any JSON object with a repeated key); a value that is not JSON is kept
// as a string under "raw"; one that is JSON but not an object is sent as it is (a stale or
// forged card); a form that is JSON is sent as it is.
func cardPayload(name, sender string, value, form []byte) []byte {
	const formMark = `"__form_placeholder__"`
	opts := feishutest.CardOpts{OperatorOpenID: sender, Token: handlertest.Token}
	v := bytes.TrimSpace(value)
	switch {
	case !json.Valid(v):
		opts.Value = map[string]any{"action": name, "raw": string(value)}
	case len(v) >= 2 && v[0] == '{':
		inner := bytes.TrimSpace(v[1 : len(v)-1])
		raw := []byte(fmt.Sprintf(`{"action":%q`, name))
		if len(inner) > 0 {
			raw = append(append(raw, ','), inner...)
		}
		opts.Value = json.RawMessage(append(raw, '}'))
	default:
		opts.Value = json.RawMessage(v)
	}
	fv := bytes.TrimSpace(form)
	if len(fv) > 0 && json.Valid(fv) {
		opts.FormValue = map[string]any{"x": "__form_placeholder__"}
	}
	payload := feishutest.CardActionEvent(opts)
	if opts.FormValue != nil {
		payload = bytes.Replace(payload, []byte(`{"x":`+formMark+`}`), fv, 1)
	}
	return payload
}

// rigCheck fails the input when the webhook did not answer 200, or a handler panicked or
// refused after writing while it was handled.
func rigCheck(t *testing.T, chat *handlertest.Chat, status int, body []byte, err error, before [2]float64) {
	t.Helper()
	if err != nil || status != 200 {
		t.Fatalf("webhook answered %d (%v): %s", status, err, body)
	}
	if chat.Outcomes("panic") != before[0] {
		t.Fatalf("a handler panicked")
	}
	if chat.Outcomes("refused_after_write") != before[1] {
		t.Fatalf("a handler refused after writing")
	}
}
