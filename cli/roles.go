package cli

import (
	"context"
	"fmt"

	"github.com/unionbot/unionbot/store"
)

// rolesCommand is `unionbot roles grant|revoke WHO ROLE` and `unionbot roles list`.
func rolesCommand() *command {
	return &command{name: "roles", usage: "roles grant|revoke WHO ROLE | roles list [-config PATH]",
		help: "Grant or revoke a role (member by 工号 or name; role: delegate, branch_chair, officer, committee, chair, admin\nor 代表, 分工会主席, 工会干事, 提案委员, 主席, 管理员), or list who holds which role. Changes are audited.",
		run:  cmdRoles}
}

func cmdRoles(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want: roles grant|revoke WHO ROLE, or roles list"}
	}
	c, db, err := openDB(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "list":
		holders, err := db.RoleHolders(ctx)
		if err != nil {
			return err
		}
		rows := [][]string{{"ROLE", "NAME", "EMPLOYEE_NO", "BRANCH", "GRANTED_BY", "GRANTED_AT"}}
		for _, h := range holders {
			rows = append(rows, []string{h.Role, h.Name, h.EmployeeNo, h.BranchName, h.GrantedBy,
				h.GrantedAt.In(c.Location()).Format("2006-01-02 15:04")})
		}
		for _, a := range c.Admins {
			rows = append(rows, []string{"admin", "(config)", "", "", a, ""})
		}
		return writeTable(e.stdout, rows)
	case "grant", "revoke":
		if len(args) != 3 {
			return usageError{"want: roles " + args[0] + " WHO ROLE"}
		}
		role, ok := store.ParseRole(args[2])
		if !ok || role == store.RoleMember {
			return fmt.Errorf("unknown role %q (delegate, branch_chair, officer, committee, chair, admin)", args[2])
		}
		return db.InTx(ctx, func(tx *store.Tx) error {
			found, err := tx.FindMembers(ctx, args[1], 2)
			if err != nil {
				return err
			}
			if len(found) != 1 {
				return fmt.Errorf("%d members match %q: use the 工号", len(found), args[1])
			}
			m := found[0]
			var changed bool
			if args[0] == "grant" {
				changed, err = tx.GrantRole(ctx, m.ID, role, operator())
			} else {
				changed, err = tx.RevokeRole(ctx, m.ID, role, operator())
			}
			if err != nil {
				return err
			}
			state := "done"
			if !changed {
				state = "nothing to change"
			}
			fmt.Fprintf(e.stdout, "%s %s %s: %s\n", args[0], role, m.Display(), state)
			return nil
		})
	}
	return usageError{"unknown roles subcommand " + args[0]}
}
