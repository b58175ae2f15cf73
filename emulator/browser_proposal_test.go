package emulator

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// fill sets a form field (input, textarea or select, by name) on the last message containing
// text; for a multiple select, value is a JavaScript array of the values to select.
func (p *page) fill(text, name, value string) {
	p.t.Helper()
	p.until("a field "+name+" on "+text, "(() => { const m = "+msgWith(text)+"; return !!m && !!m.querySelector('[name="+name+"]'); })()")
	p.run("fill "+name, chromedp.Evaluate(`(() => { const f = (`+msgWith(text)+`).querySelector('[name=`+name+`]');
		const v = `+value+`;
		if (Array.isArray(v)) { for (const o of f.options) o.selected = v.includes(o.value); } else { f.value = v; }
		f.dispatchEvent(new Event('input')); f.dispatchEvent(new Event('change')); return true; })()`, nil))
}

// show scrolls the last message containing text into view, its end at the bottom.
func (p *page) show(text string) {
	p.t.Helper()
	p.run("scroll to "+text, chromedp.Evaluate(`(`+msgWith(text)+`).scrollIntoView({block: 'end'}); true`, nil))
}

// p2p opens the 1:1 chat of the demo member with a 工号, as that member.
func (p *page) p2p(no string) { p.as(no, feishutest.P2PChatID(openIDOf(no))) }

