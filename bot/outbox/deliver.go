package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/store"
)

const (
	batchSendPath = "/open-apis/message/v4/batch_send/"
	maxFileBytes  = 30 << 20 // the platform's upload limit
)

// callClass says which limiters a platform call passes.
type callClass int

const (
	callMessage callClass = iota // send or reply: app, per-minute and receiver limits
	callPatch                    // card update: app and receiver (the patched message) limits
	callBatch                    // batch send: app limit and the batch lane's pace
	callUpload                   // file upload: app limit
)

// firstCall is the class of the first platform call a message makes.
func firstCall(kind string) callClass {
	switch kind {
	case store.OutboxPatch:
		return callPatch
	case store.OutboxBatch:
		return callBatch
	case store.OutboxFile:
		return callUpload
	}
	return callMessage
}

// gateFunc waits until a further call of the class may go (the first call's gate is passed
// before delivery starts).
type gateFunc func(ctx context.Context, c callClass) error

// deliver makes the platform calls for m. ctx is not cancelled by the worker's shutdown: a
// delivery that started finishes. Each call gets its own timeout.
func (w *Worker) deliver(ctx context.Context, m *store.OutboxMessage, gate gateFunc) (res callResult) {
	defer func() {
		if p := recover(); p != nil {
			res = callResult{panicked: fmt.Sprint(p)}
			w.log.Error("outbox: delivery panicked", "outbox_id", m.ID, "kind", m.Kind, "panic", clip(fmt.Sprint(p)))
		}
	}()
	if w.beforeDeliver != nil {
		w.beforeDeliver(m)
	}
	if m.Unreadable != "" { // sealed content that does not open is never sent (failed for good)
		return callResult{invalid: m.Unreadable}
	}
	switch m.Kind {
	case store.OutboxSend:
		return w.send(ctx, m.ReceiveIDType, m.ReceiveID, m.MsgType, m.Content, m.ID)
	case store.OutboxReply:
		return w.reply(ctx, m)
	case store.OutboxPatch:
		return w.patch(ctx, m)
	case store.OutboxFile:
		return w.sendFile(ctx, m, gate)
	case store.OutboxBatch:
		return w.batch(ctx, m)
	}
	return callResult{invalid: fmt.Sprintf("unknown outbox kind %q", m.Kind)}
}

func (w *Worker) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, w.cfg.RequestTimeout)
}

// fromAPI reads the status, headers, code and msg of an SDK answer.
func fromAPI(api *larkcore.ApiResp, code int, msg string) callResult {
	r := callResult{code: code, msg: msg}
	if api != nil {
		r.status, r.header = api.StatusCode, api.Header
	}
	return r
}

func (w *Worker) send(ctx context.Context, idType, receiveID, msgType, content, uuid string) callResult {
	ctx, cancel := w.callContext(ctx)
	defer cancel()
	req := larkim.NewCreateMessageReqBuilder().
		ReceiveIdType(idType).
		Body(larkim.NewCreateMessageReqBodyBuilder().
			ReceiveId(receiveID).
			MsgType(msgType).
			Content(content).
			Uuid(uuid).
			Build()).
		Build()
	resp, err := w.client.Im.V1.Message.Create(ctx, req)
	if err != nil {
		return callResult{err: err}
	}
	r := fromAPI(resp.ApiResp, resp.Code, resp.Msg)
	if resp.Data != nil && resp.Data.MessageId != nil {
		r.messageID = *resp.Data.MessageId
	}
	return r
}

func (w *Worker) reply(ctx context.Context, m *store.OutboxMessage) callResult {
	ctx, cancel := w.callContext(ctx)
	defer cancel()
	req := larkim.NewReplyMessageReqBuilder().
		MessageId(m.TargetMessageID).
		Body(larkim.NewReplyMessageReqBodyBuilder().
			MsgType(m.MsgType).
			Content(m.Content).
			Uuid(m.ID).
			Build()).
		Build()
	resp, err := w.client.Im.V1.Message.Reply(ctx, req)
	if err != nil {
		return callResult{err: err}
	}
	r := fromAPI(resp.ApiResp, resp.Code, resp.Msg)
	if resp.Data != nil && resp.Data.MessageId != nil {
		r.messageID = *resp.Data.MessageId
	}
	return r
}

