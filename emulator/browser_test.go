package emulator

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// The browser test drives the page in headless Chromium (Debian's chromium package; .ci/run
// installs it). In CI (CI=true) a missing or broken Chromium fails the test; elsewhere it is
// skipped with a message. Screenshots go to testdata/out (ignored by git); with
// UNIONBOT_UPDATE_DOCS=1 the sign-up screenshot is copied to docs/emulator.png.

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts headless Chromium with a fresh profile and returns a tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	inCI := os.Getenv("CI") == "true"
	path := chromiumPath()
	if path == "" {
		if inCI {
			t.Fatal("Chromium is not installed (CI=true: the browser test must run; .ci/run installs the chromium package)")
		}
		t.Skip("Chromium is not installed: the browser test is skipped (apt-get install chromium to run it)")
	}
	// A fresh profile, removed once Chromium has exited (Chromium may still be writing to it
	// when t.TempDir's cleanup would run).
	profile, err := os.MkdirTemp("", "emulator-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1440, 960),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTab()
		cancelAlloc()
		os.RemoveAll(profile)
	})
	if err := chromedp.Run(ctx); err != nil {
		if inCI {
			t.Fatalf("Chromium (%s) does not start: %v", path, err)
		}
		t.Skipf("Chromium (%s) does not start: %v; the browser test is skipped", path, err)
	}
	return ctx
}

// page wraps a tab with the steps the test takes, each failing the test on error.
type page struct {
	t   *testing.T
	ctx context.Context
	out string
}

func (p *page) run(what string, actions ...chromedp.Action) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		p.shot("failed")
		p.t.Fatalf("%s: %v", what, err)
	}
}

// until waits for a JavaScript condition on the page.
func (p *page) until(what, js string) {
	p.t.Helper()
	p.run(what, chromedp.Poll(js, nil, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
}

func (p *page) shot(name string) string {
	var buf []byte
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&buf)); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(p.out, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
	}
	return path
}

// js quotes a Go string for JavaScript.
func js(s string) string { return fmt.Sprintf("%q", s) }

// msgWith is a JavaScript expression: the last message in the open chat whose text has all
// the given strings.
func msgWith(texts ...string) string {
	conds := make([]string, len(texts))
	for i, s := range texts {
		conds[i] = "m.innerText.includes(" + js(s) + ")"
	}
	return "[...document.querySelectorAll('#messages .msg')].filter(m => " + strings.Join(conds, " && ") + ").pop()"
}

// mark sets data-test="target" on the element a JavaScript expression finds, for a real click.
func (p *page) mark(what, expr string) {
	p.t.Helper()
	p.run("mark "+what, chromedp.Evaluate(`document.querySelectorAll('[data-test]').forEach(e => e.removeAttribute('data-test'));
		(() => { const e = `+expr+`; if (!e) throw new Error("not found"); e.setAttribute('data-test', 'target'); return true; })()`, nil))
}

// clickButton clicks the button labelled label on the last message containing text.
func (p *page) clickButton(text, label string) {
	p.t.Helper()
	p.until("a message with "+text+" and a button "+label, "(() => { const m = "+msgWith(text)+"; return !!m && [...m.querySelectorAll('button.btn')].some(b => b.textContent === "+js(label)+"); })()")
	p.mark(label, "[...("+msgWith(text)+").querySelectorAll('button.btn')].find(b => b.textContent === "+js(label)+")")
	p.run("click "+label, chromedp.Click(`[data-test="target"]`, chromedp.ByQuery))
}

func (p *page) as(no, chat string) {
	p.t.Helper()
	p.run("persona "+no, chromedp.Evaluate(`(() => { const s = document.querySelector('#persona');
		s.value = `+js(openIDOf(no))+`; s.dispatchEvent(new Event('change')); return true; })()`, nil))
	if chat != "" {
		p.run("open chat "+chat, chromedp.Click(`.conv[data-chat="`+chat+`"]`, chromedp.ByQuery))
	}
}

func (p *page) say(text string) {
	p.t.Helper()
	p.run("say "+text, chromedp.SendKeys("#text", text, chromedp.ByQuery), chromedp.Click("#send", chromedp.ByQuery))
}

