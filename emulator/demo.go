package emulator

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"slices"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers/legalaid"
	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/handlers/roster"
	"github.com/unionbot/unionbot/handlers/signup"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/store"
)

// The demo data, loaded on a fresh start through the real imports. examples/roster.csv is a
// copy of roster.csv, and examples/tasks-2024.yaml names its members (tests keep them so).
//
//go:embed demo
var demoFiles embed.FS

// demoAdmin is the 工号 of the demo's administrator (also the configured admin).
const demoAdmin = "0001"

// openIDOf is the open_id the fake directory gives the demo member with a 工号.
func openIDOf(employeeNo string) string { return "ou_demo_" + employeeNo }

// DemoFile returns an embedded demo file (roster.csv, roles.csv, departments.yaml,
// proposal-session.yaml, proposals.yaml, tasks-2024.yaml, activities.yaml).
func DemoFile(name string) []byte {
	b, err := demoFiles.ReadFile("demo/" + name)
	if err != nil {
		panic("emulator: no demo file " + name)
	}
	return b
}

// Persona is someone the page can act as: a demo member.
type Persona struct {
	OpenID     string   `json:"open_id"`
	Name       string   `json:"name"`
	EmployeeNo string   `json:"employee_no"`
	Branch     string   `json:"branch"`
	Roles      []string `json:"roles"`      // store role names, e.g. "officer"
	RoleNames  []string `json:"role_names"` // in Chinese, e.g. "工会干事"
	Chat       string   `json:"chat"`       // the persona's 1:1 chat with the bot
}

// loadDemo puts the demo members in the fake directory and, on a fresh database, imports the
// roster, grants the roles, imports the ten tasks and publishes the activities, each with
// the code the command line uses. Then it reads the personas back from the store.
func (e *Emulator) loadDemo(ctx context.Context) error {
	rows, _, err := roster.Parse("roster.csv", bytes.NewReader(DemoFile("roster.csv")))
	if err != nil {
		return err
	}
	for _, r := range rows {
		e.fake.AddUser(feishutest.User{OpenID: openIDOf(r.EmployeeNo), UnionID: "on_demo_" + r.EmployeeNo,
			UserID: "u" + r.EmployeeNo, Name: r.Name, EmployeeNo: r.EmployeeNo, Mobile: r.Mobile, Email: r.Email})
	}
	db := e.main.DB
	n, err := db.CountMembers(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		if err := e.importDemo(ctx); err != nil {
			return err
		}
	}
	e.personas = e.personas[:0]
	for _, r := range rows {
		m, roles, err := db.MemberWithRoles(ctx, openIDOf(r.EmployeeNo))
		if err != nil {
			return fmt.Errorf("demo member %s: %w", r.EmployeeNo, err)
		}
		p := Persona{OpenID: m.OpenID, Name: m.Name, EmployeeNo: m.EmployeeNo, Branch: m.BranchName,
			Chat: feishutest.P2PChatID(m.OpenID)}
		for _, role := range store.AllRoles { // in the order of the ranks
			if slices.Contains(roles, role) && role != store.RoleMember {
				p.Roles = append(p.Roles, role)
				p.RoleNames = append(p.RoleNames, store.RoleNames[role])
			}
		}
		e.personas = append(e.personas, p)
	}
	return nil
}

const demoActor = "emulator:demo"

func (e *Emulator) importDemo(ctx context.Context) error {
	m := e.main
	db, loc := m.DB, m.Config.Location()
	rep, err := roster.ImportFile(ctx, db, "roster.csv", bytes.NewReader(DemoFile("roster.csv")),
		roster.NewFeishuResolver(m.Lark), demoActor, false)
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 || rep.Resolved != rep.Created {
		return fmt.Errorf("roster.csv: %s", rep.String())
	}
	grants, err := csv.NewReader(bytes.NewReader(DemoFile("roles.csv"))).ReadAll()
	if err != nil {
		return err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, g := range grants[1:] {
			mem, err := tx.MemberByEmployeeNo(ctx, g[0])
			if err != nil {
				return fmt.Errorf("roles.csv: %s: %w", g[0], err)
			}
			if _, err := tx.GrantRole(ctx, mem.ID, g[1], demoActor); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The departments (承办单位) and their contacts (承办联系人), as `unionbot departments import`.
	if _, _, err := proposals.ImportDepartments(ctx, db, bytes.NewReader(DemoFile("departments.yaml")), demoActor); err != nil {
		return fmt.Errorf("departments.yaml: %w", err)
	}
	// An open congress session with a proposal at every step (demo_proposals.go).
	if err := e.importProposals(ctx); err != nil {
		return err
	}
	im := &tasks.Importer{DB: db, Loc: loc, Actor: demoActor}
	if _, err := im.ImportOpts(ctx, "tasks-2024.yaml", bytes.NewReader(DemoFile("tasks-2024.yaml")), true); err != nil {
		return err
	}
	_, err = signup.CreateFromYAML(ctx, db, bytes.NewReader(DemoFile("activities.yaml")), signup.CreateOptions{
		Publish: true, DefaultChats: m.Config.Signup.DefaultChats, Actor: demoActor, Loc: loc})
	if err != nil {
		return fmt.Errorf("activities.yaml: %w", err)
	}
	// Legal-aid cases at different steps (the lawyer 0009 and the officer 0103 hold the roles).
	if err := legalaid.SeedDemo(ctx, m.Deps(), e.clock.Now(), demoActor, []legalaid.DemoCase{
		{EmployeeNo: "0205", Category: "工资待遇", Facts: "2024年1月起学院停发了我的岗位津贴，没有书面通知。",
			OtherParty: "信息工程学院", DisputeDate: "2024-01-10", Book: true},
		{EmployeeNo: "0304", Category: "劳动合同", Facts: "校外兼职的培训公司拖欠课酬并单方解除合同。",
			OtherParty: "某培训公司", DisputeDate: "2023-06-01", Urgent: true},
		{EmployeeNo: "0406", Category: "社保/工伤", Facts: "带学生外出写生时摔伤，工伤认定材料不全。",
			OtherParty: "社保经办机构", DisputeDate: "2024-02-20", Close: "已协助补齐材料并提交工伤认定申请。"},
	}); err != nil {
		return fmt.Errorf("legal aid: %w", err)
	}
	// Aid requests at different steps (demo_aid.go).
	if err := e.importAid(ctx); err != nil {
		return err
	}
	e.log.Info("demo data loaded", "members", rep.Created, "resolved", rep.Resolved, "roles", len(grants)-1)
	return nil
}

// persona returns the persona with an open_id.
func (e *Emulator) persona(openID string) (Persona, bool) {
	for _, p := range e.personas {
		if p.OpenID == openID {
			return p, true
		}
	}
	return Persona{}, false
}

// Personas lists the demo members the page can act as.
func (e *Emulator) Personas() []Persona { return slices.Clone(e.personas) }