func (w *Worker) patch(ctx context.Context, m *store.OutboxMessage) callResult {
	ctx, cancel := w.callContext(ctx)
	defer cancel()
	req := larkim.NewPatchMessageReqBuilder().
		MessageId(m.TargetMessageID).
		Body(larkim.NewPatchMessageReqBodyBuilder().Content(m.Content).Build()).
		Build()
	resp, err := w.client.Im.V1.Message.Patch(ctx, req)
	if err != nil {
		return callResult{err: err}
	}
	r := fromAPI(resp.ApiResp, resp.Code, resp.Msg)
	r.messageID = m.TargetMessageID
	return r
}

// namedReader gives the SDK's multipart writer the file name (it asks for Name()).
type namedReader struct {
	*bytes.Reader
	name string
}

func (r namedReader) Name() string { return r.name }

// fileType is the platform's file_type for a file name.
func fileType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xls", ".xlsx":
		return "xls"
	case ".pdf":
		return "pdf"
	case ".doc", ".docx":
		return "doc"
	case ".ppt", ".pptx":
		return "ppt"
	}
	return "stream"
}

// sendFile uploads the file, then sends it as a "file" message with the outbox id as uuid. A
// retry uploads again (the store has nowhere to keep the file_key); the uuid still makes the
// message itself go out once.
func (w *Worker) sendFile(ctx context.Context, m *store.OutboxMessage, gate gateFunc) callResult {
	switch {
	case len(m.FileData) == 0:
		return callResult{invalid: "the file is empty"}
	case len(m.FileData) > maxFileBytes:
		return callResult{invalid: fmt.Sprintf("the file is %d bytes, more than the platform's 30 MB", len(m.FileData))}
	}
	name := m.FileName
	if name == "" {
		name = "file"
	}
	uctx, cancel := w.callContext(ctx)
	defer cancel()
	req := larkim.NewCreateFileReqBuilder().
		Body(larkim.NewCreateFileReqBodyBuilder().
			FileType(fileType(name)).
			FileName(name).
			File(namedReader{Reader: bytes.NewReader(m.FileData), name: name}).
			Build()).
		Build()
	resp, err := w.client.Im.V1.File.Create(uctx, req)
	if err != nil {
		return callResult{err: err}
	}
	if !resp.Success() || resp.StatusCode >= 300 || resp.Data == nil || resp.Data.FileKey == nil {
		r := fromAPI(resp.ApiResp, resp.Code, resp.Msg)
		if r.code == 0 && r.status < 300 {
			r.err = fmt.Errorf("file upload answered without a file_key")
		}
		return r
	}
	content, _ := json.Marshal(map[string]string{"file_key": *resp.Data.FileKey})
	if err := gate(ctx, callMessage); err != nil {
		return callResult{err: fmt.Errorf("waiting for the rate limiter: %w", err)}
	}
	return w.send(ctx, m.ReceiveIDType, m.ReceiveID, "file", string(content), m.ID)
}

// batch posts the stored batch_send body. The endpoint is not wrapped by the SDK, so the
// answer is decoded here.
func (w *Worker) batch(ctx context.Context, m *store.OutboxMessage) callResult {
	if !json.Valid([]byte(m.Content)) {
		return callResult{invalid: "the batch_send body is not valid JSON"}
	}
	ctx, cancel := w.callContext(ctx)
	defer cancel()
	resp, err := w.client.Post(ctx, batchSendPath, json.RawMessage(m.Content), larkcore.AccessTokenTypeTenant)
	if err != nil {
		return callResult{err: err}
	}
	var body struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Data struct {
			MessageID      string   `json:"message_id"`
			InvalidOpenIDs []string `json:"invalid_open_ids"`
		} `json:"data"`
	}
	r := callResult{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(resp.RawBody, &body); err != nil {
		if resp.StatusCode < 300 {
			r.err = fmt.Errorf("batch_send answered HTTP %d with a body that is not JSON", resp.StatusCode)
		}
		return r
	}
	r.code, r.msg, r.messageID = body.Code, body.Msg, body.Data.MessageID
	if n := len(body.Data.InvalidOpenIDs); n > 0 && r.code == 0 {
		w.log.Warn("outbox: batch send skipped invalid open_ids", "outbox_id", m.ID, "invalid", n)
	}
	return r
}