func TestBrowser(t *testing.T) {
	ctx := browser(t)
	e := start(t)
	out := filepath.Join("testdata", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, out: out}

	// A member opens the page and asks for the menu in the 1:1 chat.
	p.run("load", chromedp.Navigate(e.URL()+"/?as=0203"), chromedp.WaitVisible(`body[data-ready="1"]`, chromedp.ByQuery))
	p.until("the banner", `document.querySelector('#banner').innerText.includes('模拟环境') && /2024-04-08 09:0\d/.test(document.querySelector('#clock').innerText)`)
	p.say("菜单")
	p.until("the menu card", "!!"+msgWith("工会助手", "冯涛 · 会员、代表", "我的信息"))
	p.shot("1-menu")
	// A button on the answer: the bot answers the click.
	p.clickButton("冯涛 · 会员、代表", "我的信息")
	// The bot answers the click with the profile card, which replaces the menu in place.
	p.until("the profile", "!!"+msgWith("0203", "已更新")+" && !"+msgWith("冯涛 · 会员、代表"))
	p.shot("2-profile")

	// An officer fills and submits the 新建活动 form.
	p.as("0101", "")
	p.say("新建活动")
	p.until("the form", "!!document.querySelector('#messages .card-form input[name=title]')")
	p.run("fill the form",
		chromedp.SendKeys(`#messages .card-form input[name=title]`, "教职工羽毛球友谊赛", chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const set = (n, v) => { document.querySelector('#messages .card-form [name='+n+']').value = v; };
			set('starts_at', '2024-05-18T14:00'); set('ends_at', '2024-05-18T17:00');
			set('signup_opens', '2024-04-08T10:00'); set('signup_closes', '2024-05-15T18:00');
			set('capacity', '32'); return true; })()`, nil))
	p.shot("3-form")
	p.clickButton("活动名称", "保存并预览")
	p.until("the preview", "!!"+msgWith("教职工羽毛球友谊赛", "发布"))
	p.shot("4-preview")

	// Another member signs up in the union group; the group card's seats change.
	p.as("0305", ChatUnion)
	p.until("the group card", "!!"+msgWith("春季健步走", "剩余 30 / 30"))
	p.clickButton("春季健步走", "报名")
	p.until("the seats", "!!"+msgWith("春季健步走", "剩余 29 / 30"))
	p.run("scroll to the card", chromedp.Evaluate(`(`+msgWith("春季健步走")+`).scrollIntoView({block: 'center'}); true`, nil))
	signup := p.shot("5-signup")

	// The officer jumps the clock past the monthly reminder and sees it arrive.
	p.as("0101", feishutest.P2PChatID(openIDOf("0101")))
	p.run("jump", chromedp.SendKeys("#clock-input", "2024-04-25 09:15", chromedp.ByQuery), chromedp.Click("#clock-go", chromedp.ByQuery))
	p.until("the clock", `document.querySelector('#clock').innerText.startsWith('2024-04-25 09:1')`)
	p.until("the reminder", "!!"+msgWith("请更新实事进度", "建设省级模范教职工之家"))
	p.shot("6-reminder")

	// Every card of the bot's golden files renders without an element the page does not know.
	goldens, _ := filepath.Glob(filepath.Join("..", "*", "*", "testdata", "*.golden.json"))
	more, _ := filepath.Glob(filepath.Join("..", "*", "testdata", "*.golden.json"))
	goldens = append(goldens, more...)
	if len(goldens) < 10 {
		t.Fatalf("only %d golden cards found", len(goldens))
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var unknown []string
		p.run("render "+g, chromedp.Evaluate(`[...Card.render("interactive", `+js(string(b))+`, {act() {}, people: [], names() { return null; }})
			.querySelectorAll(".unknown")].map(e => e.textContent)`, &unknown))
		if len(unknown) > 0 {
			t.Errorf("%s: the page cannot show %v", g, unknown)
		}
	}

	if os.Getenv("UNIONBOT_UPDATE_DOCS") == "1" && signup != "" {
		b, err := os.ReadFile(signup)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "emulator.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
