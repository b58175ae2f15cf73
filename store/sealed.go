package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/unionbot/unionbot/store/secret"
)

// SealedColumn is a column holding values sealed by store/secret, one per row: the row's
// integer primary key `id` is bound into each value (secret.Ref), so a value copied to another
// row does not open. Every such column is registered (RegisterSealed), so that `unionbot keys
// rotate` finds every sealed value and re-seals it with the active key.
//
// A flow declares its columns once, in a package-level var of its store file:
//
//	var SealedLegalFacts = RegisterSealed(SealedColumn{Table: "legal_cases", Column: "facts"})
//
// and writes a value after the row exists (its id is part of the seal):
//
//	err = tx.SealInto(ctx, keys, SealedLegalFacts, caseID, facts)
//
// and reads it back with keys.Open(SealedLegalFacts.Ref(caseID), sealed), after the read audit
// (Tx.Reveal) when a person is shown it. An empty column value means "nothing stored".
type SealedColumn struct {
	Table, Column string
	// Legacy is the purpose v1 values of this column were sealed with, before values carried a
	// key id and their row ("signup.id_number"); "" for columns that never held v1 values.
	Legacy string
}

// Ref is the place of the column's value in row id.
func (c SealedColumn) Ref(id int64) secret.Ref {
	return secret.Ref{Table: c.Table, Column: c.Column, Row: id, Legacy: c.Legacy}
}

func (c SealedColumn) String() string { return c.Table + "." + c.Column }

var sealedColumns struct {
	sync.Mutex
	list []SealedColumn
}

// RegisterSealed records c as a sealed column and returns it. Registering a column twice
// records it once.
func RegisterSealed(c SealedColumn) SealedColumn {
	sealedColumns.Lock()
	defer sealedColumns.Unlock()
	if !slices.Contains(sealedColumns.list, c) {
		sealedColumns.list = append(sealedColumns.list, c)
	}
	return c
}

// SealedColumns are every registered sealed column, in registration order.
func SealedColumns() []SealedColumn {
	sealedColumns.Lock()
	defer sealedColumns.Unlock()
	return slices.Clone(sealedColumns.list)
}

func registered(c SealedColumn) bool {
	sealedColumns.Lock()
	defer sealedColumns.Unlock()
	return slices.Contains(sealedColumns.list, c)
}

// The sealed columns of the flows in this package.
var (
	// SealedIDNumber is an insured sign-up's ID number (身份证号).
	SealedIDNumber = RegisterSealed(SealedColumn{Table: "signup_entries", Column: "id_cipher", Legacy: "signup.id_number"})
	// SealedProposalPhone is a proposal's contact phone.
	SealedProposalPhone = RegisterSealed(SealedColumn{Table: "proposals", Column: "phone", Legacy: "proposal.phone"})
)

// SealInto seals plaintext with the active key for row id of c and writes it there. An empty
// plaintext writes "" (nothing stored). Without a key it returns an EINVALID error saying so.
func (tx *Tx) SealInto(ctx context.Context, keys *secret.Keyring, c SealedColumn, id int64, plaintext string) error {
	const op = "store.SealInto"
	if !registered(c) {
		return &Error{Code: EINTERNAL, Op: op, Err: fmt.Errorf("column %s is not registered as sealed", c)}
	}
	sealed := ""
	if plaintext != "" {
		var err error
		if sealed, err = keys.Seal(c.Ref(id), plaintext); errors.Is(err, secret.ErrNoKey) {
			return &Error{Code: EINVALID, Op: op, Message: "系统尚未配置数据加密密钥，暂不能保存这项敏感信息。请联系工会管理员。", Err: err}
		} else if err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+c.Table+` SET `+c.Column+` = ? WHERE id = ?`, sealed, id); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return nil
}

