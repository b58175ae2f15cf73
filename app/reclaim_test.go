package app

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestRestartReclaimsOwnClaims: a process killed while it held outbox claims and a job lease
// (kill -9) is restarted on the same host and address: the new process takes its
// predecessor's claims and lease back at once instead of waiting for their lease (2 min),
// and leaves alone what another replica holds.
func TestRestartReclaimsOwnClaims(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			fake := feishutest.NewT(t)
			for _, id := range []string{"ou_r1", "ou_r2", "ou_other"} {
				fake.AddUser(feishutest.User{OpenID: id, Name: id})
			}
			cfg := e2eConfig(t, fake, config.ModeWebhook, dialect)
			cfg.Server.Addr = freeAddr(t)
			inst := Instance(cfg)
			if inst == "" || Instance(&config.Config{Server: config.Server{Addr: "127.0.0.1:0"}}) != "" {
				t.Fatalf("instance %q: want one for a fixed port, none for port 0", inst)
			}
			ctx := context.Background()
			db, err := OpenDB(ctx, cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
			if err != nil {
				t.Fatal(err)
			}
			queue := func(to string) {
				err := db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id",
						ReceiveID: to, MsgType: "text", Content: fmt.Sprintf(`{"text":"to %s"}`, to)})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			// The dead predecessor (same instance, another pid) claimed two messages and held
			// the prune job; a live replica (another instance) claimed a third.
			queue("ou_r1")
			queue("ou_r2")
			dead := inst + "~host-4242-a1b2c3"
			if got, err := db.ClaimOutbox(ctx, dead, 2, 2*time.Minute); err != nil || len(got) != 2 {
				t.Fatalf("predecessor's claim: %d, %v", len(got), err)
			}
			queue("ou_other")
			if got, err := db.ClaimOutbox(ctx, "iffffffff~other-7-d4e5f6", 1, 2*time.Minute); err != nil || len(got) != 1 {
				t.Fatalf("replica's claim: %d, %v", len(got), err)
			}
			if _, ok, err := db.AcquireLease(ctx, "prune", dead+":jobs", 2*time.Minute); !ok || err != nil {
				t.Fatalf("predecessor's lease: %v, %v", ok, err)
			}
			db.Close()

			start(t, fake, cfg)
			ctx5, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if _, err := fake.WaitMessages(ctx5, 2); err != nil {
				t.Fatalf("the predecessor's claimed messages did not go out at once: %v (%d sent)", err, len(fake.Messages()))
			}
			time.Sleep(300 * time.Millisecond)
			for _, m := range fake.Messages() {
				if m.ReceiveID == "ou_other" {
					t.Error("the live replica's claimed message was taken and sent")
				}
			}
			db2, err := OpenDB(ctx, cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			l, err := db2.LeaseOf(ctx, "prune")
			if err != nil || l == nil || l.Holder == dead+":jobs" {
				t.Errorf("prune's lease is still the predecessor's: %+v, %v", l, err)
			}
			// The start-up runs go one job after the other, by name: prune's comes after a
			// dozen others, which take a while under -race on a busy machine.
			var runs int
			for wait := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				err := db2.Get(ctx, &runs, `SELECT COUNT(*) FROM job_runs WHERE job = 'prune' AND outcome = 'ok'`)
				if err == nil && runs > 0 {
					break
				}
				if time.Now().After(wait) {
					t.Errorf("prune did not run at start (%d, %v): refused for the predecessor's lease", runs, err)
					break
				}
			}
		})
	}
}
