package feishutest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var receiveIDTypes = map[string]bool{"open_id": true, "user_id": true, "union_id": true, "email": true, "chat_id": true}

// messageObject is the message the send and reply calls answer with.
type messageObject struct {
	MessageID      string        `json:"message_id"`
	RootID         string        `json:"root_id,omitempty"`
	ParentID       string        `json:"parent_id,omitempty"`
	ThreadID       string        `json:"thread_id,omitempty"`
	MsgType        string        `json:"msg_type"`
	CreateTime     string        `json:"create_time"`
	UpdateTime     string        `json:"update_time"`
	Deleted        bool          `json:"deleted"`
	Updated        bool          `json:"updated"`
	ChatID         string        `json:"chat_id"`
	Sender         messageSender `json:"sender"`
	Body           messageBody   `json:"body"`
	Mentions       []any         `json:"mentions,omitempty"`
	UpperMessageID string        `json:"upper_message_id,omitempty"`
}

type messageSender struct {
	ID         string `json:"id"`
	IDType     string `json:"id_type"`
	SenderType string `json:"sender_type"`
	TenantKey  string `json:"tenant_key"`
}

type messageBody struct {
	Content string `json:"content"`
}

const fakeTenantKey = "736588c9260f175e"

// validateContent checks content against msg_type the way the platform does,
// roughly: it must be a JSON object, within the size limits.
func validateContent(msgType, content string) (reply, bool) {
	if msgType == "" || content == "" {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: msg_type and content are required"), false
	}
	limit := maxTextContentBytes
	if msgType == "interactive" {
		limit = maxCardContentBytes
	}
	if len(content) > limit {
		return errReply(http.StatusBadRequest, CodeContentTooLarge, fmt.Sprintf("The message content is too large: %d bytes > %d", len(content), limit)), false
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(content), &obj); err != nil {
		if msgType == "interactive" {
			return errReply(http.StatusBadRequest, CodeBadCard, "Failed to create card content, ext=ErrCode: 200621; ErrMsg: parse card json err"), false
		}
		return errReply(http.StatusBadRequest, CodeInvalidContent, "invalid message content: "+err.Error()), false
	}
	if msgType == "text" {
		if _, ok := obj["text"].(string); !ok {
			return errReply(http.StatusBadRequest, CodeInvalidContent, `invalid message content: text content needs a "text" string`), false
		}
	}
	return reply{}, true
}

// p2pChatID is a stable fake chat id for a one-to-one chat with receiveID.
func p2pChatID(receiveID string) string {
	sum := sha256.Sum256([]byte(receiveID))
	return "oc_" + hex.EncodeToString(sum[:16])
}

// throttleLocked applies WithLimits to one send or reply. s.mu must be held.
func (s *Server) throttleLocked(receiverKey string) (reply, bool) {
	if s.appLimit <= 0 && s.receiverLimit <= 0 && s.minuteLimit <= 0 {
		return reply{}, true
	}
	now := s.now()
	prune := func(ts []time.Time, span time.Duration) []time.Time {
		cut := now.Add(-span)
		i := 0
		for i < len(ts) && !ts[i].After(cut) {
			i++
		}
		return ts[i:]
	}
	s.appWindow = prune(s.appWindow, time.Second)
	s.minuteWindow = prune(s.minuteWindow, time.Minute)
	rw := prune(s.receiverWindow[receiverKey], time.Second)
	s.receiverWindow[receiverKey] = rw
	if s.minuteLimit > 0 && len(s.minuteWindow) >= s.minuteLimit {
		s.throttled++
		wait := s.minuteWindow[0].Add(time.Minute).Sub(now)
		rep := errReply(http.StatusTooManyRequests, CodeRateLimited, "request trigger frequency limit")
		rep.header = map[string]string{
			"x-ogw-ratelimit-limit": strconv.Itoa(s.minuteLimit),
			"x-ogw-ratelimit-reset": strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))),
		}
		return rep, false
	}
	if s.appLimit > 0 && len(s.appWindow) >= s.appLimit {
		s.throttled++
		wait := s.appWindow[0].Add(time.Second).Sub(now)
		reset := int((wait + time.Second - 1) / time.Second)
		if reset < 1 {
			reset = 1
		}
		rep := errReply(http.StatusTooManyRequests, CodeRateLimited, "request trigger frequency limit")
		rep.header = map[string]string{
			"x-ogw-ratelimit-limit": strconv.Itoa(s.appLimit),
			"x-ogw-ratelimit-reset": strconv.Itoa(reset),
		}
		return rep, false
	}
	if s.receiverLimit > 0 && len(rw) >= s.receiverLimit {
		s.throttled++
		return errReply(http.StatusBadRequest, CodeChatRateLimited, "The message sending frequency of this chat or user exceeds the limit"), false
	}
	s.appWindow = append(s.appWindow, now)
	if s.minuteLimit > 0 {
		s.minuteWindow = append(s.minuteWindow, now)
	}
	s.receiverWindow[receiverKey] = append(rw, now)
	return reply{}, true
}

