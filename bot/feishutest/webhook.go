package feishutest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
)

// Webhook posts events and callbacks to a webhook endpoint the way Feishu
// does: the body encrypted with the Encrypt Key ({"encrypt": base64(iv ||
// AES-256-CBC(PKCS7(plain)))}, key = sha256(EncryptKey)) and signed with
// X-Lark-Signature = hex(sha256(timestamp + nonce + EncryptKey + body)).
// With an empty EncryptKey the body is sent in plain text (still with the
// timestamp, nonce and signature headers).
type Webhook struct {
	URL               string
	EncryptKey        string
	VerificationToken string           // used by Verify
	Client            *http.Client     // default http.DefaultClient
	Now               func() time.Time // default time.Now
}

// SendOption forges one aspect of a webhook delivery.
type SendOption func(*sendOpts)

type sendOpts struct {
	ts        *time.Time
	badSig    bool
	noSig     bool
	plain     bool
	raw       []byte
	rawSet    bool
	nonce     string
	extraHdrs http.Header
}

// WithTimestamp sets X-Lark-Request-Timestamp (e.g. a stale one).
func WithTimestamp(t time.Time) SendOption { return func(o *sendOpts) { o.ts = &t } }

// WithBadSignature sends a wrong X-Lark-Signature.
func WithBadSignature() SendOption { return func(o *sendOpts) { o.badSig = true } }

// WithoutSignature omits X-Lark-Signature.
func WithoutSignature() SendOption { return func(o *sendOpts) { o.noSig = true } }

// Plain sends the payload unencrypted even when EncryptKey is set (it is
// still signed).
func Plain() SendOption { return func(o *sendOpts) { o.plain = true } }

// WithRawBody sends b as the body instead of the (encrypted) payload, still
// signed: malformed JSON, an oversized body, a replayed capture...
func WithRawBody(b []byte) SendOption {
	return func(o *sendOpts) { o.raw, o.rawSet = b, true }
}

// WithNonce sets X-Lark-Request-Nonce (random by default).
func WithNonce(nonce string) SendOption { return func(o *sendOpts) { o.nonce = nonce } }

// WithHeader adds a request header.
func WithHeader(key, value string) SendOption {
	return func(o *sendOpts) {
		if o.extraHdrs == nil {
			o.extraHdrs = http.Header{}
		}
		o.extraHdrs.Add(key, value)
	}
}

// Sign computes X-Lark-Signature for a body.
func Sign(timestamp, nonce, encryptKey string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write([]byte(nonce))
	h.Write([]byte(encryptKey))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Encrypt wraps a payload the way Feishu does with an Encrypt Key:
// {"encrypt":"<base64>"}.
func Encrypt(payload []byte, encryptKey string) ([]byte, error) {
	enc, err := larkcore.EncryptedEventMsg(context.Background(), payload, encryptKey)
	if err != nil {
		return nil, err
	}
	return mustJSON(map[string]string{"encrypt": enc}), nil
}

// Body returns the exact body Send would post for payload (encrypted unless
// EncryptKey is empty or Plain/WithRawBody is given).
func (w *Webhook) Body(payload []byte, opts ...SendOption) ([]byte, error) {
	var o sendOpts
	for _, f := range opts {
		f(&o)
	}
	return w.body(payload, &o)
}

func (w *Webhook) body(payload []byte, o *sendOpts) ([]byte, error) {
	switch {
	case o.rawSet:
		return o.raw, nil
	case o.plain || w.EncryptKey == "":
		return payload, nil
	}
	return Encrypt(payload, w.EncryptKey)
}

// Send posts payload and returns the HTTP status and the response body.
func (w *Webhook) Send(ctx context.Context, payload []byte, opts ...SendOption) (status int, body []byte, err error) {
	var o sendOpts
	for _, f := range opts {
		f(&o)
	}
	reqBody, err := w.body(payload, &o)
	if err != nil {
		return 0, nil, err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	t := now()
	if o.ts != nil {
		t = *o.ts
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	nonce := o.nonce
	if nonce == "" {
		nonce = randHex(8)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(reqBody))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Go-http-client/1.1 feishutest")
	req.Header.Set("X-Request-Id", randHex(16))
	req.Header.Set("X-Lark-Request-Timestamp", ts)
	req.Header.Set("X-Lark-Request-Nonce", nonce)
	if !o.noSig {
		sig := Sign(ts, nonce, w.EncryptKey, reqBody)
		if o.badSig {
			sig = Sign(ts, nonce, w.EncryptKey+"-wrong", reqBody)
		}
		req.Header.Set("X-Lark-Signature", sig)
	}
	for k, vs := range o.extraHdrs {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// Verify sends the url_verification challenge with w.VerificationToken.
func (w *Webhook) Verify(ctx context.Context, challenge string, opts ...SendOption) (status int, body []byte, err error) {
	return w.Send(ctx, URLVerification(w.VerificationToken, challenge), opts...)
}
