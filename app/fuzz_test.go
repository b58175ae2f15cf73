package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// The fuzz targets of the whole app: a chat message and a card callback, well signed and
// encrypted, reach every registered route (through the real webhook guard, SDK dispatcher and
// router, on SQLite). For every input: the webhook answers 200 (never a 500 to Feishu, which
// would redeliver), no handler panics, and no handler refuses after writing (the router rolls
// that back; a refusal leaves nothing written). `go test` runs the seeds (f.Add and
// testdata/fuzz/); `go test -fuzz FuzzChat ./app/` searches.

// fuzzRig is the app's routes on a fresh SQLite database, with an admin, a plain member and a
// little of every flow's data to act on.
type fuzzRig struct {
	chat    *handlertest.Chat
	actions []string
	w       *world
}

const fuzzAdmin = "ou_fuzz_admin"

func newFuzzRig(f *testing.F) *fuzzRig {
	db := storetest.Open(f, "sqlite")
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2027, 3, 10, 10, 0, 0, 0, loc)
	var routes *bot.Router
	chat := handlertest.New(f, db, handlertest.Options{Admins: []string{fuzzAdmin}, Loc: loc, Now: now, Deadline: 10 * time.Second,
		Config: &config.Config{}, IDPrefix: "om_fuzz_", Routes: func(r *bot.Router, d handlers.Deps) { routes = r; app.RegisterRoutes(r, d) }})
	rig := &fuzzRig{chat: chat, w: &world{t: f, chat: chat, ctx: context.Background(), loc: loc, now: now}}
	for _, a := range routes.Actions() {
		rig.actions = append(rig.actions, a.Name)
	}
	w := rig.w
	w.activity = w.newActivity(nil)
	w.confirmed = w.newActivity(func(a *store.Activity) { a.BranchConfirm = true; a.Title = "联谊会" })
	w.session = &store.ProposalSession{Name: "第四届第三次", Code: "4-3", CongressDate: "2027-04-15", MinCosigners: 0,
		OpensAt: now.Add(-240 * time.Hour), ClosesAt: now.Add(240 * time.Hour)}
	w.must(db.InTx(w.ctx, func(tx *store.Tx) error { return tx.CreateProposalSession(w.ctx, w.session, "test") }))
	chat.Member(handlertest.Person{OpenID: fuzzAdmin, Name: "管理员", EmployeeNo: "F0001", Branch: "甲分工会"})
	m := w.member(store.RoleDelegate)
	w.signUp(w.activity, m)
	w.task(m)
	w.proposal(m)
	return rig
}

// check fails the input when the webhook did not answer 200 or a handler panicked or refused
// after writing while it was handled.
func (r *fuzzRig) check(t *testing.T, status int, body []byte, err error, before [2]float64) {
	t.Helper()
	rigCheck(t, r.chat, status, body, err, before)
}

func (r *fuzzRig) counters() [2]float64 {
	return [2]float64{r.chat.Outcomes("panic"), r.chat.Outcomes("refused_after_write")}
}

var fuzzSeq int

// FuzzChat sends a message's text, as an admin or as a plain member, 1:1.
func FuzzChat(f *testing.F) {
	for _, s := range []string{"菜单", "help", "我的信息", "授权 成员1 代表", "撤销 成员1 管理员", "角色", "发送失败", "节假日 2027",
		"节假日导入 2027-01-01 休 元旦 2027-02-14 班", "活动", "我的报名", "名单 1", "名单 #1", "组队 羽毛球", "分工会报名 1", "待确认",
		"签到 1", "签到情况 1", "抽签 1", "抽签核验 1", "新建活动", "活动管理", "导出 1", "导出 99999999999999999999", "实事 2027",
		"实事 -1", "新建实事", "新建提案", "我的提案", "提案 关于", "提案列表 4-3", "提案审查", "提案统计 第四届第三次",
		"退订活动提醒", "/help", "", " ", "\x00\x1b[31m\u202e", "名单 " + string(bytes.Repeat([]byte("长"), 9000))} {
		f.Add(s, true)
		f.Add(s, false)
	}
	rig := newFuzzRig(f)
	member := rig.w.member("").OpenID
	f.Fuzz(func(t *testing.T, text string, admin bool) {
		sender := member
		if admin {
			sender = fuzzAdmin
		}
		fuzzSeq++
		before := rig.counters()
		status, body, err := rig.chat.WH.Send(context.Background(), feishutest.MessageEvent(feishutest.MessageOpts{
			MessageID: fmt.Sprintf("om_fuzzchat_%d", fuzzSeq), SenderOpenID: sender, Text: text, Token: handlertest.Token}))
		rig.check(t, status, body, err, before)
	})
}

