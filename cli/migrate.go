package cli

import (
	"context"
	"fmt"

	"github.com/unionbot/unionbot/schema"
	"github.com/unionbot/unionbot/store"
)

// migrateCommand is `unionbot migrate`.
func migrateCommand() *command {
	return &command{name: "migrate", usage: "migrate [-config PATH]", help: "Apply the database migrations and exit.", run: cmdMigrate}
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
