package cli

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/roster"
	"github.com/unionbot/unionbot/schema"
	"github.com/unionbot/unionbot/store"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError{"unexpected argument " + args[0]}
	}
	c, err := loadConfig(e)
	if err != nil {
		return err
	}
	if err := c.ValidateServe(); err != nil {
		return fmt.Errorf("the configuration is not ready to serve:\n%w", err)
	}
	m := &app.Main{Config: c, Log: app.NewLogger(c, e.stderr), Version: Version}
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Run(ctx)
}

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	c, err := validConfig(e)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, c.Database.Driver, c.Database.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := schema.Migrate(ctx, db.SQL(), c.Database.Driver)
	if err != nil {
		return err
	}
	for _, r := range res {
		fmt.Fprintf(e.stdout, "applied %05d %s\n", r.Version, r.Name)
	}
	v, err := schema.Version(ctx, db.SQL(), c.Database.Driver)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "database at version %d\n", v)
	return nil
}

func cmdCheckConfig(ctx context.Context, e *env, args []string) error {
	c, err := loadConfig(e)
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, c.Masked())
	if err := c.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	for _, w := range c.Security.Warnings() {
		fmt.Fprintf(e.stdout, "\n# warning: %s\n", w)
	}
	if err := c.ValidateServe(); err != nil {
		fmt.Fprintf(e.stdout, "\n# valid, but not ready to serve:\n# %s\n", strings.ReplaceAll(err.Error(), "\n", "\n# "))
		return nil
	}
	fmt.Fprintln(e.stdout, "\n# configuration OK")
	return nil
}

func validConfig(e *env) (*config.Config, error) {
	c, err := loadConfig(e)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// cliDB loads and validates the configuration and opens the database, for the subcommands
// that work on the data. Close the database when done.
func cliDB(ctx context.Context, e *env) (*config.Config, *store.DB, error) {
	c, err := validConfig(e)
	if err != nil {
		return nil, nil, err
	}
	db, err := app.OpenDB(ctx, c, app.NewLogger(c, e.stderr))
	if err != nil {
		return nil, nil, err
	}
	return c, db, nil
}

func cmdMembers(ctx context.Context, e *env, args []string) error {
	if len(args) != 2 || args[0] != "import" {
		return usageError{"want: members import FILE"}
	}
	c, err := validConfig(e)
	if err != nil {
		return err
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	m := &app.Main{Config: c, Log: app.NewLogger(c, e.stderr)}
	db, err := app.OpenDB(ctx, c, m.Log)
	if err != nil {
		return err
	}
	defer db.Close()
	var res roster.Resolver
	if c.Feishu.AppID != "" && c.Feishu.AppSecret != "" {
		res = roster.NewFeishuResolver(app.NewLarkClient(c, m.Log))
	}
	rep, err := roster.ImportFile(ctx, db, args[1], f, res, cliActor(), e.dryRun)
	if err != nil {
		return err
	}
	if e.dryRun {
		fmt.Fprintln(e.stdout, "（试运行：未写入数据库）")
	}
	fmt.Fprint(e.stdout, rep.String())
	return nil
}

func cmdRoles(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"want: roles grant|revoke WHO ROLE, or roles list"}
	}
	c, db, err := cliDB(ctx, e)
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
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ROLE\tNAME\tEMPLOYEE_NO\tBRANCH\tGRANTED_BY\tGRANTED_AT")
		for _, h := range holders {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Role, h.Name, h.EmployeeNo, h.BranchName, h.GrantedBy,
				h.GrantedAt.In(c.Location()).Format("2006-01-02 15:04"))
		}
		for _, a := range c.Admins {
			fmt.Fprintf(w, "admin\t(config)\t\t\t%s\t\n", a)
		}
		return w.Flush()
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
				changed, err = tx.GrantRole(ctx, m.ID, role, cliActor())
			} else {
				changed, err = tx.RevokeRole(ctx, m.ID, role, cliActor())
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

// cliActor names the operator in the audit trail.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}