// FuzzCardAction sends a card callback to one of the registered actions (chosen by index),
// with the button's value and the form's values as raw JSON: strings where numbers are
// expected, nulls, nesting, huge numbers, arrays, and no action at all.
func FuzzCardAction(f *testing.F) {
	seeds := []struct {
		action      uint16
		value, form string
	}{
		{0, `{}`, ``},
		{1, `{"activity_id": 1, "version": 1, "item_id": 0}`, `{}`},
		{2, `{"activity_id": "1", "version": "1"}`, `{"title": "t"}`},
		{3, `{"activity_id": null, "version": null}`, `{"title": null}`},
		{4, `{"activity_id": 1e308, "version": -1e308}`, `{"capacity": 1e400}`},
		{5, `{"activity_id": 123456789012345678901234567890}`, `{"progress": "100%"}`},
		{6, `{"activity_id": {"a": [1, {"b": null}]}}`, `{"invitees": [[["ou_x"]]]}`},
		{7, `{"task_id": 1, "version": 1}`, `{"progress": "50", "note": "x", "milestone": "abc"}`},
		{8, `{"proposal_id": 1, "version": 1}`, `{"title": "关于改善食堂的建议", "category": "其他", "reason": "理由理由理由理由理由理由", "suggestion": "建议建议建议建议建议建议", "invitees": ["ou_fuzz_admin", 3, null]}`},
		{9, `{"proposal_id": 1, "round": 1}`, `{"rating": "满意", "comment": ""}`},
		{10, `{"entry_id": 1, "approve": "true"}`, ``},
		{11, `{"team_id": 1}`, `{"members": ["ou_fuzz_admin"]}`},
		{12, `{"invite_id": 1, "accept": 1}`, ``},
		{13, `{"ext_id": 1, "approve": true}`, `{"note": "\u0000\u202e"}`},
		{14, `{"year": 2027}`, `{"title": "新任务", "deadline": "2027-13-45", "number": "9999999999999999999"}`},
		{15, `{"activity_id": 1, "version": 1}`, `{"title": "活动", "kind": "sport", "starts_date": "2027-04-01", "starts_time": "25:61", "capacity": "-5", "items": "男单 16\n混双 8 2-2 女1"}`},
		{16, `[1, 2, 3]`, `[]`},
		{17, `"a string"`, `"x"`},
		{18, `null`, `null`},
		{19, `{"action": 7}`, ``},
	}
	for _, s := range seeds {
		f.Add(s.action, []byte(s.value), []byte(s.form), true)
		f.Add(s.action, []byte(s.value), []byte(s.form), false)
	}
	rig := newFuzzRig(f)
	member := rig.w.member("").OpenID
	f.Fuzz(func(t *testing.T, action uint16, value, form []byte, admin bool) {
		sender := member
		if admin {
			sender = fuzzAdmin
		}
		name := rig.actions[int(action)%len(rig.actions)]
		payload := cardPayload(name, sender, value, form)
		before := rig.counters()
		status, body, err := rig.chat.WH.Send(context.Background(), payload)
		rig.check(t, status, body, err, before)
		var answer map[string]any
		if err := json.Unmarshal(body, &answer); err != nil {
			t.Fatalf("the answer is not JSON: %s", body)
		}
	})
}

// FuzzWebhook posts arbitrary bodies and headers to the webhook guard: unsigned, signed with
// the right key, and signed and encrypted with the right keys. An unsigned or wrongly signed
// request is refused (4xx) and reaches no handler; a well-signed one is never answered 500.
func FuzzWebhook(f *testing.F) {
	event := feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_seed", SenderOpenID: fuzzAdmin, Text: "菜单", Token: handlertest.Token})
	card := feishutest.CardActionEvent(feishutest.CardOpts{OperatorOpenID: fuzzAdmin, Value: map[string]any{"action": "menu.show"}, Token: handlertest.Token})
	for _, b := range [][]byte{event, card, []byte(`{}`), []byte(`{"encrypt": ""}`), []byte(`{"encrypt": "AAAA"}`), []byte(`null`),
		[]byte(`{"type": "url_verification", "token": "vt_handlertest", "challenge": "x"}`),
		[]byte(`{"schema": "2.0", "header": {"event_type": "im.chat.member.bot.added_v1", "token": "vt_handlertest", "event_id": "e1"}, "event": {}}`),
		[]byte(`{"schema": "2.0", "header": {"event_type": "card.action.trigger", "token": "vt_handlertest", "event_id": "e2"}, "event": {"action": {"value": "x"}}}`),
		[]byte(`{"schema": "2.0", "header": {"event_type": "card.action.trigger", "token": "vt_handlertest", "event_id": "e3"}, "event": {"action": {"form_value": "x"}}}`),
		[]byte(`{"schema": "2.0", "header": {"event_type": "im.message.receive_v1", "token": "vt_handlertest", "event_id": "e4"}, "event": {"message": {"content": 5}}}`),
	} {
		for mode := uint8(0); mode < 3; mode++ {
			f.Add(b, mode, "", "")
		}
	}
	f.Add([]byte(`{"encrypt": "x"}`), uint8(0), "1700000000", "sig")
	rig := newFuzzRig(f)
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, timestamp, signature string) {
		// Headers an HTTP client cannot send (control characters) never reach the server.
		timestamp, signature = sendable(timestamp), sendable(signature)
		var opts []feishutest.SendOption
		switch mode % 3 {
		case 0: // as sent, with the given headers: unsigned or forged
			opts = append(opts, feishutest.WithRawBody(body), feishutest.WithoutSignature())
			if signature != "" {
				opts = append(opts, feishutest.WithHeader("X-Lark-Signature", signature))
			}
			if timestamp != "" {
				opts = append(opts, feishutest.WithHeader("X-Lark-Request-Timestamp", timestamp))
			}
		case 1: // signed with the Encrypt Key, not encrypted
			opts = append(opts, feishutest.WithRawBody(body))
		case 2: // encrypted and signed, as Feishu sends
		}
		before := rig.counters()
		status, resp, err := rig.chat.WH.Send(context.Background(), body, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if mode%3 == 0 && status == http.StatusOK {
			var v map[string]any
			// Only the url_verification challenge needs no signature, and it is encrypted.
			if json.Unmarshal(resp, &v) != nil || v["challenge"] == nil {
				t.Fatalf("an unsigned request was answered 200: %s", resp)
			}
		}
		if status >= 500 {
			t.Fatalf("webhook answered %d: %s", status, resp)
		}
		if n := rig.chat.Outcomes("panic"); n != before[0] {
			t.Fatalf("a handler panicked")
		}
	})
}

// sendable drops a header value with characters HTTP does not allow in one.
func sendable(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return ""
		}
	}
	return v
}
