package roster

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

func fakeFeishu(t *testing.T) (*feishutest.Server, Resolver) {
	t.Helper()
	fake := feishutest.NewT(t)
	// The token cache stays on: without it the SDK never fetches a tenant token. Every fake
	// has its own app id, so fakes do not share cached tokens.
	client := lark.NewClient(fake.AppID(), fake.AppSecret(), lark.WithOpenBaseUrl(fake.URL()),
		lark.WithLogLevel(larkcore.LogLevelError))
	return fake, NewFeishuResolver(client)
}

func TestFeishuResolver(t *testing.T) {
	fake, res := fakeFeishu(t)
	fake.AddUser(feishutest.User{OpenID: "ou_a", Name: "甲", Email: "a@example.edu.cn"})
	fake.AddUser(feishutest.User{OpenID: "ou_b", Name: "乙", Mobile: "13800000002"})
	var emails, mobiles []string
	for i := 0; i < 60; i++ {
		emails = append(emails, fmt.Sprintf("x%d@example.edu.cn", i))
	}
	emails = append(emails, "A@Example.edu.cn") // case differs from the directory
	mobiles = append(mobiles, "13800000002", "13800000003")
	got, err := res.Resolve(ctx, emails, mobiles)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A@Example.edu.cn": "ou_a", "13800000002": "ou_b"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("resolved %v, want %v", got, want)
	}
	reqs := fake.RequestsFor(feishutest.OpBatchGetID)
	if len(reqs) != 2 {
		t.Fatalf("%d batch_get_id calls, want 2", len(reqs))
	}
	for i, r := range reqs {
		var body struct{ Emails, Mobiles []string }
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		if r.Query.Get("user_id_type") != "open_id" || len(body.Emails) > BatchSize || len(body.Mobiles) > BatchSize {
			t.Errorf("call %d: query %v, %d emails, %d mobiles", i, r.Query, len(body.Emails), len(body.Mobiles))
		}
	}
}

func TestFeishuResolverRetriesWhenRateLimited(t *testing.T) {
	fake, res := fakeFeishu(t)
	fake.AddUser(feishutest.User{OpenID: "ou_a", Email: "a@example.edu.cn"})
	fake.FailNext(feishutest.Match{Op: feishutest.OpBatchGetID}, 1, feishutest.RateLimited(0))
	start := time.Now()
	got, err := res.Resolve(ctx, []string{"a@example.edu.cn"}, nil)
	if err != nil || got["a@example.edu.cn"] != "ou_a" {
		t.Fatalf("got %v, %v", got, err)
	}
	if n := len(fake.RequestsFor(feishutest.OpBatchGetID)); n != 2 || time.Since(start) > 5*time.Second {
		t.Errorf("%d calls in %v", n, time.Since(start))
	}
}

func TestFeishuResolverNoScope(t *testing.T) {
	fake, res := fakeFeishu(t)
	fake.DenyContact(true)
	_, err := res.Resolve(ctx, []string{"a@example.edu.cn"}, nil)
	var fe *FeishuError
	if !errors.As(err, &fe) || fe.Code != CodeNoScope {
		t.Fatalf("err = %v, want a FeishuError with code %d", err, CodeNoScope)
	}
}

func TestImportThroughFakeFeishu(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake, res := fakeFeishu(t)
		fake.AddUser(feishutest.User{OpenID: "ou_ouyang", Name: "欧阳·娜娜", Email: "ouyang@example.edu.cn"})
		fake.AddUser(feishutest.User{OpenID: "ou_zhang", Name: "张三", Mobile: "13912345678"})
		rep := importFile(t, db, "名单.xlsx", goodXLSX(t), res, false)
		if got := countsOf(rep); got != (counts{Created: 3, Resolved: 2}) || len(rep.Warnings) != 0 {
			t.Fatalf("counts = %+v\n%s", got, rep)
		}
		if byNo(t, db, "000123").OpenID != "ou_ouyang" || byNo(t, db, "000456").OpenID != "ou_zhang" || byNo(t, db, "20230001").OpenID != "" {
			t.Errorf("open_ids not filled")
		}
		if n := len(fake.RequestsFor(feishutest.OpBatchGetID)); n != 1 {
			t.Errorf("%d batch_get_id calls, want 1", n)
		}
	})
}

func TestImportContactScopeDenied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake, res := fakeFeishu(t)
		fake.AddUser(feishutest.User{OpenID: "ou_ouyang", Email: "ouyang@example.edu.cn"})
		fake.DenyContact(true)
		rep := importFile(t, db, "名单.csv", []byte(goodCSV), res, false)
		if got := countsOf(rep); got != (counts{Created: 3}) {
			t.Errorf("counts = %+v", got)
		}
		if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "通讯录权限") || !strings.Contains(rep.String(), "首次给机器人发消息时自动关联") {
			t.Errorf("warnings = %q", rep.Warnings)
		}
		var linked int
		if err := db.Get(ctx, &linked, `SELECT COUNT(*) FROM members WHERE open_id IS NOT NULL`); err != nil || linked != 0 {
			t.Errorf("%d members linked, %v", linked, err)
		}
	})
}
