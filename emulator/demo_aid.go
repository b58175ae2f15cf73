package emulator

import (
	"context"
	"fmt"

	"github.com/unionbot/unionbot/handlers/aid"
	"github.com/unionbot/unionbot/store"
)

// demoAid are the demo's aid requests (the default kinds of aid.kinds), one at each step, each
// seen by the personas of its step: 何静怡's waits for 吴磊 (信息工程学院分工会主席), 罗芳's for the
// officers (陈静, 刘洋, 赵敏), 梁静's for the chair 李红梅 and the 福利委员 周强; 朱军's was returned to
// him for more; 邓佳's was paid; 沈浩's 送温暖 was opened and approved by 陈静 and waits to be paid.
var demoAid = []aid.DemoCase{
	{EmployeeNo: "0204", Kind: "medical", Text: "3月因急性阑尾炎住院手术，医保报销后自付 6,800 元。", Requested: 2000, Until: store.AidBranchReview},
	{EmployeeNo: "0305", Kind: "hardship", Text: "配偶长期患病无法工作，孩子读高中，家庭人均收入低于当地最低生活标准。", Requested: 3000,
		Until: store.AidUnionReview},
	{EmployeeNo: "0403", Kind: "visit_hospital", Text: "腰椎间盘突出住院治疗两周。", Requested: 800, Until: store.AidApproval},
	{EmployeeNo: "0503", Kind: "education", Text: "孩子今年考入大学，学费和住宿费负担较重。", Requested: 2000, Until: store.AidReturned,
		Reason: "请补充录取通知书的照片。"},
	{EmployeeNo: "0206", Kind: "medical", Text: "门诊慢性病治疗，全年自付 4,500 元。", Requested: 1500, Approved: 1200, Until: store.AidClosed},
	{EmployeeNo: "0404", Kind: "warmth", Text: "家中遭遇火灾，工会送温暖慰问。", Approved: 800, Officer: "0101"},
}

// importAid enters the demo's aid requests as the flow would (consent, sealed texts and a
// material, each step through the state machine).
func (e *Emulator) importAid(ctx context.Context) error {
	if err := aid.SeedDemo(ctx, e.main.Deps(), demoActor, demoAid); err != nil {
		return fmt.Errorf("aid: %w", err)
	}
	return nil
}
