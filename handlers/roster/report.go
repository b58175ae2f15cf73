package roster

import (
	"fmt"
	"strings"
)

// String is the report for the officer, in Chinese: the counts, then every warning and every
// problem line.
func (r *Report) String() string {
	var b strings.Builder
	if r.DryRun {
		b.WriteString("名单导入试运行（未写入数据库）：\n")
	} else {
		b.WriteString("名单导入完成：\n")
	}
	fmt.Fprintf(&b, "新增 %d 人，更新 %d 人，无变化 %d 人，关联飞书账号 %d 人，未导入 %d 行。\n",
		r.Created, r.Updated, r.Unchanged, r.Resolved, len(r.Problems))
	if len(r.Warnings) > 0 {
		b.WriteString("\n提示：\n")
		for _, w := range r.Warnings {
			b.WriteString("- " + w + "\n")
		}
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(&b, "\n以下 %d 行未导入，请修改后重新导入：\n", len(r.Problems))
		for _, p := range r.Problems {
			b.WriteString("- " + p.Reason + "\n")
		}
	}
	return b.String()
}
