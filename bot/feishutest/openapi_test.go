package feishutest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/bot/feishutest"
)

func newClient(s *feishutest.Server, opts ...lark.ClientOptionFunc) *lark.Client {
	opts = append([]lark.ClientOptionFunc{
		lark.WithOpenBaseUrl(s.URL()),
		lark.WithLogLevel(larkcore.LogLevelError),
		lark.WithReqTimeout(10 * time.Second),
	}, opts...)
	return lark.NewClient(s.AppID(), s.AppSecret(), opts...)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func textContent(s string) string {
	b, _ := json.Marshal(map[string]string{"text": s})
	return string(b)
}

func send(ctx context.Context, c *lark.Client, idType, to, text, uuid string) (*larkim.CreateMessageResp, error) {
	body := larkim.NewCreateMessageReqBodyBuilder().ReceiveId(to).MsgType("text").Content(textContent(text))
	if uuid != "" {
		body = body.Uuid(uuid)
	}
	return c.Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType(idType).Body(body.Build()).Build())
}

func TestSendAndReadBack(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)

	resp, err := send(ctx, c, "open_id", "ou_alice", "hello", "")
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Success() || resp.Data == nil || resp.Data.MessageId == nil || !strings.HasPrefix(*resp.Data.MessageId, "om_") {
		t.Fatalf("bad response: code=%d msg=%s data=%+v", resp.Code, resp.Msg, resp.Data)
	}
	if resp.Data.ChatId == nil || *resp.Data.ChatId == "" || resp.Data.Body == nil || *resp.Data.Body.Content != textContent("hello") {
		t.Fatalf("message object incomplete: %s", larkcore.Prettify(resp.Data))
	}
	msgs, err := s.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.Kind != feishutest.KindSend || m.ReceiveIDType != "open_id" || m.ReceiveID != "ou_alice" ||
		m.MsgType != "text" || m.Content != textContent("hello") || m.MessageID != *resp.Data.MessageId {
		t.Fatalf("recorded %+v", m)
	}
	if got := s.MessagesTo("ou_alice"); len(got) != 1 {
		t.Fatalf("MessagesTo: %d", len(got))
	}
	if got := s.MessagesTo("ou_bob"); len(got) != 0 {
		t.Fatalf("MessagesTo(bob): %d", len(got))
	}
	// One token call and one send, both recorded with their answers.
	if tok := s.RequestsFor(feishutest.OpToken); len(tok) != 1 || tok[0].Status != 200 {
		t.Fatalf("token requests: %+v", tok)
	}
	sends := s.RequestsFor(feishutest.OpSend)
	if len(sends) != 1 || sends[0].Query.Get("receive_id_type") != "open_id" ||
		!strings.HasPrefix(sends[0].Header.Get("Authorization"), "Bearer t-") || !bytes.Contains(sends[0].Body, []byte("ou_alice")) {
		t.Fatalf("send requests: %+v", sends)
	}

	s.Reset()
	if len(s.Messages()) != 0 || len(s.Requests()) != 0 {
		t.Fatal("Reset did not clear")
	}
}

func TestWaitMessagesBlocksUntilDelivered(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)

	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.WaitMessages(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}

	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(10 * time.Millisecond)
			if _, err := send(ctx, c, "chat_id", "oc_group", fmt.Sprint("n", i), ""); err != nil {
				t.Error(err)
			}
		}()
	}
	msgs, err := s.WaitMessages(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[0].ChatID != "oc_group" {
		t.Fatalf("got %+v", msgs)
	}
	wg.Wait()
}

