package feishutest_test

import (
	"encoding/json"
	"strings"
	"testing"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// TestContentSizeLimits: a card over 30 KB and a text over 150 KB are refused with 230025, as
// Feishu refuses them; content just under the limits goes through.
func TestContentSizeLimits(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)
	card := func(n int) string {
		b, _ := json.Marshal(map[string]any{"schema": "2.0", "body": map[string]any{"elements": []any{
			map[string]any{"tag": "markdown", "content": strings.Repeat("a", n)}}}})
		return string(b)
	}
	sendCard := func(content string) (*larkim.CreateMessageResp, error) {
		body := larkim.NewCreateMessageReqBodyBuilder().ReceiveId("ou_a").MsgType("interactive").Content(content).Build()
		return c.Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("open_id").Body(body).Build())
	}
	if resp, err := sendCard(card(20 << 10)); err != nil || !resp.Success() {
		t.Fatalf("a 20 KB card: %v %+v", err, resp)
	}
	if resp, err := sendCard(card(31 << 10)); err != nil || resp.Code != feishutest.CodeContentTooLarge {
		t.Fatalf("a 31 KB card: %v %+v, want 230025", err, resp)
	}
	if resp, err := send(ctx, c, "open_id", "ou_a", strings.Repeat("字", 40<<10), ""); err != nil || !resp.Success() {
		t.Fatalf("a 120 KB text: %v %+v", err, resp)
	}
	if resp, err := send(ctx, c, "open_id", "ou_a", strings.Repeat("字", 60<<10), ""); err != nil || resp.Code != feishutest.CodeContentTooLarge {
		t.Fatalf("a 180 KB text: %v %+v, want 230025", err, resp)
	}
}
