package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/store"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// startIn runs an emulator on a data directory until the test ends.
func startIn(t *testing.T, dir string) *Emulator {
	t.Helper()
	ctx := context.Background()
	e, err := New(ctx, Options{Dir: dir, Addr: "127.0.0.1:0", Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx); err != nil {
		e.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

func start(t *testing.T) *Emulator { return startIn(t, t.TempDir()) }

func wait(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// post calls the page's API and decodes the answer.
func post(t *testing.T, e *Emulator, path string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.URL()+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s: %v: %s", path, err, data)
		}
	}
	return resp.StatusCode
}

type feedAnswer struct {
	Seq      int64   `json:"seq"`
	Clock    string  `json:"clock"`
	Messages []Entry `json:"messages"`
	Log      []Note  `json:"log"`
}

func getFeed(t *testing.T, e *Emulator, since int64) feedAnswer {
	t.Helper()
	resp, err := http.Get(e.URL() + "/api/feed?wait=5&since=" + itoa(since))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var f feedAnswer
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// awaitFeed follows /api/feed until a message satisfies ok, and returns it.
func awaitFeed(t *testing.T, e *Emulator, ok func(Entry) bool) Entry {
	t.Helper()
	var seq int64
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f := getFeed(t, e, seq)
		for _, m := range f.Messages {
			if ok(m) {
				return m
			}
		}
		seq = f.Seq
	}
	t.Fatal("no such message in the feed within 20 s")
	return Entry{}
}

func persona(t *testing.T, e *Emulator, no string) Persona {
	p, ok := e.persona(openIDOf(no))
	if !ok {
		t.Fatalf("no persona %s", no)
	}
	return p
}

func TestDemoPersonas(t *testing.T) {
	e := start(t)
	ps := e.Personas()
	if len(ps) != 40 {
		t.Fatalf("%d personas, want 40", len(ps))
	}
	branches := map[string]int{}
	roles := map[string]int{}
	for _, p := range ps {
		branches[p.Branch]++
		for _, r := range p.Roles {
			roles[r]++
		}
	}
	if len(branches) != 5 {
		t.Errorf("branches %v, want 5", branches)
	}
	for _, r := range []string{"admin", "chair", "officer", "committee", "branch_chair", "delegate", "dept_contact"} {
		if roles[r] == 0 {
			t.Errorf("no persona holds %s: %v", r, roles)
		}
	}
	if p := persona(t, e, "0101"); p.Name != "陈静" || p.Branch != "机关分工会" || strings.Join(p.RoleNames, ",") != "工会干事" {
		t.Errorf("0101 = %+v", p)
	}
	// The three activities were published to the union group.
	var cards []string
	for _, m := range e.Messages(ChatUnion) {
		cards = append(cards, m.Content)
	}
	for _, title := range []string{"春季健步走", "五一观影", "教职工拔河比赛"} {
		if !strings.Contains(strings.Join(cards, "\n"), title) {
			// the outbox may still be delivering: wait for it
			if _, err := e.WaitMessage(wait(t), ChatUnion, func(m Entry) bool { return strings.Contains(m.Content, title) }); err != nil {
				t.Errorf("no card for %s in the union group", title)
			}
		}
	}
}

func TestSendAsPersonaGetsTheBotsAnswer(t *testing.T) {
	e := start(t)
	p := persona(t, e, "0203")
	var sent struct {
		MessageID string `json:"message_id"`
		Error     string `json:"error"`
	}
	if code := post(t, e, "/api/send", SendRequest{As: p.OpenID, Chat: p.Chat, Text: "菜单"}, &sent); code != 200 {
		t.Fatalf("send: %d %s", code, sent.Error)
	}
	m := awaitFeed(t, e, func(m Entry) bool { return m.Chat == p.Chat && m.From == "bot" })
	if m.MsgType != "interactive" || m.ReplyTo != sent.MessageID || !strings.Contains(m.Content, "冯涛 · 会员、代表") {
		t.Errorf("answer = %+v", m)
	}
	// The raw JSON of the member's message is the event the bot received.
	var raw struct {
		Header struct {
			EventType string `json:"event_type"`
		} `json:"header"`
		Event struct {
			Message struct {
				ChatType string `json:"chat_type"`
			} `json:"message"`
		} `json:"event"`
	}
	mine, _ := e.feed.entry(sent.MessageID)
	if err := json.Unmarshal(mine.Raw, &raw); err != nil || raw.Header.EventType != "im.message.receive_v1" || raw.Event.Message.ChatType != "p2p" {
		t.Errorf("raw = %s", mine.Raw)
	}
	// In a group the page's message @-mentions the bot, and the bot answers there.
	if code := post(t, e, "/api/send", SendRequest{As: p.OpenID, Chat: ChatOfficers, Text: "菜单"}, &sent); code != 200 {
		t.Fatalf("send to group: %d %s", code, sent.Error)
	}
	awaitFeed(t, e, func(m Entry) bool { return m.Chat == ChatOfficers && m.From == "bot" && m.ReplyTo == sent.MessageID })
	// Someone else's chat is refused.
	other := persona(t, e, "0204")
	if code := post(t, e, "/api/send", SendRequest{As: p.OpenID, Chat: other.Chat, Text: "菜单"}, &sent); code != 400 || sent.Error == "" {
		t.Errorf("send into another's chat: %d %q", code, sent.Error)
	}
	// The log shows the bot's calls to the platform with their answers.
	f := getFeed(t, e, 0)
	var calls int
	for _, n := range f.Log {
		if n.Kind == "call" && n.Data["op"] == "reply" && strings.Contains(n.Data["answer"].(string), `"code":0`) {
			calls++
		}
	}
	if calls < 2 {
		t.Errorf("%d reply calls with their answers in the log", calls)
	}
	// The page saves the conversation as a transcript: each step with the bot's answers (the
	// refused send is no step).
	resp, err := http.Get(e.URL() + "/api/transcript")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr Transcript
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != 2 || tr.Steps[0].Kind != "send" || tr.Steps[0].As != "0203" || tr.Steps[0].Chat != "p2p" ||
		!slices.ContainsFunc(tr.Steps[0].Answer, func(a string) bool { return strings.HasPrefix(a, "p2p:0203 interactive") }) {
		t.Errorf("transcript = %+v", tr)
	}
}

func TestClickSignUpUpdatesTheGroupCard(t *testing.T) {
	e := start(t)
	card, err := e.WaitMessage(wait(t), ChatUnion, func(m Entry) bool { return strings.Contains(m.Content, "春季健步走") })
	if err != nil {
		t.Fatal(err)
	}
	value := buttonValue(t, card.Content, "报名")
	p := persona(t, e, "0305")
	var ans ActionAnswer
	if code := post(t, e, "/api/action", ActionRequest{As: p.OpenID, MessageID: card.ID, Tag: "button", Value: value}, &ans); code != 200 {
		t.Fatalf("action: %d", code)
	}
	if len(ans.Toast) == 0 && !ans.Replaced {
		t.Errorf("the click got neither a toast nor a card: %s", ans.Raw)
	}
	awaitFeed(t, e, func(m Entry) bool { return m.ID == card.ID && strings.Contains(m.Content, "剩余 29 / 30") })
}

// buttonValue finds the callback value of the button with a label in a card.
func buttonValue(t *testing.T, content, label string) map[string]any {
	t.Helper()
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["tag"] == "button" {
				if txt, _ := x["text"].(map[string]any); txt != nil && txt["content"] == label {
					for _, b := range x["behaviors"].([]any) {
						if b := b.(map[string]any); b["type"] == "callback" {
							found = b["value"].(map[string]any)
						}
					}
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var card any
	json.Unmarshal([]byte(content), &card)
	walk(card)
	if found == nil {
		t.Fatalf("no button %q in %s", label, content)
	}
	return found
}

func TestClockJumpSendsTheDueReminder(t *testing.T) {
	e := start(t)
	p := persona(t, e, "0101")
	var out struct {
		Clock string   `json:"clock"`
		Jobs  []JobRun `json:"jobs"`
		Error string   `json:"error"`
	}
	if code := post(t, e, "/api/clock", map[string]string{"to": "2024-04-25 09:15"}, &out); code != 200 {
		t.Fatalf("clock: %d %s", code, out.Error)
	}
	if !strings.HasPrefix(out.Clock, "2024-04-25T09:15") {
		t.Errorf("clock = %s", out.Clock)
	}
	if got := e.Main().DB.Now().In(DemoStart.Location()).Format("2006-01-02 15:04"); got != "2024-04-25 09:15" {
		t.Errorf("the store's clock = %s", got)
	}
	ran := map[string]bool{}
	for _, j := range out.Jobs {
		ran[j.Job] = j.Err == ""
	}
	if !ran["tasks.monthly"] {
		t.Errorf("tasks.monthly not run: %+v", out.Jobs)
	}
	m := awaitFeed(t, e, func(m Entry) bool { return m.Chat == p.Chat && strings.Contains(m.Content, "请更新实事进度") })
	if !strings.Contains(m.Content, "实事 1：建设省级模范教职工之家") {
		t.Errorf("reminder = %s", m.Content)
	}
	if code := post(t, e, "/api/clock", map[string]string{"to": "next tuesday"}, &out); code != 400 || out.Error == "" {
		t.Errorf("bad time: %d %q", code, out.Error)
	}
}

func TestRestartKeepsDataAndClock(t *testing.T) {
	dir := t.TempDir()
	e := startIn(t, dir)
	if _, err := e.SetClock(wait(t), time.Date(2024, 5, 6, 10, 0, 0, 0, DemoStart.Location())); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2, err := New(context.Background(), Options{Dir: dir, Addr: "127.0.0.1:0", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if n, _ := e2.Main().DB.CountMembers(context.Background()); n != 40 {
		t.Errorf("%d members after a restart, want 40 (no second import)", n)
	}
	if got := e2.clock.Now(); got.Before(time.Date(2024, 5, 6, 10, 0, 0, 0, DemoStart.Location())) || got.After(time.Date(2024, 5, 6, 11, 0, 0, 0, DemoStart.Location())) {
		t.Errorf("clock after a restart = %s", got)
	}
	e2.Close()
	e3, err := New(context.Background(), Options{Dir: dir, Reset: true, Addr: "127.0.0.1:0", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e3.Close()
	if got := e3.clock.Now(); got.Sub(DemoStart) > time.Minute {
		t.Errorf("clock after -reset = %s, want %s", got, DemoStart)
	}
}

func TestCheckLocalRefusesARealFeishu(t *testing.T) {
	c := config.Default()
	if err := CheckLocal(c); err == nil {
		t.Error("the default base URL (open.feishu.cn) was accepted")
	}
	c.Feishu.BaseURL = "http://127.0.0.1:1234"
	if err := CheckLocal(c); err != nil {
		t.Errorf("loopback refused: %v", err)
	}
	c.Feishu.BaseURL = "https://open.larksuite.com"
	if err := CheckLocal(c); err == nil {
		t.Error("open.larksuite.com accepted")
	}
	c.Feishu.BaseURL = "http://127.0.0.1:1234"
	c.Database.Driver = "mysql"
	if err := CheckLocal(c); err == nil {
		t.Error("mysql accepted")
	}
}

// The shipped sample roster is the demo's, and the shipped task file imports onto it, so that
// the README's import commands work on a fresh install.
func TestExamplesAgreeWithTheDemo(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "examples", "roster.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, DemoFile("roster.csv")) {
		t.Error("examples/roster.csv differs from emulator/demo/roster.csv")
	}
	if b, err := os.ReadFile(filepath.Join("..", "examples", "departments.yaml")); err != nil || !bytes.Equal(b, DemoFile("departments.yaml")) {
		t.Errorf("examples/departments.yaml differs from emulator/demo/departments.yaml (%v)", err)
	}
	e := start(t)
	f, err := os.Open(filepath.Join("..", "examples", "tasks-2024.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im := &tasks.Importer{DB: e.Main().DB, Loc: e.Main().Config.Location(), Actor: "test"}
	rep, err := im.ImportOpts(context.Background(), "tasks-2024.yaml", f, true)
	if err != nil {
		t.Fatalf("examples/tasks-2024.yaml on the demo roster: %v", err)
	}
	if len(rep.Skipped) != 3 { // the demo has the example's three tasks already
		t.Errorf("report: %s", rep)
	}
}

func TestPageIsServed(t *testing.T) {
	e := start(t)
	for _, path := range []string{"/", "/app.js", "/card.js", "/style.css"} {
		resp, err := http.Get(e.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) == 0 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		if path == "/" && !strings.Contains(string(b), "模拟环境") {
			t.Error("the page has no 模拟环境 banner")
		}
	}
}

// The fault switch: while the platform answers 5xx the bot's answer is refused (and shown in
// the chat with the code); once it is off the outbox's retry delivers it.
func TestFaultSwitch(t *testing.T) {
	e := start(t)
	p := persona(t, e, "0204")
	var out struct {
		Error string `json:"error"`
	}
	if code := post(t, e, "/api/faults", map[string]any{"mode": "5xx", "seconds": 60}, &out); code != 200 {
		t.Fatalf("faults: %d %s", code, out.Error)
	}
	if _, err := e.Send(wait(t), SendRequest{As: p.OpenID, Chat: p.Chat, Text: "菜单"}); err != nil {
		t.Fatal(err)
	}
	r := awaitFeed(t, e, func(m Entry) bool { return m.Chat == p.Chat && m.From == "platform" })
	if !strings.Contains(r.Content, `"code":1`) || !strings.Contains(r.Content, `"status":500`) {
		t.Errorf("refusal = %s", r.Content)
	}
	if code := post(t, e, "/api/faults", map[string]any{"mode": "off"}, &out); code != 200 {
		t.Fatalf("faults off: %d %s", code, out.Error)
	}
	awaitFeed(t, e, func(m Entry) bool { return m.Chat == p.Chat && m.From == "bot" })
	if code := post(t, e, "/api/faults", map[string]any{"mode": "flood"}, &out); code != 400 {
		t.Errorf("unknown fault: %d", code)
	}
}

// A card Feishu would refuse is refused by the emulator's platform with 230099 and shown in
// the chat; the emulator's platform knows only the demo members (230013 for anyone else).
func TestPlatformRulesShowInTheChat(t *testing.T) {
	e := start(t)
	p := persona(t, e, "0101")
	ctx := wait(t)
	_, err := e.Main().Lark.Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("open_id").
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId(p.OpenID).MsgType("interactive").
			Content(`{"schema":"2.0","body":{"elements":[{"tag":"form","name":"f","elements":[{"tag":"input","name":"a"}]}]}}`).Build()).Build())
	if err != nil {
		t.Fatal(err)
	}
	r := awaitFeed(t, e, func(m Entry) bool { return m.Chat == p.Chat && m.From == "platform" })
	if !strings.Contains(r.Content, `"code":230099`) || !strings.Contains(r.Content, "no submit button") {
		t.Errorf("refusal = %s", r.Content)
	}
	resp, err := e.Main().Lark.Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("open_id").
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId("ou_stranger").MsgType("text").Content(`{"text":"hi"}`).Build()).Build())
	if err != nil || resp.Code != 230013 {
		t.Errorf("a stranger: %v %+v", err, resp)
	}
}

// TestDemoProposals: the demo holds an open congress session and a proposal at every step,
// walked through the store's state machine (demo_proposals.go): a draft, one in co-signing,
// one submitted, one registered (a 重点提案), one assigned with a 协办 opinion, one answered and
// one rated and closed.
func TestDemoProposals(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	var states []string
	if err := e.main.DB.Select(ctx, &states, `SELECT state FROM proposals ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := []string{store.ProposalDraft, store.ProposalCosigning, store.ProposalSubmitted, store.ProposalRegistered,
		store.ProposalAssigned, store.ProposalReplied, store.ProposalClosed}
	if strings.Join(states, " ") != strings.Join(want, " ") {
		t.Errorf("demo proposals: %v, want %v", states, want)
	}
	var n struct {
		Open     int `db:"open"`
		Key      int `db:"key_count"`
		Opinions int `db:"opinions"`
		Ratings  int `db:"ratings"`
	}
	err := e.main.DB.Get(ctx, &n, `SELECT (SELECT COUNT(*) FROM proposal_sessions WHERE opens_at <= ? AND closes_at > ?) AS open,
		(SELECT COUNT(*) FROM proposals WHERE key_proposal = 1) AS key_count,
		(SELECT COUNT(*) FROM proposal_opinions) AS opinions, (SELECT COUNT(*) FROM proposal_ratings) AS ratings`,
		DemoStart.UTC(), DemoStart.UTC())
	if err != nil || n.Open != 1 || n.Key != 1 || n.Opinions != 1 || n.Ratings != 1 {
		t.Errorf("demo session and marks: %+v %v", n, err)
	}
}

// TestDemoAid: the demo's aid requests, one at each step, are seen by the personas of their
// step (帮扶审核 lists what waits for them, 我的申请 the applicant's own) and by no one else.
func TestDemoAid(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	var states []string
	if err := e.main.DB.Select(ctx, &states, `SELECT state FROM aid_cases ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := []string{store.AidBranchReview, store.AidUnionReview, store.AidApproval, store.AidReturned, store.AidClosed, store.AidApproved}
	if strings.Join(states, " ") != strings.Join(want, " ") {
		t.Errorf("demo aid: %v, want %v", states, want)
	}
	var sealed int
	if err := e.main.DB.Get(ctx, &sealed, `SELECT COUNT(*) FROM aid_cases WHERE details LIKE 'v2:%'`); err != nil || sealed != len(want) {
		t.Errorf("%d of %d demo cases sealed (%v)", sealed, len(want), err)
	}
	// The legal aid beside it: the duty lawyer, the slots' hours and three cases.
	var legal int
	if err := e.main.DB.Get(ctx, &legal, `SELECT COUNT(*) FROM legal_cases`); err != nil || legal != 3 {
		t.Errorf("%d legal-aid cases (%v), want 3", legal, err)
	}
	if p := persona(t, e, "0009"); strings.Join(p.Roles, ",") != store.RoleLawyer || len(e.main.Config.LegalAid.DutyHours) != 2 {
		t.Errorf("the duty lawyer: %+v, hours %v", p, e.main.Config.LegalAid.DutyHours)
	}
	// ask sends text 1:1 as the persona and returns the bot's answer.
	ask := func(no, text string) string {
		t.Helper()
		p := persona(t, e, no)
		var sent struct {
			MessageID string `json:"message_id"`
			Error     string `json:"error"`
		}
		if code := post(t, e, "/api/send", SendRequest{As: p.OpenID, Chat: p.Chat, Text: text}, &sent); code != 200 {
			t.Fatalf("send: %d %s", code, sent.Error)
		}
		return awaitFeed(t, e, func(m Entry) bool { return m.ReplyTo == sent.MessageID && m.From == "bot" }).Content
	}
	for _, c := range []struct {
		who, text string
		see, not  []string
	}{
		{"0201", "帮扶审核", []string{"何静怡"}, []string{"罗芳", "梁静", "邓佳"}}, // 信息工程学院's branch chair: 初审
		{"0301", "帮扶审核", nil, []string{"罗芳", "何静怡"}},                  // 商学院's: 罗芳's 初审 is done
		{"0101", "帮扶审核", []string{"罗芳", "沈浩"}, []string{"何静怡", "梁静"}}, // an officer: 审核 and 发放
		{"0105", "帮扶审核", []string{"梁静"}, []string{"罗芳", "何静怡"}},       // the 福利委员: 审批
		{"0002", "帮扶审核", []string{"梁静"}, []string{"何静怡"}},             // the chair: 审批
		{"0503", "我的申请", []string{"退回补充材料"}, nil},                     // returned to the applicant
		{"0206", "我的申请", []string{"已发放"}, nil},                        // paid
		{"0207", "我的申请", []string{"还没有帮扶申请"}, []string{"何静怡", "邓佳"}},  // someone else sees none
	} {
		got := ask(c.who, c.text)
		for _, s := range c.see {
			if !strings.Contains(got, s) {
				t.Errorf("%s %s: no %s in %s", c.who, c.text, s, got)
			}
		}
		for _, s := range c.not {
			if strings.Contains(got, s) {
				t.Errorf("%s %s: sees %s", c.who, c.text, s)
			}
		}
	}
}