func (s *Server) handleSend(q url.Values, body []byte) reply {
	var b struct {
		ReceiveID string `json:"receive_id"`
		MsgType   string `json:"msg_type"`
		Content   string `json:"content"`
		UUID      string `json:"uuid"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad JSON body")
	}
	idType := q.Get("receive_id_type")
	if !receiveIDTypes[idType] {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: receive_id_type must be open_id, user_id, union_id, email or chat_id")
	}
	if b.ReceiveID == "" {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: receive_id is required")
	}
	if len(b.UUID) > maxUUIDLen {
		return errReply(http.StatusBadRequest, CodeFieldValidation, fmt.Sprintf("field validation failed: uuid longer than %d characters", maxUUIDLen))
	}
	if rep, ok := validateContent(b.MsgType, b.Content); !ok {
		return rep
	}
	if rep, ok := s.checkCard(b.MsgType, []byte(b.Content)); !ok {
		return rep
	}
	chatID := b.ReceiveID
	if idType != "chat_id" {
		chatID = p2pChatID(idType + ":" + b.ReceiveID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.availableLocked(idType, b.ReceiveID) {
		return errReply(http.StatusBadRequest, CodeUserUnavailable, "Bot has NO availability to this user.")
	}
	if rep, ok := s.throttleLocked(chatID); !ok {
		return rep
	}
	if b.UUID != "" {
		if prev, ok := s.uuids[b.UUID]; ok {
			s.dupUUIDs++
			return okData(prev)
		}
	}
	now := s.now()
	msg := messageObject{
		MessageID:  "om_" + randHex(16),
		MsgType:    b.MsgType,
		CreateTime: millis(now),
		UpdateTime: millis(now),
		ChatID:     chatID,
		Sender:     messageSender{ID: s.appID, IDType: "app_id", SenderType: "app", TenantKey: fakeTenantKey},
		Body:       messageBody{Content: b.Content},
	}
	raw, _ := json.Marshal(msg)
	if b.UUID != "" {
		s.uuids[b.UUID] = raw
	}
	s.created[msg.MessageID] = chatID
	s.sentAt[msg.MessageID] = now
	s.messages = append(s.messages, Message{
		Kind: KindSend, ReceiveIDType: idType, ReceiveID: b.ReceiveID, MsgType: b.MsgType, Content: b.Content,
		UUID: b.UUID, MessageID: msg.MessageID, ChatID: chatID, At: now,
	})
	s.notifyLocked()
	return okData(json.RawMessage(raw))
}

func (s *Server) handleReply(parentID string, body []byte) reply {
	var b struct {
		MsgType       string `json:"msg_type"`
		Content       string `json:"content"`
		ReplyInThread bool   `json:"reply_in_thread"`
		UUID          string `json:"uuid"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad JSON body")
	}
	if len(b.UUID) > maxUUIDLen {
		return errReply(http.StatusBadRequest, CodeFieldValidation, fmt.Sprintf("field validation failed: uuid longer than %d characters", maxUUIDLen))
	}
	if rep, ok := validateContent(b.MsgType, b.Content); !ok {
		return rep
	}
	if rep, ok := s.checkCard(b.MsgType, []byte(b.Content)); !ok {
		return rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	chatID, known := s.created[parentID]
	key := chatID
	if !known {
		key = parentID
	}
	if rep, ok := s.throttleLocked(key); !ok {
		return rep
	}
	if b.UUID != "" {
		if prev, ok := s.uuids[b.UUID]; ok {
			s.dupUUIDs++
			return okData(prev)
		}
	}
	now := s.now()
	msg := messageObject{
		MessageID:  "om_" + randHex(16),
		RootID:     parentID,
		ParentID:   parentID,
		MsgType:    b.MsgType,
		CreateTime: millis(now),
		UpdateTime: millis(now),
		ChatID:     chatID,
		Sender:     messageSender{ID: s.appID, IDType: "app_id", SenderType: "app", TenantKey: fakeTenantKey},
		Body:       messageBody{Content: b.Content},
	}
	if b.ReplyInThread {
		msg.ThreadID = "omt_" + randHex(8)
	}
	raw, _ := json.Marshal(msg)
	if b.UUID != "" {
		s.uuids[b.UUID] = raw
	}
	s.created[msg.MessageID] = chatID
	s.sentAt[msg.MessageID] = now
	s.messages = append(s.messages, Message{
		Kind: KindReply, ReceiveID: parentID, MsgType: b.MsgType, Content: b.Content, UUID: b.UUID,
		MessageID: msg.MessageID, ChatID: chatID, ReplyInThread: b.ReplyInThread, At: now,
	})
	s.notifyLocked()
	return okData(json.RawMessage(raw))
}

func (s *Server) handlePatch(messageID string, body []byte) reply {
	var b struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad JSON body")
	}
	if rep, ok := validateContent("interactive", b.Content); !ok {
		return rep
	}
	if rep, ok := s.checkCard("interactive", []byte(b.Content)); !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// Feishu's rules for updating a message: within 14 days of sending it (for a message the
	// fake created), at most 5 times in any second.
	if sent, ok := s.sentAt[messageID]; ok && now.Sub(sent) > messageEditable {
		return errReply(http.StatusBadRequest, CodeMessageTooOld, "The message has exceeded the time limit for editing (14 days).")
	}
	cut := now.Add(-time.Second)
	w := s.patches[messageID]
	i := 0
	for i < len(w) && !w[i].After(cut) {
		i++
	}
	w = w[i:]
	if len(w) >= patchesPerMessage {
		s.patches[messageID] = w
		s.throttled++
		return errReply(http.StatusBadRequest, CodeChatRateLimited, "The update frequency of this message exceeds the limit")
	}
	s.patches[messageID] = append(w, now)
	s.messages = append(s.messages, Message{
		Kind: KindPatch, ReceiveID: messageID, MsgType: "interactive", Content: b.Content,
		MessageID: messageID, ChatID: s.created[messageID], At: now,
	})
	s.notifyLocked()
	return okData(nil)
}

