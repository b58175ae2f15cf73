package emulator

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// clickFirst clicks the first button of the last message containing text whose label has
// part (a slot's time, which the test does not know in advance).
func (p *page) clickFirst(text, part string) {
	p.t.Helper()
	find := "[...(" + msgWith(text) + ").querySelectorAll('button.btn')].find(b => b.textContent.includes(" + js(part) + "))"
	p.until("a button with "+part+" on "+text, "(() => { const m = "+msgWith(text)+"; return !!m && !!"+find+"; })()")
	p.mark(part, find)
	p.run("click "+part, chromedp.Click(`[data-test="target"]`, chromedp.ByQuery))
}

// lacks is a JavaScript condition: no message of the open chat has the text.
func lacks(text string) string {
	return "![...document.querySelectorAll('#messages .msg')].some(m => m.innerText.includes(" + js(text) + "))"
}

// botLacks is a JavaScript condition: no message of the bot in the open chat has the text.
func botLacks(text string) string {
	return "![...document.querySelectorAll('#messages .msg.bot')].some(m => m.innerText.includes(" + js(text) + "))"
}

// receipt writes a small PNG (a "photo of a receipt") to dir and returns its path.
func receipt(t *testing.T, dir string) string {
	img := image.NewRGBA(image.Rect(0, 0, 40, 24))
	for x := 0; x < 40; x++ {
		for y := 0; y < 24; y++ {
			img.Set(x, y, color.RGBA{R: uint8(200 + x), G: 220, B: 255, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "医保结算单.png")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserAid walks one aid request through the page from the consent to the payment,
// switching personas, and then legal aid and 我的数据:
//
//   - 曹阳 (a member of 信息工程学院分工会) asks in the union group: the group shows nothing, the
//     consent card comes 1:1; he accepts, picks 医疗补助, fills in and saves the form, sends a
//     photo of his receipt with the page's 附件 button (fetched, sealed and listed on the request) and
//     submits;
//   - 吴磊 (his 分工会's chair) opens it from the neutral notice, receives the material 1:1 as a
//     file, and passes the 初审;
//   - 陈静 (工会干事) passes the 校工会审核; 周强 (福利委员) approves 1500 元; 陈静 records the payment
//     with its date and voucher number; 曹阳's 我的申请 says it is paid;
//   - the groups never show the request (no name with 医疗, no text, no amount);
//   - 彭丽娟 asks for 法律援助: consent, the intake, a slot with the duty lawyer, who is told 1:1;
//   - 曹阳 opens 我的数据 (his request among the rest, and who viewed it) and downloads it.
//
// Each step is asserted on the page's DOM; each card is screenshot to testdata/out.
func TestBrowserAid(t *testing.T) {
	ctx := browser(t)
	e := start(t)
	out := filepath.Join("testdata", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, out: out}
	const facts = "3月底急性胆囊炎住院手术八天，医保报销后自付 7,200 元"

	// 曹阳 asks in the union group: the group sees nothing; the consent card comes 1:1.
	p.run("load", chromedp.Navigate(e.URL()+"/?as=0207"), chromedp.WaitVisible(`body[data-ready="1"]`, chromedp.ByQuery))
	p.as("0207", ChatUnion)
	p.say("申请帮扶")
	p.p2p("0207")
	p.until("the consent card", "!!"+msgWith("帮扶申请 · 个人信息处理同意书", "收集哪些信息", "同意并继续"))
	p.show("帮扶申请 · 个人信息处理同意书")
	p.shot("a1-consent")
	p.as("0207", ChatUnion)
	p.until("the group's messages", "document.querySelectorAll('#messages .msg').length > 0")
	p.run("the group shows nothing of it", chromedp.Poll(botLacks("同意书")+" && "+botLacks("帮扶")+" && "+botLacks("单聊中")+" && "+botLacks("曹阳"), nil))

	// He accepts, picks 医疗补助 and fills in the form.
	p.p2p("0207")
	p.clickButton("帮扶申请 · 个人信息处理同意书", "同意并继续")
	p.until("the kinds", "!!"+msgWith("请选择帮扶类别", "医疗补助", "大病互助"))
	p.shot("a2-kinds")
	p.clickButton("请选择帮扶类别", "医疗补助")
	p.until("the form", "!!"+msgWith("帮扶申请：医疗补助", "申请事由及情况说明"))
	p.fill("帮扶申请：医疗补助", "text", js(facts))
	p.fill("帮扶申请：医疗补助", "requested", js("2000"))
	p.show("帮扶申请：医疗补助")
	p.shot("a3-form")
	p.clickButton("申请事由及情况说明", "保存")
	p.until("the draft", "!!"+msgWith("帮扶申请：医疗补助", "草稿", "（尚无材料）", "提交申请"))

	// The photo of the receipt, sent with the page's 附件 button: fetched, sealed, listed.
	p.run("send the receipt", chromedp.SetUploadFiles("#attach", []string{receipt(t, t.TempDir())}, chromedp.ByQuery))
	p.until("the material stored", "!!"+msgWith("已加密保存材料", "现有 1 份材料"))
	p.shot("a4-material")
	p.clickButton("帮扶申请：医疗补助", "提交申请")
	p.until("submitted", "!!"+msgWith("帮扶申请：医疗补助", "待分工会初审", "医保结算单.png"))
	p.show("待分工会初审")
	p.shot("a5-submitted")

	// 吴磊 (信息工程学院分工会主席) opens it from the neutral notice, receives the material, passes.
	p.p2p("0201")
	p.until("the notice", "!!"+msgWith("你有一条帮扶申请待审核"))
	p.clickButton("你有一条帮扶申请待审核", "查看")
	p.until("the case", "!!"+msgWith("帮扶申请：医疗补助", "曹阳（信息工程学院分工会）", facts, "初审通过"))
	p.clickButton("曹阳（信息工程学院分工会）", "查看材料 1")
	p.until("the material 1:1", "!!"+msgWith("附件：医保结算单.png"))
	p.show("曹阳（信息工程学院分工会）")
	p.shot("a6-branch")
	p.clickButton("曹阳（信息工程学院分工会）", "初审通过")
	p.until("passed", "!!"+msgWith("曹阳（信息工程学院分工会）", "待校工会审核"))

	// 陈静 (工会干事) passes the 校工会审核.
	p.p2p("0101")
	p.until("the notice", "!!"+msgWith("你有一条帮扶申请待审核"))
	p.clickButton("你有一条帮扶申请待审核", "查看")
	p.until("the case", "!!"+msgWith("曹阳（信息工程学院分工会）", "校工会审核", "审核通过"))
	p.show("校工会审核")
	p.shot("a7-union")
	p.clickButton("校工会审核", "审核通过")
	p.until("passed", "!!"+msgWith("曹阳（信息工程学院分工会）", "待审批"))

	// 周强 (福利委员) approves 1500 元 within the ceilings the card states.
	p.p2p("0105")
	p.until("the notice", "!!"+msgWith("你有一条帮扶申请待审核"))
	p.clickButton("你有一条帮扶申请待审核", "查看")
	p.until("the case", "!!"+msgWith("曹阳（信息工程学院分工会）", "本次最多可批 2000 元", "批准"))
	p.fill("本次最多可批", "amount", js("1500"))
	p.show("本次最多可批")
	p.shot("a8-approve")
	p.clickButton("本次最多可批", "批准")
	p.until("approved", "!!"+msgWith("曹阳（信息工程学院分工会）", "已批准，待发放", "1500 元"))

	// 陈静 records the payment: date and voucher number; the case is closed.
	p.p2p("0101")
	p.until("the notice", "!!"+msgWith("你有一条帮扶申请待审核"))
	p.clickButton("你有一条帮扶申请待审核", "查看")
	p.until("the payment form", "!!"+msgWith("曹阳（信息工程学院分工会）", "登记发放", "凭证号"))
	p.fill("登记发放", "paid_on", js("2024-04-09"))
	p.fill("登记发放", "voucher", js("记-0409-07"))
	p.show("登记发放")
	p.shot("a9-pay")
	p.clickButton("登记发放", "登记发放")
	p.until("paid", "!!"+msgWith("曹阳（信息工程学院分工会）", "已发放，已办结", "2024-04-09，凭证号 记-0409-07"))

	// 曹阳 sees it paid.
	p.p2p("0207")
	p.say("我的申请")
	p.until("my requests", "!!"+msgWith("我的帮扶申请", "医疗补助", "已发放，已办结"))
	p.clickButton("我的帮扶申请", "查看")
	p.until("the paid case", "!!"+msgWith("帮扶申请：医疗补助", "已发放，已办结", "1500 元", "记-0409-07"))
	// (The page re-renders the updated card once more from the feed: scroll after it settled.)
	p.run("scroll to the end", chromedp.Sleep(500*time.Millisecond),
		chromedp.Evaluate(`(`+msgWith("帮扶申请：医疗补助", "记-0409-07")+`).scrollIntoView({block: 'end'}); true`, nil))
	p.shot("a10-paid")

	// Nothing of it in the groups.
	for _, chat := range []string{ChatUnion, ChatOfficers} {
		p.as("0101", chat)
		p.until("the group "+chat, "document.querySelector('#chat-title').innerText.length > 0")
		p.run("nothing sensitive in "+chat, chromedp.Poll(botLacks("曹阳")+" && "+lacks("胆囊炎")+" && "+lacks("医疗补助")+" && "+lacks("1500 元")+" && "+botLacks("帮扶"), nil))
	}

	// 彭丽娟 asks for 法律援助: consent, the intake, a slot with the duty lawyer.
	p.p2p("0208")
	p.say("法律援助")
	p.clickButton("法律援助 · 个人信息处理同意书", "同意并继续")
	p.until("the intake", "!!"+msgWith("法律援助登记", "纠纷类别", "事实经过"))
	p.fill("法律援助登记", "category", js("工资待遇"))
	p.fill("法律援助登记", "facts", js("学院自2024年2月起未发放我的课时津贴，多次询问无果。"))
	p.fill("法律援助登记", "other_party", js("示范大学信息工程学院"))
	p.fill("法律援助登记", "dispute_date", js("2024-02-29"))
	p.show("法律援助登记")
	p.shot("a11-legal-intake")
	p.clickButton("法律援助登记", "提交")
	p.until("the legal case", "!!"+msgWith("法律援助 · 编号", "利益冲突", "预约值班律师"))
	p.show("法律援助 · 编号")
	p.shot("a12-legal-case")
	p.clickButton("法律援助 · 编号", "预约值班律师")
	p.until("the slots", "!!"+msgWith("预约值班律师", "请选择一个时段"))
	p.shot("a13-legal-slots")
	p.clickFirst("请选择一个时段", ":")
	p.until("booked", "!!"+msgWith("法律援助 · 编号", "取消预约"))
	p.show("取消预约")
	p.shot("a14-legal-booked")
	p.p2p("0009")
	p.until("the lawyer told", "!!"+msgWith("你有一个新的法律援助预约"))
	p.run("the lawyer's notice is neutral", chromedp.Poll(lacks("课时津贴"), nil))

	// 曹阳's 我的数据: his request, who viewed it; the download comes 1:1 as a file.
	p.p2p("0207")
	p.say("我的数据")
	p.until("my data", "!!"+msgWith("我的数据", "帮扶申请（1 条）", "医疗补助", "谁查看过你的敏感信息", "吴磊", "下载（JSON）"))
	p.show("谁查看过你的敏感信息")
	p.shot("a15-mydata")
	p.clickButton("谁查看过你的敏感信息", "下载（JSON）")
	p.until("the download", "!!"+msgWith("附件：", ".json"))
	p.shot("a16-mydata-download")
}

// TestBrowserAidOnBehalf walks 代为申请 through the page: 刘洋 (工会干事) opens a request for 宋健
// (商学院分工会); 宋健 gets the consent card naming the officer and the kind, and accepts; 刘洋 is
// told neutrally, goes on to the form for him, saves it (宋健 is told), sends the material with
// 附件 into his own chat and submits; the chair of 宋健's 分工会 (蒋文) gets the 初审 notice.
func TestBrowserAidOnBehalf(t *testing.T) {
	ctx := browser(t)
	e := start(t)
	out := filepath.Join("testdata", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, out: out}
	const facts = "宋健老师突发脑梗住院，家属委托工会代为申请"

	p.run("load", chromedp.Navigate(e.URL()+"/?as=0102"), chromedp.WaitVisible(`body[data-ready="1"]`, chromedp.ByQuery))
	p.p2p("0102")
	p.say("代为申请 0306")
	p.until("the officer's card", "!!"+msgWith("代为申请帮扶", "须会员本人同意", "下一步"))
	p.fill("代为申请帮扶", "kind", js("medical"))
	p.show("代为申请帮扶")
	p.shot("b1-behalf")
	p.clickButton("代为申请帮扶", "下一步")
	p.until("waiting for the member", "!!"+msgWith("等待会员同意", "宋健（商学院分工会）", "本人同意前不会保存任何申请信息"))
	p.shot("b2-waiting")

	// 宋健's consent card names the officer and the kind.
	p.p2p("0306")
	p.until("the consent card", "!!"+msgWith("工会干事 刘洋 拟代你申请「医疗补助」", "帮扶申请 · 个人信息处理同意书"))
	p.show("拟代你申请")
	p.shot("b3-member-consent")
	p.clickButton("拟代你申请", "同意并继续")
	p.until("accepted", "!!"+msgWith("已同意", "通知工会干事 刘洋 为你填写「医疗补助」申请"))
	p.shot("b4-member-accepted")

	// 刘洋 is told neutrally and goes on to the form.
	p.p2p("0102")
	p.until("the notice", "!!"+msgWith("你发起的代为申请：会员已同意", "继续"))
	p.run("the notice names no one", chromedp.Poll("!("+msgWith("你发起的代为申请")+").innerText.includes('宋健')", nil))
	p.clickButton("你发起的代为申请", "继续")
	p.until("the form", "!!"+msgWith("代为申请：医疗补助", "申请人", "宋健（商学院分工会）"))
	p.fill("代为申请：医疗补助", "text", js(facts))
	p.fill("代为申请：医疗补助", "requested", js("2000"))
	p.show("代为申请：医疗补助")
	p.shot("b5-behalf-form")
	p.clickButton("代为申请：医疗补助", "保存")
	p.until("the draft", "!!"+msgWith("帮扶申请：医疗补助", "宋健（商学院分工会）", "工会干事 刘洋 代为申请", "草稿"))
	p.run("send the receipt", chromedp.SetUploadFiles("#attach", []string{receipt(t, t.TempDir())}, chromedp.ByQuery))
	p.until("the material stored", "!!"+msgWith("已加密保存材料", "现有 1 份材料"))
	p.clickButton("工会干事 刘洋 代为申请", "提交申请")
	p.until("submitted", "!!"+msgWith("工会干事 刘洋 代为申请", "待分工会初审", "医保结算单.png"))
	p.show("待分工会初审")
	p.shot("b6-behalf-submitted")

	// 宋健 sees his request; 蒋文 (商学院分工会主席) has it to review.
	p.p2p("0306")
	p.until("the member told", "!!"+msgWith("你的帮扶申请有新进展"))
	p.say("我的申请")
	p.until("his requests", "!!"+msgWith("我的帮扶申请", "医疗补助", "待分工会初审"))
	p.p2p("0301")
	p.until("the chair's notice", "!!"+msgWith("你有一条帮扶申请待审核"))
	p.clickButton("你有一条帮扶申请待审核", "查看")
	p.until("the case", "!!"+msgWith("宋健（商学院分工会）", "工会干事 刘洋 代为申请", facts, "初审通过"))
	p.show("初审通过")
	p.shot("b7-behalf-branch")
}