func TestUUIDDeduplication(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)

	r1, err := send(ctx, c, "open_id", "ou_alice", "once", "reminder-42")
	if err != nil || !r1.Success() {
		t.Fatal(err, r1)
	}
	r2, err := send(ctx, c, "open_id", "ou_alice", "once", "reminder-42")
	if err != nil || !r2.Success() {
		t.Fatal(err, r2)
	}
	if *r1.Data.MessageId != *r2.Data.MessageId {
		t.Fatalf("duplicate uuid got a new message id: %s vs %s", *r1.Data.MessageId, *r2.Data.MessageId)
	}
	if n := len(s.Messages()); n != 1 {
		t.Fatalf("delivered %d messages, want 1", n)
	}
	if s.DuplicateUUIDs() != 1 || len(s.RequestsFor(feishutest.OpSend)) != 2 {
		t.Fatalf("dups=%d sends=%d", s.DuplicateUUIDs(), len(s.RequestsFor(feishutest.OpSend)))
	}

	// Replies share the uuid space.
	reply := func(uuid string) *larkim.ReplyMessageResp {
		t.Helper()
		resp, err := c.Im.V1.Message.Reply(ctx, larkim.NewReplyMessageReqBuilder().MessageId(*r1.Data.MessageId).
			Body(larkim.NewReplyMessageReqBodyBuilder().MsgType("text").Content(textContent("re")).Uuid(uuid).Build()).Build())
		if err != nil || !resp.Success() {
			t.Fatal(err, resp)
		}
		return resp
	}
	a, b := reply("r-1"), reply("r-1")
	if *a.Data.MessageId != *b.Data.MessageId || *a.Data.ParentId != *r1.Data.MessageId {
		t.Fatalf("reply dedup: %s %s", larkcore.Prettify(a.Data), larkcore.Prettify(b.Data))
	}
	if s.DuplicateUUIDs() != 2 || len(s.Messages()) != 2 {
		t.Fatalf("dups=%d msgs=%d", s.DuplicateUUIDs(), len(s.Messages()))
	}

	// uuid longer than 50 characters is refused like the real API.
	resp, err := send(ctx, c, "open_id", "ou_alice", "x", strings.Repeat("u", 51))
	if err != nil || resp.Code != feishutest.CodeFieldValidation {
		t.Fatalf("long uuid: %v %+v", err, resp.CodeError)
	}
}