func (s *Server) handleUpload(r *http.Request, body []byte, image bool) reply {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: multipart body expected")
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	up := Upload{Image: image}
	dataField := "file"
	typeField := "file_type"
	if image {
		dataField, typeField = "image", "image_type"
	}
	got := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: "+err.Error())
		}
		v, err := io.ReadAll(p)
		if err != nil {
			return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: "+err.Error())
		}
		switch p.FormName() {
		case dataField:
			up.Data, up.FieldName, got = v, dataField, true
			if up.FileName == "" {
				up.FileName = p.FileName()
			}
		case typeField:
			up.FileType = string(v)
		case "file_name":
			up.FileName = string(v)
		case "duration":
			up.Duration = string(v)
		}
	}
	if !got || len(up.Data) == 0 {
		return errReply(http.StatusBadRequest, CodeFieldValidation, fmt.Sprintf("field validation failed: %s is required and must not be empty", dataField))
	}
	if up.FileType == "" {
		return errReply(http.StatusBadRequest, CodeFieldValidation, fmt.Sprintf("field validation failed: %s is required", typeField))
	}
	if len(up.Data) > maxUploadBytes {
		return errReply(http.StatusBadRequest, CodeFileTooLarge, "file size exceeds the 30 MB limit")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	up.At = s.now()
	if image {
		up.Key = "img_v3_" + randHex(12)
	} else {
		up.Key = "file_v3_" + randHex(12)
	}
	s.byKey[up.Key] = len(s.uploads)
	s.uploads = append(s.uploads, up)
	if image {
		return okData(map[string]string{"image_key": up.Key})
	}
	return okData(map[string]string{"file_key": up.Key})
}