// KeyUsage counts the sealed values per key id (secret.LegacyKeyID for values in the old v1
// form) across every registered column, and in the outbox's pending sensitive messages.
func (db *DB) KeyUsage(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, c := range SealedColumns() {
		last := int64(0)
		for {
			var rows []sealedRow
			if err := db.Select(ctx, &rows, `SELECT id, `+c.Column+` AS v FROM `+c.Table+`
				WHERE id > ? AND `+c.Column+` <> '' ORDER BY id LIMIT 1000`, last); err != nil {
				return nil, fmt.Errorf("store.KeyUsage: %s: %w", c, err)
			}
			for _, r := range rows {
				out[secret.KeyID(r.V)]++
				last = r.ID
			}
			if len(rows) < 1000 {
				break
			}
		}
	}
	// Sensitive outbox messages waiting to be sent (re-sealed by a rotation; a sent one holds
	// no content).
	var queued []struct {
		C string `db:"content"`
		D []byte `db:"file_data"`
	}
	if err := db.Select(ctx, &queued, `SELECT content, file_data FROM outbox WHERE sealed = 1 AND status = 'pending'`); err != nil {
		return nil, fmt.Errorf("store.KeyUsage: outbox: %w", err)
	}
	for _, q := range queued {
		for _, v := range []string{q.C, string(q.D)} {
			if v != "" {
				out[secret.KeyID(v)]++
			}
		}
	}
	return out, nil
}

type sealedRow struct {
	ID int64  `db:"id"`
	V  string `db:"v"`
}

// RotateOptions tune a rotation.
type RotateOptions struct {
	// Batch is how many values one transaction re-seals (default 200).
	Batch int
	// Actor is who runs it, for the audit trail ("cli:<os user>").
	Actor string
	// AfterValue, when set, runs inside the batch's transaction after each value is re-sealed
	// (n values so far in this run); an error aborts the batch (rolled back) and the run. Tests
	// inject a crash with it.
	AfterValue func(n int) error
}

// RotateReport is what a rotation did.
type RotateReport struct {
	Resealed int            // values re-sealed with the active key in this run
	Columns  map[string]int // re-sealed per column ("table.column")
	InUse    map[string]int // after the run: sealed values per key id still in the database
}

// RotateKeys re-seals every sealed value that is not sealed with the active key of keys (old
// keys, and v1 values), column by column in batches, each batch one transaction. Each update
// is conditional on the value it read, so a concurrent change is never overwritten, and a
// value already sealed with the active key is left alone: a rotation interrupted by a crash is
// resumed by running it again, and nothing is sealed twice. A value that opens with none of
// the keys stops the run with an error naming its column and row (configure the missing key
// in security.old_keys).
func (db *DB) RotateKeys(ctx context.Context, keys *secret.Keyring, opt RotateOptions) (RotateReport, error) {
	const op = "store.RotateKeys"
	rep := RotateReport{Columns: map[string]int{}}
	if !keys.Enabled() {
		return rep, &Error{Code: EINVALID, Op: op, Message: "security.data_key is not set"}
	}
	if opt.Batch <= 0 {
		opt.Batch = 200
	}
	active := secret.SealedWith(keys.ActiveID()) + "%"
	for _, c := range SealedColumns() {
		last := int64(0)
		for {
			var rows []sealedRow
			if err := db.Select(ctx, &rows, `SELECT id, `+c.Column+` AS v FROM `+c.Table+`
				WHERE id > ? AND `+c.Column+` <> '' AND `+c.Column+` NOT LIKE ? ORDER BY id LIMIT ?`, last, active, opt.Batch); err != nil {
				return rep, &Error{Code: EINTERNAL, Op: op, Err: fmt.Errorf("%s: %w", c, err)}
			}
			if len(rows) == 0 {
				break
			}
			n := 0
			err := db.InTx(ctx, func(tx *Tx) error {
				n = 0
				for _, r := range rows {
					plain, err := keys.OpenBytes(c.Ref(r.ID), r.V)
					if err != nil {
						return &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("%s row %d does not open: %v", c, r.ID, err)}
					}
					sealed, err := keys.SealBytes(c.Ref(r.ID), plain)
					if err != nil {
						return &Error{Code: EINTERNAL, Op: op, Err: err}
					}
					res, err := tx.ExecContext(ctx, `UPDATE `+c.Table+` SET `+c.Column+` = ? WHERE id = ? AND `+c.Column+` = ?`, sealed, r.ID, r.V)
					if err != nil {
						return &Error{Code: EINTERNAL, Op: op, Err: err}
					}
					if k, _ := res.RowsAffected(); k == 1 {
						n++
					}
					if opt.AfterValue != nil {
						if err := opt.AfterValue(rep.Resealed + n); err != nil {
							return err
						}
					}
				}
				return tx.Audit(ctx, opt.Actor, "keys", c.String(), "rotate", fmt.Sprintf("%d values re-sealed with key %s", n, keys.ActiveID()))
			})
			if err != nil {
				return rep, err
			}
			rep.Resealed += n
			rep.Columns[c.String()] += n
			last = rows[len(rows)-1].ID
		}
	}
	if err := db.rotateOutbox(ctx, keys, active, opt, &rep); err != nil {
		return rep, err
	}
	var err error
	rep.InUse, err = db.KeyUsage(ctx)
	return rep, err
}