func TestFaultsSurfaceThroughSDK(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)

	s.FailNext(feishutest.Match{Op: feishutest.OpSend}, 1, feishutest.RateLimited(7))
	resp, err := send(ctx, c, "open_id", "ou_a", "x", "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Success() || resp.Code != 99991400 || resp.StatusCode != 429 || resp.Header.Get("x-ogw-ratelimit-reset") != "7" {
		t.Fatalf("429: code=%d status=%d hdr=%v", resp.Code, resp.StatusCode, resp.Header)
	}

	s.FailNext(feishutest.Match{Method: "POST", Path: "/open-apis/im/v1/messages"}, 1, feishutest.ChatLimited())
	resp, err = send(ctx, c, "open_id", "ou_a", "x", "")
	if err != nil || resp.Code != 230020 || resp.StatusCode != 400 {
		t.Fatalf("230020: %v %d %d", err, resp.Code, resp.StatusCode)
	}

	s.FailNext(feishutest.Match{}, 1, feishutest.ServerError())
	resp, err = send(ctx, c, "open_id", "ou_a", "x", "")
	if err != nil || resp.Code != 1 || resp.StatusCode != 500 {
		t.Fatalf("500: %v %+v", err, resp)
	}

	s.FailNext(feishutest.Match{}, 1, feishutest.Unavailable())
	resp, err = send(ctx, c, "open_id", "ou_a", "x", "")
	if err != nil || resp.Code != 1 || resp.StatusCode != 503 {
		t.Fatalf("503: %v %+v", err, resp)
	}

	s.FailNext(feishutest.Match{}, 1, feishutest.GatewayTimeout())
	resp, err = send(ctx, c, "open_id", "ou_a", "x", "")
	var timeout *larkcore.ServerTimeoutError
	if !errors.As(err, &timeout) || resp != nil {
		t.Fatalf("504 should be a Go error: %T %v %v", err, err, resp)
	}

	s.FailReceiver("ou_blocked", -1, feishutest.Permanent(230053))
	for range 2 {
		resp, err = send(ctx, c, "open_id", "ou_blocked", "x", "")
		if err != nil || resp.Code != 230053 {
			t.Fatalf("230053: %v %+v", err, resp)
		}
	}
	s.FailReceiver("ou_gone", 1, feishutest.Permanent(230013))
	if resp, _ = send(ctx, c, "open_id", "ou_gone", "x", ""); resp.Code != 230013 {
		t.Fatalf("230013: %+v", resp.CodeError)
	}

	// A non-JSON error page: the SDK cannot decode it, so it is a Go error.
	s.FailNext(feishutest.Match{Op: feishutest.OpSend}, 1, feishutest.Fault{HTTPStatus: 502, Body: []byte("<html>bad gateway</html>")})
	if _, err = send(ctx, c, "open_id", "ou_a", "x", ""); err == nil {
		t.Fatal("HTML 502 should fail to decode")
	}

	// A delay-only fault serves the request normally after the delay.
	s.FailNext(feishutest.Match{Op: feishutest.OpSend}, 1, feishutest.Fault{Delay: 50 * time.Millisecond})
	start := time.Now()
	resp, err = send(ctx, c, "open_id", "ou_a", "slow", "")
	if err != nil || !resp.Success() || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("delay: %v %+v %v", err, resp, time.Since(start))
	}

	// Only the last send was delivered; faulted ones are recorded as requests.
	if msgs := s.Messages(); len(msgs) != 1 || msgs[0].Content != textContent("slow") {
		t.Fatalf("delivered %+v", msgs)
	}
	faulted := 0
	for _, r := range s.RequestsFor(feishutest.OpSend) {
		if r.Fault {
			faulted++
		}
	}
	if faulted != 9 {
		t.Fatalf("faulted sends = %d, want 9", faulted)
	}

	// Faults never hit the token call unless asked to.
	// (A fresh server, hence a fresh app id: the SDK caches tokens per app.)
	s2 := feishutest.NewT(t)
	s2.FailNext(feishutest.Match{}, -1, feishutest.ServerError())
	s2.FailNext(feishutest.Match{Op: feishutest.OpToken}, 1, feishutest.ServerError())
	var ce larkcore.CodeError
	if _, err = send(ctx, newClient(s2), "open_id", "ou_a", "x", ""); !errors.As(err, &ce) || ce.Code != 1 {
		t.Fatalf("token fault should fail the call with a Go error: %v", err)
	}
	if n := len(s2.RequestsFor(feishutest.OpSend)); n != 0 {
		t.Fatalf("send reached the server without a token: %d", n)
	}
}

func TestLatency(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)
	if _, err := send(ctx, c, "open_id", "ou_a", "warm", ""); err != nil {
		t.Fatal(err)
	}
	s.SetLatency(80 * time.Millisecond)
	start := time.Now()
	if _, err := send(ctx, c, "open_id", "ou_a", "x", ""); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Fatalf("latency not applied: %v", d)
	}
}

func TestLimits(t *testing.T) {
	s := feishutest.NewT(t, feishutest.WithLimits(8, 3))
	c := newClient(s)
	ctx := ctxT(t)

	var codes []int
	for range 4 {
		resp, err := send(ctx, c, "open_id", "ou_same", "x", "")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.Code)
	}
	if fmt.Sprint(codes) != "[0 0 0 230020]" {
		t.Fatalf("per-receiver limit: %v", codes)
	}
	var last *larkim.CreateMessageResp
	for i := range 6 {
		resp, err := send(ctx, c, "open_id", fmt.Sprint("ou_", i), "x", "")
		if err != nil {
			t.Fatal(err)
		}
		last = resp
	}
	// 3 + 5 accepted = 8 in the window; the 6th distinct send is throttled.
	if last.Code != 99991400 || last.StatusCode != 429 || last.Header.Get("x-ogw-ratelimit-reset") == "" {
		t.Fatalf("app limit: code=%d status=%d hdr=%v", last.Code, last.StatusCode, last.Header)
	}
	if s.Throttled() != 2 || len(s.Messages()) != 8 {
		t.Fatalf("throttled=%d delivered=%d", s.Throttled(), len(s.Messages()))
	}
}