func (s *Server) handleResource(messageID, fileKey string, q url.Values) reply {
	if t := q.Get("type"); t != "file" && t != "image" {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: type must be file or image")
	}
	s.mu.Lock()
	res, ok := s.res[messageID+"\x00"+fileKey]
	s.mu.Unlock()
	if !ok {
		return errReply(http.StatusBadRequest, CodeResourceNotFound, "file not in message")
	}
	rep := reply{status: http.StatusOK, body: bytes.Clone(res.data), contentType: "application/octet-stream"}
	if res.name != "" {
		rep.header = map[string]string{"Content-Disposition": mime.FormatMediaType("attachment", map[string]string{"filename": res.name})}
	}
	return rep
}

func (s *Server) contactDenied() (reply, bool) {
	s.mu.Lock()
	deny := s.deny
	s.mu.Unlock()
	if deny {
		return errReply(http.StatusBadRequest, CodeNoScope,
			"Access denied. One of the following scopes is required: [contact:user.employee_id:readonly, contact:user.id:readonly]."), true
	}
	return reply{}, false
}

func userIDOf(u User, idType string) string {
	switch idType {
	case "union_id":
		return u.UnionID
	case "user_id":
		return u.UserID
	}
	return u.OpenID
}

func userIDType(q url.Values) (string, bool) {
	t := q.Get("user_id_type")
	switch t {
	case "":
		return "open_id", true
	case "open_id", "union_id", "user_id":
		return t, true
	}
	return "", false
}

