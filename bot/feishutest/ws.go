package feishutest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

const (
	wsPath         = "/ws"
	wsServiceID    = 1
	wsWriteTimeout = 10 * time.Second
	// partGap separates the frames of a split event. The SDK reassembles
	// parts in per-frame goroutines through an unsynchronised buffer, so
	// parts must not arrive at the same instant.
	partGap = 50 * time.Millisecond
)

// ErrConnectionLost is returned by PushEvent when the connection carrying the
// event closed before the client acknowledged it.
var ErrConnectionLost = errors.New("feishutest: connection closed before the ack")

// Ack is a long-connection client's answer to a pushed event.
type Ack struct {
	// Code is the status the SDK reports: 200, or 500 when the handler
	// failed (or no handler is registered for the event type).
	Code int
	// Data is the decoded callback response JSON (for card.action.trigger,
	// a CardActionTriggerResponse), nil for plain events.
	Data []byte
	// BizRT is the handler's run time in milliseconds, as reported in the
	// biz_rt header.
	BizRT string
	// MessageID is the frame's message_id header (the SDK echoes it).
	MessageID string
}

type gateway struct {
	cfg          larkws.ClientConfig
	maxConns     int
	refuse       bool
	closed       bool
	conns        map[*wsConn]struct{}
	devices      map[string]bool
	pending      map[string]chan *Ack
	connectCount int
	pings        int
	seq          uint64
	wg           sync.WaitGroup
}

func (g *gateway) init(cfg larkws.ClientConfig, maxConns int) {
	g.cfg = cfg
	g.maxConns = maxConns
	g.conns = map[*wsConn]struct{}{}
	g.devices = map[string]bool{}
	g.pending = map[string]chan *Ack{}
}

type wsConn struct {
	c        *websocket.Conn
	deviceID string
	wmu      sync.Mutex
	gone     chan struct{}
}

func (c *wsConn) write(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.c.SetWriteDeadline(time.Now().Add(wsWriteTimeout)); err != nil {
		return err
	}
	return c.c.WriteMessage(websocket.BinaryMessage, data)
}

// RefuseBootstrap makes the long-connection endpoint answer "system busy"
// (code 1), which the SDK retries every ReconnectInterval, until called
// with false.
func (s *Server) RefuseBootstrap(refuse bool) {
	s.mu.Lock()
	s.gw.refuse = refuse
	s.mu.Unlock()
}

// Connections is the number of open long connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.gw.conns)
}

// ConnectCount is the number of successful WebSocket upgrades so far; it
// grows by one on every reconnect.
func (s *Server) ConnectCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.connectCount
}

// Pings is the number of ping frames received (each answered with a pong).
func (s *Server) Pings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.pings
}

// WaitConnected blocks until at least n long connections are open.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		have := len(s.gw.conns)
		ch := s.changed
		s.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("feishutest: waiting for %d connections, have %d: %w", n, have, ctx.Err())
		case <-s.done:
			return errors.New("feishutest: server closed")
		}
	}
}

// DropConnections closes every long connection from the server side (no
// close frame, like a network failure) and waits until they are gone. The
// SDK then reconnects on its own: wait with WaitConnected.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.gw.conns))
	for c := range s.gw.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.c.Close()
	}
	for _, c := range conns {
		<-c.gone
	}
}

func (s *Server) closeWS() {
	s.mu.Lock()
	s.gw.closed = true
	conns := make([]*wsConn, 0, len(s.gw.conns))
	for c := range s.gw.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.c.Close()
	}
}

func (s *Server) wsConfigJSON() []byte {
	s.mu.Lock()
	cfg := s.gw.cfg
	s.mu.Unlock()
	b, _ := json.Marshal(cfg)
	return b
}

