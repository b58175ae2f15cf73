package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
)

// keysCommand is `unionbot keys rotate` and `unionbot keys status`.
func keysCommand() *command {
	var batch int
	return &command{name: "keys", usage: "keys rotate [-batch N] | keys status [-config PATH]",
		help: "rotate: re-seal every sealed value (ID numbers, phones, aid and legal-aid texts, materials) with the\n" +
			"active key security.data_key, in batches of -batch values per transaction; values in the old v1 form\n" +
			"are migrated too. Interrupted, it is resumed by running it again: values already sealed with the\n" +
			"active key are left alone. It then says which key ids are still in use: an old key may be removed\n" +
			"from security.old_keys once none is.\n" +
			"status: how many sealed values each key id seals, changing nothing.",
		flags: func(fs *flag.FlagSet) {
			fs.IntVar(&batch, "batch", 200, "values re-sealed per transaction")
		},
		run: func(ctx context.Context, e *env, args []string) error { return cmdKeys(ctx, e, args, batch, nil) },
	}
}

// cmdKeys runs keys; afterValue is the rotation's crash hook for tests.
func cmdKeys(ctx context.Context, e *env, args []string, batch int, afterValue func(int) error) error {
	if len(args) != 1 || (args[0] != "rotate" && args[0] != "status") {
		return usageError{"want: keys rotate, or keys status"}
	}
	if batch < 1 {
		return usageError{"-batch must be at least 1"}
	}
	c, db, err := openDB(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := c.Security.Keyring()
	if err != nil {
		return err
	}
	if !keys.Enabled() {
		return errors.New("security.data_key is not set: there is no key to seal with")
	}
	var inUse map[string]int
	if args[0] == "status" {
		if inUse, err = db.KeyUsage(ctx); err != nil {
			return err
		}
	} else {
		rep, err := db.RotateKeys(ctx, keys, store.RotateOptions{Batch: batch, Actor: operator(), AfterValue: afterValue})
		for _, col := range slices.Sorted(maps.Keys(rep.Columns)) {
			if n := rep.Columns[col]; n > 0 {
				fmt.Fprintf(e.stdout, "%s: %d values re-sealed\n", col, n)
			}
		}
		if err != nil {
			return fmt.Errorf("rotation stopped after %d values (run it again to resume): %w", rep.Resealed, err)
		}
		fmt.Fprintf(e.stdout, "%d values re-sealed with key %s\n", rep.Resealed, keys.ActiveID())
		inUse = rep.InUse
	}
	describeKeyUse(e, keys, inUse)
	return nil
}

// describeKeyUse prints which key ids seal how many values, and which configured keys are
// no longer used.
func describeKeyUse(e *env, keys *secret.Keyring, inUse map[string]int) {
	var used []string
	for _, id := range slices.Sorted(maps.Keys(inUse)) {
		label := id
		switch {
		case id == secret.LegacyKeyID:
			label = "v1 (old form, no key id; run keys rotate)"
		case id == keys.ActiveID():
			label += " (active)"
		case !slices.Contains(keys.IDs(), id):
			label += " (NOT CONFIGURED: these values cannot be opened)"
		}
		used = append(used, fmt.Sprintf("  %s: %d values", label, inUse[id]))
	}
	if len(used) == 0 {
		fmt.Fprintln(e.stdout, "no sealed values")
	} else {
		fmt.Fprintf(e.stdout, "key ids in use:\n%s\n", strings.Join(used, "\n"))
	}
	var unused []string
	for _, id := range keys.IDs() {
		if id != keys.ActiveID() && inUse[id] == 0 {
			unused = append(unused, id)
		}
	}
	if len(unused) > 0 {
		fmt.Fprintf(e.stdout, "old keys no longer used, may be removed from security.old_keys: %s\n", strings.Join(unused, ", "))
	}
}