func (s *Server) handleBatchGetID(q url.Values, body []byte) reply {
	if rep, denied := s.contactDenied(); denied {
		return rep
	}
	idType, ok := userIDType(q)
	if !ok {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad user_id_type")
	}
	var b struct {
		Emails  []string `json:"emails"`
		Mobiles []string `json:"mobiles"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad JSON body")
	}
	if len(b.Emails) > maxBatchGetID || len(b.Mobiles) > maxBatchGetID {
		return errReply(http.StatusBadRequest, CodeFieldValidation,
			fmt.Sprintf("field validation failed: at most %d emails and %d mobiles", maxBatchGetID, maxBatchGetID))
	}
	s.mu.Lock()
	users := append([]User(nil), s.users...)
	s.mu.Unlock()
	status := map[string]bool{"is_frozen": false, "is_resigned": false, "is_activated": true, "is_exited": false, "is_unjoin": false}
	list := []map[string]any{}
	for _, e := range b.Emails {
		entry := map[string]any{"email": e}
		for _, u := range users {
			if u.Email != "" && strings.EqualFold(u.Email, e) {
				entry["user_id"] = userIDOf(u, idType)
				entry["status"] = status
				break
			}
		}
		list = append(list, entry)
	}
	for _, m := range b.Mobiles {
		entry := map[string]any{"mobile": m}
		for _, u := range users {
			if u.Mobile != "" && u.Mobile == m {
				entry["user_id"] = userIDOf(u, idType)
				entry["status"] = status
				break
			}
		}
		list = append(list, entry)
	}
	return okData(map[string]any{"user_list": list})
}

func (s *Server) handleUserGet(id string, q url.Values) reply {
	if rep, denied := s.contactDenied(); denied {
		return rep
	}
	idType, ok := userIDType(q)
	if !ok {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad user_id_type")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if userIDOf(u, idType) != id || id == "" {
			continue
		}
		deps := u.DepartmentIDs
		if deps == nil {
			deps = []string{}
		}
		return okData(map[string]any{"user": map[string]any{
			"open_id":        u.OpenID,
			"union_id":       u.UnionID,
			"user_id":        u.UserID,
			"name":           u.Name,
			"en_name":        u.EnName,
			"employee_no":    u.EmployeeNo,
			"email":          u.Email,
			"mobile":         u.Mobile,
			"department_ids": deps,
			"status":         map[string]bool{"is_frozen": false, "is_resigned": false, "is_activated": true, "is_exited": false, "is_unjoin": false},
		}})
	}
	return errReply(http.StatusBadRequest, CodeNoSuchUser, "no user authority error")
}

func (s *Server) handleBatchSend(body []byte) reply {
	var b struct {
		MsgType       string          `json:"msg_type"`
		Content       json.RawMessage `json:"content"`
		Card          json.RawMessage `json:"card"`
		OpenIDs       []string        `json:"open_ids"`
		UserIDs       []string        `json:"user_ids"`
		DepartmentIDs []string        `json:"department_ids"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad JSON body")
	}
	if b.MsgType == "" {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: msg_type is required")
	}
	content := b.Content
	if b.MsgType == "interactive" {
		content = b.Card
	}
	if len(content) == 0 || string(content) == "null" {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: content (or card for interactive) is required")
	}
	if len(b.OpenIDs)+len(b.UserIDs) == 0 && len(b.DepartmentIDs) == 0 {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: no receivers")
	}
	if len(b.OpenIDs) > maxBatchSendIDs || len(b.UserIDs) > maxBatchSendIDs {
		return errReply(http.StatusBadRequest, CodeFieldValidation, fmt.Sprintf("field validation failed: at most %d open_ids", maxBatchSendIDs))
	}
	if rep, ok := s.checkCard(b.MsgType, content); !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	id := "bm-" + randHex(16)
	invalid := []string{}
	for _, oid := range b.OpenIDs {
		if !strings.HasPrefix(oid, "ou_") || !s.availableLocked("open_id", oid) {
			invalid = append(invalid, oid)
			continue
		}
		s.messages = append(s.messages, Message{
			Kind: KindBatch, ReceiveIDType: "open_id", ReceiveID: oid, MsgType: b.MsgType,
			Content: string(content), MessageID: id, At: now,
		})
	}
	for _, uid := range b.UserIDs {
		s.messages = append(s.messages, Message{
			Kind: KindBatch, ReceiveIDType: "user_id", ReceiveID: uid, MsgType: b.MsgType,
			Content: string(content), MessageID: id, At: now,
		})
	}
	s.notifyLocked()
	return okData(map[string]any{
		"message_id":             id,
		"invalid_department_ids": []string{},
		"invalid_open_ids":       invalid,
		"invalid_user_ids":       []string{},
	})
}

func (s *Server) handleCardUpdate(body []byte) reply {
	var b struct {
		Token string          `json:"token"`
		Card  json.RawMessage `json:"card"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad JSON body")
	}
	if b.Token == "" || len(b.Card) == 0 || string(b.Card) == "null" {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: token and card are required")
	}
	var card map[string]any
	if err := json.Unmarshal(b.Card, &card); err != nil {
		return errReply(http.StatusBadRequest, CodeBadCard, "card must be a JSON object")
	}
	if rep, ok := s.checkCard("interactive", b.Card); !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(b.Token, "c-") || s.cardUses[b.Token] >= cardTokenUses {
		return errReply(http.StatusBadRequest, CodeCardTokenExhausted, "card token is invalid, expired or used up")
	}
	s.cardUses[b.Token]++
	s.messages = append(s.messages, Message{
		Kind: KindCardUpdate, ReceiveID: b.Token, MsgType: "interactive", Content: string(b.Card), At: s.now(),
	})
	s.notifyLocked()
	return okData(nil)
}