func (s *Server) handleWSEndpoint(body []byte) reply {
	var b larkws.BootstrapRequest
	if err := json.Unmarshal(body, &b); err != nil {
		return jsonReply(http.StatusBadRequest, CodeFieldValidation, map[string]any{"code": CodeFieldValidation, "msg": "bad JSON body"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gw.refuse {
		return jsonReply(http.StatusOK, larkws.SystemBusy, map[string]any{"code": larkws.SystemBusy, "msg": "system busy"})
	}
	if b.AppID != s.appID || b.AppSecret != s.appSecret {
		return jsonReply(http.StatusOK, CodeAppSecretInvalid, map[string]any{"code": CodeAppSecretInvalid, "msg": "app secret invalid"})
	}
	device := randHex(8)
	s.gw.devices[device] = true
	u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + wsPath + "?device_id=" + device + "&service_id=" + strconv.Itoa(wsServiceID)
	return jsonReply(http.StatusOK, 0, larkws.EndpointResp{
		Code: 0, Msg: "ok",
		Data: &larkws.Endpoint{Url: u, ClientConfig: &s.gw.cfg},
	})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func refuseHandshake(w http.ResponseWriter, status int, authCode int, msg string) {
	w.Header().Set(larkws.HeaderHandshakeStatus, strconv.Itoa(status))
	w.Header().Set(larkws.HeaderHandshakeMsg, msg)
	if authCode != 0 {
		w.Header().Set(larkws.HeaderHandshakeAuthErrCode, strconv.Itoa(authCode))
	}
	w.WriteHeader(http.StatusForbidden)
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, req Request) {
	device := r.URL.Query().Get(larkws.DeviceID)
	s.mu.Lock()
	switch {
	case s.gw.closed:
		s.mu.Unlock()
		req.Status = http.StatusServiceUnavailable
		s.record(req)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case !s.gw.devices[device]:
		s.mu.Unlock()
		req.Status, req.Code = http.StatusForbidden, larkws.Forbidden
		s.record(req)
		refuseHandshake(w, larkws.Forbidden, 0, "unknown device_id")
		return
	case len(s.gw.conns) >= s.gw.maxConns:
		s.mu.Unlock()
		req.Status, req.Code = http.StatusForbidden, larkws.AuthFailed
		s.record(req)
		refuseHandshake(w, larkws.AuthFailed, larkws.ExceedConnLimit, "exceed connection limit")
		return
	}
	s.mu.Unlock()

	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		req.Status = http.StatusBadRequest
		s.record(req)
		return
	}
	req.Status = http.StatusSwitchingProtocols
	s.record(req)
	conn := &wsConn{c: c, deviceID: device, gone: make(chan struct{})}
	s.mu.Lock()
	if s.gw.closed {
		s.mu.Unlock()
		_ = c.Close()
		return
	}
	s.gw.conns[conn] = struct{}{}
	s.gw.connectCount++
	s.gw.wg.Add(1)
	s.notifyLocked()
	s.mu.Unlock()

	defer s.gw.wg.Done()
	s.readLoop(conn)
}

func (s *Server) readLoop(conn *wsConn) {
	defer func() {
		_ = conn.c.Close()
		s.mu.Lock()
		delete(s.gw.conns, conn)
		s.notifyLocked()
		s.mu.Unlock()
		close(conn.gone)
	}()
	for {
		mt, data, err := conn.c.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.BinaryMessage {
			continue
		}
		var f larkws.Frame
		if err := f.Unmarshal(data); err != nil {
			continue
		}
		hs := larkws.Headers(f.Headers)
		switch larkws.FrameType(f.Method) {
		case larkws.FrameTypeControl:
			if larkws.MessageType(hs.GetString(larkws.HeaderType)) != larkws.MessageTypePing {
				continue
			}
			s.mu.Lock()
			s.gw.pings++
			s.mu.Unlock()
			pong := larkws.Frame{
				SeqID: f.SeqID, LogID: f.LogID, Service: f.Service, Method: int32(larkws.FrameTypeControl),
				Headers: []larkws.Header{{Key: larkws.HeaderType, Value: string(larkws.MessageTypePong)}},
				Payload: s.wsConfigJSON(),
			}
			out, err := pong.Marshal()
			if err != nil {
				continue
			}
			if err := conn.write(out); err != nil {
				return
			}
		case larkws.FrameTypeData:
			var resp larkws.Response
			if err := json.Unmarshal(f.Payload, &resp); err != nil {
				continue
			}
			ack := &Ack{
				Code:      resp.StatusCode,
				Data:      resp.Data,
				BizRT:     hs.GetString(larkws.HeaderBizRt),
				MessageID: hs.GetString(larkws.HeaderMessageID),
			}
			s.mu.Lock()
			ch := s.gw.pending[ack.MessageID]
			s.mu.Unlock()
			if ch != nil {
				select {
				case ch <- ack:
				default:
				}
			}
		}
	}
}

// pickConn returns a random open connection, waiting for one if none is open.
func (s *Server) pickConn(ctx context.Context) (*wsConn, error) {
	for {
		s.mu.Lock()
		var conns []*wsConn
		for c := range s.gw.conns {
			conns = append(conns, c)
		}
		ch := s.changed
		s.mu.Unlock()
		if len(conns) > 0 {
			return conns[rand.IntN(len(conns))], nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("feishutest: no long connection: %w", ctx.Err())
		case <-s.done:
			return nil, errors.New("feishutest: server closed")
		}
	}
}

// PushEvent sends payload (an event or callback JSON, e.g. from MessageEvent
// or CardActionEvent) as a data frame on a random open long connection,
// waiting for a connection if there is none, and waits for the client's ack.
// Like the real gateway it does not redeliver: a lost connection returns
// ErrConnectionLost.
func (s *Server) PushEvent(ctx context.Context, payload []byte) (*Ack, error) {
	return s.PushEventSplit(ctx, payload, 1)
}

// PushEventSplit is PushEvent with the payload cut into parts frames
// (headers sum=parts, seq=0..parts-1), which the SDK reassembles. Parts are
// sent 50 ms apart because the SDK's reassembly is not safe for parts that
// arrive simultaneously.
func (s *Server) PushEventSplit(ctx context.Context, payload []byte, parts int) (*Ack, error) {
	if parts < 1 {
		parts = 1
	}
	if parts > len(payload) {
		parts = max(len(payload), 1)
	}
	conn, err := s.pickConn(ctx)
	if err != nil {
		return nil, err
	}
	msgID := randHex(16)
	traceID := randHex(16)
	ch := make(chan *Ack, 1)
	s.mu.Lock()
	s.gw.pending[msgID] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.gw.pending, msgID)
		s.mu.Unlock()
	}()

	size := (len(payload) + parts - 1) / parts
	for i := 0; i < parts; i++ {
		lo, hi := i*size, min((i+1)*size, len(payload))
		s.mu.Lock()
		s.gw.seq++
		seq := s.gw.seq
		s.mu.Unlock()
		f := larkws.Frame{
			SeqID: seq, LogID: seq, Service: wsServiceID, Method: int32(larkws.FrameTypeData),
			Headers: []larkws.Header{
				{Key: larkws.HeaderType, Value: string(larkws.MessageTypeEvent)},
				{Key: larkws.HeaderMessageID, Value: msgID},
				{Key: larkws.HeaderSum, Value: strconv.Itoa(parts)},
				{Key: larkws.HeaderSeq, Value: strconv.Itoa(i)},
				{Key: larkws.HeaderTraceID, Value: traceID},
				{Key: larkws.HeaderTimestamp, Value: millis(time.Now())},
			},
			Payload: payload[lo:hi],
		}
		data, err := f.Marshal()
		if err != nil {
			return nil, err
		}
		if err := conn.write(data); err != nil {
			return nil, fmt.Errorf("feishutest: push event: %w", err)
		}
		if i < parts-1 && !s.sleep(ctx, partGap) {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("feishutest: push event: %w", err)
			}
			return nil, errors.New("feishutest: server closed")
		}
	}
	select {
	case a := <-ch:
		return a, nil
	case <-conn.gone:
		// The ack may have been read just before the connection closed.
		select {
		case a := <-ch:
			return a, nil
		default:
		}
		return nil, ErrConnectionLost
	case <-ctx.Done():
		return nil, fmt.Errorf("feishutest: waiting for the ack: %w", ctx.Err())
	case <-s.done:
		return nil, errors.New("feishutest: server closed")
	}
}