// rotateOutbox re-seals the sealed content and files of the outbox's pending messages (a
// message can wait for hours while Feishu is away): as RotateKeys does for a column, keyed by
// the message's text id. Sent messages hold no sealed content; a failed one keeps it sealed
// with the key of its day, and opens again only while that key is configured.
func (db *DB) rotateOutbox(ctx context.Context, keys *secret.Keyring, active string, opt RotateOptions, rep *RotateReport) error {
	const op = "store.RotateKeys"
	for _, col := range []string{"content", "file_data"} {
		ref := outboxContentRef
		if col == "file_data" {
			ref = outboxFileRef
		}
		name := "outbox." + col
		last := ""
		for {
			var rows []struct {
				ID string `db:"id"`
				V  []byte `db:"v"`
			}
			if err := db.Select(ctx, &rows, `SELECT id, `+col+` AS v FROM outbox WHERE sealed = 1 AND status = 'pending'
				AND id > ? AND `+col+` IS NOT NULL AND `+col+` <> '' AND `+col+` NOT LIKE ? ORDER BY id LIMIT ?`, last, active, opt.Batch); err != nil {
				return &Error{Code: EINTERNAL, Op: op, Err: fmt.Errorf("%s: %w", name, err)}
			}
			if len(rows) == 0 {
				break
			}
			n := 0
			err := db.InTx(ctx, func(tx *Tx) error {
				n = 0
				for _, r := range rows {
					plain, err := keys.OpenBytes(ref(r.ID), string(r.V))
					if err != nil {
						return &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("%s of message %s does not open: %v", name, r.ID, err)}
					}
					sealed, err := keys.SealBytes(ref(r.ID), plain)
					if err != nil {
						return &Error{Code: EINTERNAL, Op: op, Err: err}
					}
					// The column's own type on both sides: SQLite never finds TEXT equal to a BLOB.
					var val, was any = sealed, string(r.V)
					if col == "file_data" {
						val, was = []byte(sealed), r.V
					}
					res, err := tx.ExecContext(ctx, `UPDATE outbox SET `+col+` = ? WHERE id = ? AND status = 'pending' AND `+col+` = ?`, val, r.ID, was)
					if err != nil {
						return &Error{Code: EINTERNAL, Op: op, Err: err}
					}
					if k, _ := res.RowsAffected(); k == 1 {
						n++
					}
					if opt.AfterValue != nil {
						if err := opt.AfterValue(rep.Resealed + n); err != nil {
							return err
						}
					}
				}
				return tx.Audit(ctx, opt.Actor, "keys", name, "rotate", fmt.Sprintf("%d values re-sealed with key %s", n, keys.ActiveID()))
			})
			if err != nil {
				return err
			}
			rep.Resealed += n
			rep.Columns[name] += n
			last = rows[len(rows)-1].ID
		}
	}
	return nil
}

// Sensitive is a sensitive value on its way into the store, for a row whose id is not known
// yet: the store inserts the row, then seals Text with Keys into it (SealInto). The zero
// value is "nothing given".
type Sensitive struct {
	Keys *secret.Keyring
	Text string
}

// Given reports whether a value was given.
func (s Sensitive) Given() bool { return s.Text != "" }

// sealInto writes s into row id of c, when given.
func (tx *Tx) sealSensitive(ctx context.Context, c SealedColumn, id int64, s Sensitive) error {
	if !s.Given() {
		return nil
	}
	return tx.SealInto(ctx, s.Keys, c, id, s.Text)
}