// TestBrowserProposal walks one proposal through the page from the draft to the rating,
// switching personas: a delegate drafts it and invites two delegates, who 附议 from their own
// cards; the delegate submits it; a 提案委员 registers and assigns it (主办 教务处, 协办 后勤处);
// the 协办 contact sends an opinion; the 主办 contact answers; the delegate rates the answer.
// Each step is asserted on the page's DOM, and each card is screenshot.
func TestBrowserProposal(t *testing.T) {
	ctx := browser(t)
	e := start(t)
	out := filepath.Join("testdata", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, out: out}
	const title = "增设教职工子女暑期托管班"

	// 冯涛 (代表) drafts the proposal.
	p.run("load", chromedp.Navigate(e.URL()+"/?as=0203"), chromedp.WaitVisible(`body[data-ready="1"]`, chromedp.ByQuery))
	p.say("新建提案")
	p.until("the form", "!!"+msgWith("新建提案", "一事一案"))
	p.fill("一事一案", "title", js(title))
	p.fill("一事一案", "category", js("后勤保障"))
	p.fill("一事一案", "reason", js("暑期教职工子女无人照看，影响教职工安心工作，兄弟院校已有先例。"))
	p.fill("一事一案", "suggestion", js("由工会牵头、后勤处配合，在暑期开设托管班，费用合理分担。"))
	p.fill("一事一案", "departments", js("后勤处、教务处"))
	p.shot("p1-form")
	p.clickButton("一事一案", "保存草稿")
	p.until("the draft", "!!"+msgWith("提案："+title, "草稿", "邀请代表附议"))
	p.shot("p2-draft")

	// He invites 周强 and 唐雨 with the person picker.
	p.fill("邀请代表附议", "invitees", "["+js(openIDOf("0105"))+", "+js(openIDOf("0303"))+"]")
	p.clickButton("邀请代表附议", "发送邀请")
	p.until("the invitations", "!!"+msgWith("提案："+title, "征集附议中", "未答复：周强、唐雨"))
	p.shot("p3-cosigning")

	// Each invitee agrees on their own card.
	for _, no := range []string{"0105", "0303"} {
		p.p2p(no)
		p.clickButton(title, "同意附议")
		p.until("the 附议 of "+no, "!!"+msgWith(title, "撤回附议"))
	}
	p.shot("p4-cosigned")

	// 冯涛 submits it from 我的提案.
	p.p2p("0203")
	p.say("我的提案")
	p.until("my proposals", "!!"+msgWith("我的提案", title, "附议人数已够"))
	p.clickButton("附议人数已够", "查看")
	p.clickButton("同意：周强、唐雨", "提交")
	p.run("confirm", chromedp.WaitVisible("#modal .modal-ok", chromedp.ByQuery), chromedp.Click("#modal .modal-ok", chromedp.ByQuery))
	p.until("submitted", "!!"+msgWith("提案："+title, "已提交，待审查"))
	p.shot("p5-submitted")

	// 郑雪 (提案委员) registers it and assigns it.
	p.p2p("0202")
	p.say("提案 暑期托管")
	p.until("the search", "!!"+msgWith("提案：暑期托管", title))
	p.clickButton("提案：暑期托管", "查看")
	p.clickButton("已提交，待审查", "立案")
	p.until("registered", "!!"+msgWith("提案："+title, "4-1-005", "已立案，待交办"))
	p.fill("已立案，待交办", "host", js("教务处"))
	p.fill("已立案，待交办", "helpers", js("后勤处"))
	p.show("已立案，待交办")
	p.shot("p6-registered")
	p.clickButton("已立案，待交办", "交办")
	p.until("assigned", "!!"+msgWith("提案："+title, "办理中", "答复期限"))
	p.shot("p7-assigned")

	// 黄海 (后勤处 contact, 协办) sends the opinion to the 主办.
	p.p2p("0501")
	p.until("the helper's card", "!!"+msgWith("交后勤处协办", title))
	p.fill("交后勤处协办", "opinion", js("托管场地可使用后勤服务楼二层活动室。"))
	p.clickButton("交后勤处协办", "发送协办意见")
	p.until("the opinion", "!!"+msgWith(title, "协办意见", "后勤服务楼二层"))
	p.show("后勤服务楼二层")
	p.shot("p8-opinion")

	// 刘洋 (教务处 contact, 主办) sees it and answers.
	p.p2p("0102")
	p.until("the opinion told", "!!"+msgWith("协办单位后勤处对提案", "后勤服务楼二层"))
	p.clickButton("交教务处主办", "答复")
	p.until("the reply form", "!!"+msgWith("答复提案："+title, "后勤服务楼二层"))
	p.fill("答复提案：", "class", js("A"))
	p.fill("答复提案：", "reply", js("经研究，今年 7 月起在后勤服务楼试点开设暑期托管班，由工会和后勤处共同组织。"))
	p.shot("p9-reply-form")
	p.clickButton("答复提案：", "提交答复")
	p.until("replied", "!!"+msgWith("提案："+title, "已答复，待评价"))

	// 冯涛 rates the answer; the proposal is closed.
	p.p2p("0203")
	p.until("the rating card", "!!"+msgWith("请评价提案答复："+title, "A 已解决/采纳", "后勤服务楼二层"))
	p.shot("p10-rate")
	p.fill("请评价提案答复", "rating", js("satisfied"))
	p.fill("请评价提案答复", "comment", js("落实很快，谢谢！"))
	p.clickButton("请评价提案答复", "提交评价")
	p.until("closed", "!!"+msgWith("提案："+title, "已办结", "答复\n04-08 09:00 评价，办结"))
	p.run("the 流转记录 lists the rating once", chromedp.Poll("!("+msgWith("提案："+title, "已办结")+").innerText.includes("+js("评价，办结\n04-08 09:00 评价，办结")+")", nil))
	p.show("提案：" + title)
	p.shot("p11-closed")

	// The demo's session lists the proposals at every step; the key one first.
	p.say("提案列表")
	p.until("the list", "!!"+msgWith("提案列表", "第四届第一次", "4-1-001 改善教学楼饮水设施", "⭐重点提案", "4-1-005 "+title))
	p.shot("p12-list")

	// His 履职记录 lists it with the rating he gave.
	p.say("履职记录")
	p.until("the record", "!!"+msgWith("履职记录：冯涛", "4-1-005 "+title, "已办结"))
	p.show("履职记录：冯涛")
	p.shot("p13-record")

	// An officer sees the sessions and the departments, and opens their forms.
	p.p2p("0101")
	p.say("届次")
	p.until("the sessions", "!!"+msgWith("第四届第一次（4-1）", "大会 2024-05-16"))
	p.clickButton("第四届第一次（4-1）", "修改")
	p.until("the session form", "!!"+msgWith("修改届次：第四届第一次", "答复审核"))
	p.show("修改届次：第四届第一次")
	p.shot("p14-session-form")
	p.say("承办单位")
	p.until("the departments", "!!"+msgWith("承办单位", "教务处 · 联系人：刘洋 · 分管校领导：王建国", "新增承办单位"))
	p.show("新增承办单位")
	p.shot("p15-departments")
	p.clickButton("新增承办单位", "修改")
	p.until("the department form", "!!"+msgWith("修改承办单位：", "联系人（承办联系人"))
	p.show("修改承办单位：")
	p.shot("p16-department-form")
}