// PushRaw writes data as one WebSocket message (binary, or text when text is set) on a random
// open long connection, waiting for a connection if there is none, as a broken gateway might:
// anything at all, or a frame made with Frame. It waits for nothing; push a well-formed event
// afterwards to see that the connection survived.
func (s *Server) PushRaw(ctx context.Context, data []byte, text bool) error {
	conn, err := s.pickConn(ctx)
	if err != nil {
		return err
	}
	mt := websocket.BinaryMessage
	if text {
		mt = websocket.TextMessage
	}
	conn.wmu.Lock()
	defer conn.wmu.Unlock()
	if err := conn.c.SetWriteDeadline(time.Now().Add(wsWriteTimeout)); err != nil {
		return err
	}
	return conn.c.WriteMessage(mt, data)
}

// Frame encodes a long-connection frame with the given method (larkws.FrameTypeData or
// FrameTypeControl, or any other number), headers exactly as given (none added) and
// payload, for PushRaw.
func Frame(method int32, headers map[string]string, payload []byte) []byte {
	f := larkws.Frame{SeqID: 1, LogID: 1, Service: wsServiceID, Method: method, Payload: payload}
	for k, v := range headers {
		f.Headers = append(f.Headers, larkws.Header{Key: k, Value: v})
	}
	data, err := f.Marshal()
	if err != nil {
		panic(err) // a Frame of strings and bytes always encodes
	}
	return data
}
