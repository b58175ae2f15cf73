package outbox

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestPatchPaceAcrossReplicas: two workers on one MariaDB database, as two replicas are, deliver
// the patches of one card whose content changes 40 times a second for two seconds, each change
// queued through either replica's store. The fake, which refuses a sixth update of a message
// within a second, never saw more than five patches of the message in any second and refused
// none, and the card ends showing the last content.
func TestPatchPaceAcrossReplicas(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		if dialect != store.MySQL {
			continue // replicas share a MariaDB database
		}
		ctx := context.Background()
		db1, dsn := storetest.OpenDSN(t, dialect)
		db2, err := store.Open(ctx, dialect, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		fake := feishutest.NewT(t)
		cfg := Config{PollInterval: 20 * time.Millisecond, Workers: 4}
		cfg.WorkerID = "replica-1"
		h1 := newHarness(t, db1, fake, cfg)
		cfg.WorkerID = "replica-2"
		h2 := newHarness(t, db2, fake, cfg)

		card := func(i int) string {
			return fmt.Sprintf(`{"schema":"2.0","config":{"update_multi":true},"body":{"elements":[{"tag":"markdown","content":"v%d"}]}}`, i)
		}
		created, err := newClient(fake).Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("chat_id").
			Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId("oc_r").MsgType("interactive").Content(card(0)).Build()).Build())
		if err != nil || !created.Success() {
			t.Fatal(err, created)
		}
		msg := *created.Data.MessageId

		stop1, stop2 := h1.run(), h2.run()
		const changes = 80
		for i := 1; i <= changes; i++ {
			db := []*store.DB{db1, db2}[i%2]
			if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.EnqueuePatch(ctx, msg, card(i)); return err }); err != nil {
				t.Fatal(err)
			}
			h1.w.Notify()
			h2.w.Notify()
			time.Sleep(25 * time.Millisecond)
		}
		patches := func() (out []feishutest.Message) {
			for _, m := range fake.Messages() {
				if m.Kind == feishutest.KindPatch && m.ReceiveID == msg {
					out = append(out, m)
				}
			}
			return out
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			p := patches()
			if len(p) > 0 && strings.Contains(p[len(p)-1].Content, fmt.Sprintf(`"v%d"`, changes)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d patches, the last not showing the last change", len(p))
			}
			time.Sleep(5 * time.Millisecond)
		}
		stop1()
		stop2()
		p := patches()
		for i := range p {
			n := 0
			for j := i; j < len(p) && p[j].At.Sub(p[i].At) < time.Second; j++ {
				n++
			}
			if n > 5 {
				t.Errorf("%d patches of the message within a second from %v", n, p[i].At.Format("15:04:05.000"))
			}
		}
		if n := fake.Throttled(); n != 0 {
			t.Errorf("the platform refused %d updates", n)
		}
		var by1, by2 int
		if err := db1.Get(ctx, &by1, `SELECT COUNT(*) FROM outbox WHERE kind = 'patch' AND status = 'sent' AND claimed_by LIKE 'replica-1:%'`); err != nil {
			t.Fatal(err)
		}
		db1.Get(ctx, &by2, `SELECT COUNT(*) FROM outbox WHERE kind = 'patch' AND status = 'sent' AND claimed_by LIKE 'replica-2:%'`)
		t.Logf("%d changes, %d patches (%d by replica 1, %d by replica 2)", changes, len(p), by1, by2)
	}
}