func TestMinuteLimit(t *testing.T) {
	s := feishutest.NewT(t, feishutest.WithMinuteLimit(5))
	c := newClient(s)
	ctx := ctxT(t)
	var codes []int
	for i := range 7 {
		resp, err := send(ctx, c, "open_id", fmt.Sprint("ou_", i), "x", "")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.Code)
	}
	if fmt.Sprint(codes) != "[0 0 0 0 0 99991400 99991400]" {
		t.Fatalf("minute limit: %v", codes)
	}
	if s.Throttled() != 2 || len(s.Messages()) != 5 {
		t.Fatalf("throttled=%d delivered=%d", s.Throttled(), len(s.Messages()))
	}
}

func TestReplyPatchBatchAndCardUpdate(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)

	card := `{"schema":"2.0","config":{"update_multi":true},"body":{"elements":[]}}`
	created, err := c.Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("chat_id").
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId("oc_1").MsgType("interactive").Content(card).Build()).Build())
	if err != nil || !created.Success() {
		t.Fatal(err, created)
	}
	id := *created.Data.MessageId

	rep, err := c.Im.V1.Message.Reply(ctx, larkim.NewReplyMessageReqBuilder().MessageId(id).
		Body(larkim.NewReplyMessageReqBodyBuilder().MsgType("text").Content(textContent("in thread")).ReplyInThread(true).Build()).Build())
	if err != nil || !rep.Success() || *rep.Data.ChatId != "oc_1" || rep.Data.ThreadId == nil {
		t.Fatal(err, larkcore.Prettify(rep))
	}

	patched := strings.Replace(card, "[]", `[{"tag":"markdown","content":"done"}]`, 1)
	pr, err := c.Im.V1.Message.Patch(ctx, larkim.NewPatchMessageReqBuilder().MessageId(id).
		Body(larkim.NewPatchMessageReqBodyBuilder().Content(patched).Build()).Build())
	if err != nil || !pr.Success() {
		t.Fatal(err, pr)
	}

	// Bad card JSON is refused with 230099.
	bad, err := c.Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("chat_id").
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId("oc_1").MsgType("interactive").Content("{not json").Build()).Build())
	if err != nil || bad.Code != 230099 {
		t.Fatal(err, bad.CodeError)
	}

	// batch_send through the raw client.
	raw, err := c.Post(ctx, "/open-apis/message/v4/batch_send/", map[string]any{
		"msg_type": "text",
		"content":  map[string]string{"text": "notice"},
		"open_ids": []string{"ou_1", "ou_2", "bad-id"},
	}, larkcore.AccessTokenTypeTenant)
	if err != nil {
		t.Fatal(err)
	}
	var batch struct {
		Code int `json:"code"`
		Data struct {
			MessageID      string   `json:"message_id"`
			InvalidOpenIDs []string `json:"invalid_open_ids"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw.RawBody, &batch); err != nil || batch.Code != 0 ||
		!strings.HasPrefix(batch.Data.MessageID, "bm-") || fmt.Sprint(batch.Data.InvalidOpenIDs) != "[bad-id]" {
		t.Fatalf("batch: %v %s", err, raw.RawBody)
	}
	tooMany := make([]string, 201)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint("ou_", i)
	}
	raw, err = c.Post(ctx, "/open-apis/message/v4/batch_send/", map[string]any{
		"msg_type": "text", "content": map[string]string{"text": "x"}, "open_ids": tooMany,
	}, larkcore.AccessTokenTypeTenant)
	if err != nil || !bytes.Contains(raw.RawBody, []byte("99992402")) {
		t.Fatalf("201 ids: %v %s", err, raw.RawBody)
	}

	// Delayed card update: two uses per token.
	for i := range 3 {
		raw, err = c.Post(ctx, "/open-apis/interactive/v1/card/update", map[string]any{
			"token": "c-abc", "card": json.RawMessage(patched),
		}, larkcore.AccessTokenTypeTenant)
		if err != nil {
			t.Fatal(err)
		}
		var r larkcore.CodeError
		_ = json.Unmarshal(raw.RawBody, &r)
		if (i < 2) != (r.Code == 0) {
			t.Fatalf("card update %d: %s", i, raw.RawBody)
		}
	}

	var kinds []string
	for _, m := range s.Messages() {
		kinds = append(kinds, m.Kind)
	}
	if fmt.Sprint(kinds) != "[send reply patch batch batch card_update card_update]" {
		t.Fatalf("kinds %v", kinds)
	}
	msgs := s.Messages()
	if msgs[2].ReceiveID != id || msgs[2].Content != patched || msgs[3].ReceiveID != "ou_1" ||
		msgs[3].Content != `{"text":"notice"}` || msgs[5].ReceiveID != "c-abc" || !msgs[1].ReplyInThread {
		t.Fatalf("recorded %+v", msgs)
	}
}

func TestUploadsAndResources(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)

	data := []byte("PK\x03\x04 fake xlsx bytes")
	fr, err := c.Im.V1.File.Create(ctx, larkim.NewCreateFileReqBuilder().Body(larkim.NewCreateFileReqBodyBuilder().
		FileType("xls").FileName("report.xlsx").File(bytes.NewReader(data)).Build()).Build())
	if err != nil || !fr.Success() || !strings.HasPrefix(*fr.Data.FileKey, "file_v3_") {
		t.Fatal(err, larkcore.Prettify(fr))
	}
	if got := s.File(*fr.Data.FileKey); !bytes.Equal(got, data) {
		t.Fatalf("uploaded bytes %q", got)
	}
	ups := s.Uploads()
	if len(ups) != 1 || ups[0].FileName != "report.xlsx" || ups[0].FileType != "xls" || ups[0].Image {
		t.Fatalf("uploads %+v", ups)
	}

	ir, err := c.Im.V1.Image.Create(ctx, larkim.NewCreateImageReqBuilder().Body(larkim.NewCreateImageReqBodyBuilder().
		ImageType("message").Image(bytes.NewReader([]byte("\x89PNG"))).Build()).Build())
	if err != nil || !ir.Success() || !strings.HasPrefix(*ir.Data.ImageKey, "img_v3_") {
		t.Fatal(err, larkcore.Prettify(ir))
	}
	if !bytes.Equal(s.File(*ir.Data.ImageKey), []byte("\x89PNG")) {
		t.Fatal("image bytes")
	}

	s.AddNamedResource("om_in", "file_in", "roster.xlsx", []byte("roster"))
	rr, err := c.Im.V1.MessageResource.Get(ctx, larkim.NewGetMessageResourceReqBuilder().MessageId("om_in").FileKey("file_in").Type("file").Build())
	if err != nil || !rr.Success() {
		t.Fatal(err, rr)
	}
	got, _ := io.ReadAll(rr.File)
	if string(got) != "roster" || rr.FileName != "roster.xlsx" {
		t.Fatalf("resource %q %q", got, rr.FileName)
	}
	rr, err = c.Im.V1.MessageResource.Get(ctx, larkim.NewGetMessageResourceReqBuilder().MessageId("om_in").FileKey("nope").Type("file").Build())
	if err != nil || rr.Success() || rr.Code != feishutest.CodeResourceNotFound {
		t.Fatal(err, rr.CodeError)
	}
}

func TestContact(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)
	s.AddUser(feishutest.User{OpenID: "ou_ann", UnionID: "on_ann", UserID: "u1", Name: "Ann", EmployeeNo: "E001",
		Email: "ann@uni.edu", Mobile: "+8613800000000", DepartmentIDs: []string{"od_math"}})

	br, err := c.Contact.V3.User.BatchGetId(ctx, larkcontact.NewBatchGetIdUserReqBuilder().UserIdType("open_id").
		Body(larkcontact.NewBatchGetIdUserReqBodyBuilder().Emails([]string{"ann@uni.edu", "nobody@uni.edu"}).
			Mobiles([]string{"+8613800000000"}).Build()).Build())
	if err != nil || !br.Success() {
		t.Fatal(err, br)
	}
	l := br.Data.UserList
	if len(l) != 3 || l[0].UserId == nil || *l[0].UserId != "ou_ann" || *l[0].Email != "ann@uni.edu" ||
		l[1].UserId != nil || *l[1].Email != "nobody@uni.edu" || *l[2].UserId != "ou_ann" {
		t.Fatalf("user_list %s", larkcore.Prettify(l))
	}

	gr, err := c.Contact.V3.User.Get(ctx, larkcontact.NewGetUserReqBuilder().UserId("ou_ann").UserIdType("open_id").Build())
	if err != nil || !gr.Success() || *gr.Data.User.Name != "Ann" || *gr.Data.User.EmployeeNo != "E001" ||
		gr.Data.User.DepartmentIds[0] != "od_math" {
		t.Fatal(err, larkcore.Prettify(gr))
	}
	gr, err = c.Contact.V3.User.Get(ctx, larkcontact.NewGetUserReqBuilder().UserId("ou_nobody").UserIdType("open_id").Build())
	if err != nil || gr.Code != feishutest.CodeNoSuchUser {
		t.Fatal(err, gr.CodeError)
	}

	emails := make([]string, 51)
	for i := range emails {
		emails[i] = fmt.Sprintf("u%d@uni.edu", i)
	}
	br, err = c.Contact.V3.User.BatchGetId(ctx, larkcontact.NewBatchGetIdUserReqBuilder().UserIdType("open_id").
		Body(larkcontact.NewBatchGetIdUserReqBodyBuilder().Emails(emails).Build()).Build())
	if err != nil || br.Code != feishutest.CodeFieldValidation {
		t.Fatal(err, br.CodeError)
	}

	s.DenyContact(true)
	gr, err = c.Contact.V3.User.Get(ctx, larkcontact.NewGetUserReqBuilder().UserId("ou_ann").UserIdType("open_id").Build())
	if err != nil || gr.Code != feishutest.CodeNoScope || gr.StatusCode != http.StatusBadRequest {
		t.Fatal(err, gr.CodeError, gr.StatusCode)
	}
	br, err = c.Contact.V3.User.BatchGetId(ctx, larkcontact.NewBatchGetIdUserReqBuilder().UserIdType("open_id").
		Body(larkcontact.NewBatchGetIdUserReqBodyBuilder().Emails([]string{"ann@uni.edu"}).Build()).Build())
	if err != nil || br.Code != feishutest.CodeNoScope {
		t.Fatal(err, br.CodeError)
	}
}

func TestAuth(t *testing.T) {
	s := feishutest.NewT(t, feishutest.WithApp("cli_auth_test_"+fmt.Sprint(time.Now().UnixNano()), "right"))
	ctx := ctxT(t)

	// Wrong secret: the token call fails and the API call returns a Go error.
	bad := lark.NewClient(s.AppID(), "wrong", lark.WithOpenBaseUrl(s.URL()), lark.WithLogLevel(larkcore.LogLevelError))
	_, err := send(ctx, bad, "open_id", "ou_a", "x", "")
	var ce larkcore.CodeError
	if !errors.As(err, &ce) || ce.Code != feishutest.CodeAppSecretInvalid {
		t.Fatalf("wrong secret: %T %v", err, err)
	}

	// WithEnableTokenCache(false) sends no Authorization header at all unless
	// the token is passed per request.
	noCache := newClient(s, lark.WithEnableTokenCache(false))
	resp, err := send(ctx, noCache, "open_id", "ou_a", "x", "")
	if err != nil || resp.Code != feishutest.CodeInvalidAccessToken {
		t.Fatalf("no token: %v %+v", err, resp)
	}

	good := newClient(s)
	if resp, err = send(ctx, good, "open_id", "ou_a", "x", ""); err != nil || !resp.Success() {
		t.Fatal(err, resp)
	}
	// A revoked token: the SDK retries once with the same cached token.
	s.Reset()
	s.RevokeTokens()
	if resp, err = send(ctx, good, "open_id", "ou_a", "x", ""); err != nil || resp.Code != feishutest.CodeInvalidAccessToken {
		t.Fatal(err, resp)
	}
	if n := len(s.RequestsFor(feishutest.OpSend)); n != 2 {
		t.Fatalf("sends after revoke = %d, want 2 (one SDK retry)", n)
	}
	if n := len(s.RequestsFor(feishutest.OpToken)); n != 0 {
		t.Fatalf("the SDK fetched a new token (%d calls)", n)
	}
}

func TestUnknownEndpoint(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)
	raw, err := c.Get(ctx, "/open-apis/im/v1/nope", nil, larkcore.AccessTokenTypeTenant)
	if err != nil || raw.StatusCode != 404 || !strings.Contains(raw.Header.Get("Content-Type"), "application/json") {
		t.Fatal(err, raw)
	}
	var ce larkcore.CodeError
	if err := json.Unmarshal(raw.RawBody, &ce); err != nil || ce.Code != 1 {
		t.Fatalf("%s", raw.RawBody)
	}
	if r := s.RequestsFor(feishutest.OpUnknown); len(r) != 1 || r[0].Status != 404 {
		t.Fatalf("%+v", r)
	}
}

// TestPatchRules: the fake refuses what Feishu refuses when updating a message: a sixth update
// of one message within a second (230020), and any update 14 days after the message was sent
// (230031), by its settable clock.
func TestPatchRules(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)
	var mu sync.Mutex
	now := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	move := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	card := `{"schema":"2.0","config":{"update_multi":true},"body":{"elements":[]}}`
	post := func() string {
		t.Helper()
		created, err := c.Im.V1.Message.Create(ctx, larkim.NewCreateMessageReqBuilder().ReceiveIdType("chat_id").
			Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId("oc_1").MsgType("interactive").Content(card).Build()).Build())
		if err != nil || !created.Success() {
			t.Fatal(err, created)
		}
		return *created.Data.MessageId
	}
	patch := func(id string) int {
		t.Helper()
		pr, err := c.Im.V1.Message.Patch(ctx, larkim.NewPatchMessageReqBuilder().MessageId(id).
			Body(larkim.NewPatchMessageReqBodyBuilder().Content(card).Build()).Build())
		if err != nil {
			t.Fatal(err)
		}
		return pr.Code
	}
	id, other := post(), post()
	for i := range 5 {
		if code := patch(id); code != 0 {
			t.Fatalf("update %d: code %d", i+1, code)
		}
		move(100 * time.Millisecond)
	}
	if code := patch(id); code != feishutest.CodeChatRateLimited {
		t.Errorf("a sixth update within a second: code %d, want %d", code, feishutest.CodeChatRateLimited)
	}
	if code := patch(other); code != 0 {
		t.Errorf("another message's update: code %d", code)
	}
	move(600 * time.Millisecond)
	if code := patch(id); code != 0 {
		t.Errorf("an update a second after the first: code %d", code)
	}
	if s.Throttled() != 1 {
		t.Errorf("Throttled = %d, want 1", s.Throttled())
	}
	move(14*24*time.Hour - 2*time.Second)
	if code := patch(id); code != 0 {
		t.Errorf("an update just within 14 days: code %d", code)
	}
	move(time.Hour)
	if code := patch(id); code != feishutest.CodeMessageTooOld {
		t.Errorf("an update after 14 days: code %d, want %d", code, feishutest.CodeMessageTooOld)
	}
	if fresh := post(); patch(fresh) != 0 {
		t.Error("a new message cannot be updated")
	}
}

// TestDroppedFault: a Dropped fault closes the connection without an answer and delivers
// nothing; the next call goes through.
func TestDroppedFault(t *testing.T) {
	s := feishutest.NewT(t)
	c := newClient(s)
	ctx := ctxT(t)
	s.FailNext(feishutest.Match{Op: feishutest.OpSend}, 1, feishutest.Dropped())
	if _, err := send(ctx, c, "open_id", "ou_x", "hi", "u-drop"); err == nil {
		t.Fatal("a dropped call answered")
	}
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("%d messages delivered by a dropped call", n)
	}
	resp, err := send(ctx, c, "open_id", "ou_x", "hi", "u-drop")
	if err != nil || !resp.Success() {
		t.Fatalf("next call: %v %v", resp, err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Fatalf("%d messages after the next call, want 1", n)
	}
}
