package bot

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/core/httpserverext"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// WebhookOptions configure the webhook endpoint.
type WebhookOptions struct {
	VerificationToken string
	EncryptKey        string
	MaxBody           int64         // default 1 MiB; larger bodies get 413
	Window            time.Duration // default 5 min; a timestamp further off gets 401
	Now               func() time.Time
	Log               *slog.Logger
}

// Webhook returns the handler for /webhook/event: events and card callbacks on one URL. In
// front of the SDK's adapter it enforces what the SDK does not: a body size limit, a required
// and valid signature, a replay window on the request timestamp, the Verification Token on
// every request (the SDK checks it only on url_verification), and a JSON content type on the
// answer. A forged or stale request gets 401 and nothing else.
//
// The guard decrypts each request once and hands the SDK's adapter the plaintext event: the
// SDK dispatcher behind it is built without the Encrypt Key, so it neither decrypts nor checks
// the signature a second time; url_verification is answered by the guard itself. Requests
// reach the dispatcher only through the guard.
func Webhook(r *Router, o WebhookOptions) http.Handler {
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.Window <= 0 {
		o.Window = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	d := NewDispatcher(r, o.VerificationToken, "", o.Log)
	return &webhook{o: o, next: httpserverext.NewEventHandlerFunc(d)}
}

type webhook struct {
	o    WebhookOptions
	next http.HandlerFunc
}

// fuzzyEvent is the part of a decrypted event the guard looks at.
type fuzzyEvent struct {
	Type      string `json:"type"`
	Token     string `json:"token"`
	Challenge string `json:"challenge"`
	Header    *struct {
		Token     string `json:"token"`
		EventType string `json:"event_type"`
	} `json:"header"`
	Event *struct {
		Action *struct {
			Value json.RawMessage `json:"value"`
		} `json:"action"`
	} `json:"event"`
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		h.reject(w, http.StatusBadRequest, "unreadable body")
		return
	}
	var env struct {
		Encrypt string `json:"encrypt"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		h.reject(w, http.StatusBadRequest, "malformed JSON")
		return
	}
	if env.Encrypt == "" {
		h.reject(w, http.StatusBadRequest, "unencrypted body (an Encrypt Key is configured)")
		return
	}
	// Feishu signs every request but the url_verification challenge: check the signature (and
	// the replay window) before anything is decrypted.
	signed := r.Header.Get("X-Lark-Signature") != ""
	if signed {
		if reason := h.checkSignature(r, body); reason != "" {
			h.reject(w, http.StatusUnauthorized, reason)
			return
		}
	}
	plain, err := decrypt(env.Encrypt, h.o.EncryptKey)
	var ev fuzzyEvent
	if err == nil {
		err = json.Unmarshal(plain, &ev)
	}
	if err != nil {
		if signed {
			h.reject(w, http.StatusBadRequest, "malformed event")
		} else {
			h.reject(w, http.StatusUnauthorized, "cannot decrypt")
		}
		return
	}
	if ev.Type == "url_verification" {
		if !equal(ev.Token, h.o.VerificationToken) {
			h.reject(w, http.StatusUnauthorized, "wrong verification token")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"challenge": ev.Challenge})
		return
	}
	if !signed {
		h.reject(w, http.StatusUnauthorized, "missing signature")
		return
	}
	token := ev.Token
	if ev.Header != nil {
		token = ev.Header.Token
	}
	if !equal(token, h.o.VerificationToken) {
		h.reject(w, http.StatusUnauthorized, "wrong verification token")
		return
	}
	// A card action whose value is not an object would make the SDK fail with a 500 and the
	// user see an error code: answer with a toast instead.
	if ev.Header != nil && ev.Header.EventType == "card.action.trigger" && ev.Event != nil && ev.Event.Action != nil {
		if v := bytes.TrimSpace(ev.Event.Action.Value); len(v) > 0 && v[0] != '{' && !bytes.Equal(v, []byte("null")) {
			h.o.Log.Warn("webhook: card action value is not an object")
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(toastOnly("error", msgStaleCard))
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(plain))
	r.ContentLength = int64(len(plain))
	hw := &hold500{ResponseWriter: w}
	h.next(&jsonWriter{ResponseWriter: hw}, r)
	if !hw.held {
		return
	}
	// The SDK answered 500. For an event it could not decode into its own type (a form value
	// that is not an object, a number beyond float64, a message whose content is not a string)
	// that would make Feishu deliver it again and again: answer it here, once, and log it. Any
	// other 500 (the database is down) stays, for Feishu to retry. Checked only after a 500, so
	// the events that decode pay nothing for it.
	if ev.Header != nil && !decodable(ev.Header.EventType, plain) {
		h.o.Log.Warn("webhook: malformed event", "event_type", logSafe(ev.Header.EventType))
		if ev.Header.EventType == "card.action.trigger" {
			json.NewEncoder(w).Encode(toastOnly("error", msgBadCard))
		} else {
			io.WriteString(w, `{"msg":"success"}`)
		}
		return
	}
	w.WriteHeader(http.StatusInternalServerError)
	w.Write(hw.body.Bytes())
}

// hold500 passes an answer through, except a 500, which it holds back (status and body) for
// the guard to decide on.
type hold500 struct {
	http.ResponseWriter
	held bool
	body bytes.Buffer
}

func (w *hold500) WriteHeader(code int) {
	if code == http.StatusInternalServerError {
		w.held = true
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *hold500) Write(b []byte) (int, error) {
	if w.held {
		return w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// decodable reports whether the SDK can decode an event of the types the router handles into
// its own type (other types are the SDK's to answer).
func decodable(eventType string, plain []byte) bool {
	switch eventType {
	case "card.action.trigger":
		return json.Unmarshal(plain, &callback.CardActionTriggerEvent{}) == nil
	case "im.message.receive_v1":
		return json.Unmarshal(plain, &larkim.P2MessageReceiveV1{}) == nil
	}
	return true
}

// checkSignature verifies X-Lark-Signature and the replay window; "" means valid.
func (h *webhook) checkSignature(r *http.Request, body []byte) string {
	ts := r.Header.Get("X-Lark-Request-Timestamp")
	nonce := r.Header.Get("X-Lark-Request-Nonce")
	sig := r.Header.Get("X-Lark-Signature")
	if ts == "" || sig == "" {
		return "missing signature"
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "bad timestamp"
	}
	if d := h.o.Now().Sub(time.Unix(secs, 0)); d > h.o.Window || d < -h.o.Window {
		return "stale timestamp"
	}
	sum := sha256.Sum256([]byte(ts + nonce + h.o.EncryptKey + string(body)))
	if !equal(hex.EncodeToString(sum[:]), sig) {
		return "bad signature"
	}
	return ""
}

func (h *webhook) reject(w http.ResponseWriter, status int, reason string) {
	h.o.Log.Warn("webhook request rejected", "status", status, "reason", reason)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"msg": reason})
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// jsonWriter sets the JSON content type the SDK's adapter forgets (it adds headers after
// WriteHeader, when they no longer count).
type jsonWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *jsonWriter) WriteHeader(code int) {
	if !w.wrote && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *jsonWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// decrypt opens Feishu's {"encrypt": base64(iv || AES-256-CBC(PKCS7(plain)))} with
// key = sha256(encryptKey), checking the padding strictly. (The SDK's EventDecrypt panics on
// a body with bad padding, which a forger can send.)
func decrypt(encrypted, encryptKey string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, err
	}
	if len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, errors.New("bad ciphertext length")
	}
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	iv, data := raw[:aes.BlockSize], raw[aes.BlockSize:]
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(out) {
		return nil, errors.New("bad padding")
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errors.New("bad padding")
		}
	}
	return out[:len(out)-pad], nil
}
