package privacy

import (
	"fmt"

	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

// Text is a purpose's consent text: what the member agrees to, in the words the card shows.
// Version grows whenever the text changes in substance; a consent to an older version no
// longer counts (HasConsent) and the member is asked again.
type Text struct {
	Purpose   string
	Version   int
	Title     string // the card's title
	Collected string // 收集哪些信息
	Why       string // 用于什么目的
	Who       string // 谁能看到
	Kept      string // 保存多久
	Withdraw  string // 如何撤回
}

// TextOf is the current text of purpose under the configuration (the retention periods come
// from privacy.*), and whether the purpose is known.
func TextOf(c *config.Config, purpose string) (Text, bool) {
	if c == nil {
		c = config.Default()
	}
	p := c.Privacy
	kept := fmt.Sprintf("案件办结后，上传的材料保存 %s后删除；案件记录保存 %s后删除（档案期）。到期由系统自动删除，删除过程留有记录。",
		days(p.MaterialsRetentionDays), days(p.RecordsRetentionDays))
	withdraw := "随时可在与工会助手的单聊中发送「我的数据」，点击「撤回同意」。撤回后，尚在办理中的申请随即终止；已办结的记录按上述期限保存后删除。"
	switch purpose {
	case store.PurposeAid:
		return Text{Purpose: purpose, Version: 1, Title: "帮扶申请 · 个人信息处理同意书",
			Collected: "你填写的申请事由、家庭与收入情况、病情及诊断，你上传的票据、诊断证明、出院小结、收入证明等材料，以及审核和发放的记录。其中病情、收入等属于敏感个人信息。",
			Why:       "仅用于审核和发放本次帮扶（困难补助、医疗补助、大病互助、慰问等），并按规定核对年度限额。",
			Who:       "你所在分工会的主席（仅在初审阶段）、校工会负责帮扶的工会干事、审批人（主席或福利委员会）。每次查看都会留下记录，你可以在「我的数据」中看到谁查看过。",
			Kept:      kept, Withdraw: withdraw}, true
	case store.PurposeLegal:
		return Text{Purpose: purpose, Version: 1, Title: "法律援助 · 个人信息处理同意书",
			Collected: "你填写的纠纷类别、事实经过、对方当事人、纠纷发生日期，以及预约律师的时间。这些属于敏感个人信息。",
			Why:       "仅用于为你提供法律咨询与援助：安排值班律师、提醒劳动仲裁时效。",
			Who:       "校工会的法律援助专员和值班律师，仅此二者。对方当事人是学校或其部门时系统会自动标注利益冲突，以便安排回避。每次查看都会留下记录，你可以看到谁查看过。",
			Kept:      kept, Withdraw: withdraw}, true
	case store.PurposeAidPublicity:
		return Text{Purpose: purpose, Version: 1, Title: "帮扶公示 · 单独同意书",
			Collected: "公示只包含你的姓名、所在分工会和帮扶类别，不包含病情、诊断或金额。",
			Why:       "按规定对获批的帮扶进行公示，接受会员监督。",
			Who:       "公示群中的全体成员，公示期满后公示卡片显示「公示结束」。",
			Kept:      "公示期内展示；期满后不再展示。", Withdraw: "公示开始前可在「我的数据」中撤回；不同意公示的，按规定可能影响需要公示的帮扶类别的发放。"}, true
	}
	return Text{}, false
}

func days(n int) string {
	if n%365 == 0 {
		return fmt.Sprintf(" %d 年", n/365)
	}
	return fmt.Sprintf(" %d 天", n)
}

// PurposeName is purpose as the member reads it.
func PurposeName(purpose string) string {
	if s, ok := store.PurposeNames[purpose]; ok {
		return s
	}
	return purpose
}
