package roster

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"
)

// Resolver finds the Feishu accounts of members by email and mobile.
type Resolver interface {
	// Resolve returns the open_id of each email and mobile it can find, keyed by the string
	// as passed in; unknown ones are left out. On error it may return the part it resolved
	// before the failure.
	Resolve(ctx context.Context, emails, mobiles []string) (map[string]string, error)
}

// BatchSize is the most emails, and separately the most mobiles, sent in one lookup
// (contact/v3/users/batch_get_id accepts 50 of each).
const BatchSize = 50

// Feishu error codes the resolver reacts to.
const (
	CodeNoScope     = 99991672 // the app lacks the contact scope
	codeRateLimited = 99991400
	codeThrottled   = 11232
)

// FeishuError is a contact API call that Feishu answered with a non-zero code.
type FeishuError struct {
	Status int // HTTP status
	Code   int
	Msg    string
}

// Error implements error.
func (e *FeishuError) Error() string {
	return fmt.Sprintf("feishu contact/v3/users/batch_get_id: http %d, code %d: %s", e.Status, e.Code, e.Msg)
}

// NewFeishuResolver returns a Resolver that calls contact/v3/users/batch_get_id with
// user_id_type=open_id, at most BatchSize emails and BatchSize mobiles a call. A rate-limited
// call is retried (up to 3 times) after the wait Feishu names. Errors are *FeishuError when
// Feishu answered; Code is CodeNoScope when the app lacks the contact scope.
func NewFeishuResolver(client *lark.Client) Resolver {
	return &feishuResolver{client: client, maxRetries: 3, maxWait: 10 * time.Second}
}

type feishuResolver struct {
	client     *lark.Client
	maxRetries int
	maxWait    time.Duration
}

// Resolve implements Resolver.
func (f *feishuResolver) Resolve(ctx context.Context, emails, mobiles []string) (map[string]string, error) {
	out := map[string]string{}
	for i := 0; i < len(emails) || i < len(mobiles); i += BatchSize {
		if err := f.batch(ctx, window(emails, i), window(mobiles, i), out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// window is s[i:i+BatchSize], clipped.
func window(s []string, i int) []string {
	if i >= len(s) {
		return nil
	}
	return s[i:min(i+BatchSize, len(s))]
}

// batch looks up one batch and adds what it finds to out.
func (f *feishuResolver) batch(ctx context.Context, emails, mobiles []string, out map[string]string) error {
	for attempt := 0; ; attempt++ {
		req := larkcontact.NewBatchGetIdUserReqBuilder().
			UserIdType(larkcontact.UserIdTypeBatchGetIdUserOpenId).
			Body(larkcontact.NewBatchGetIdUserReqBodyBuilder().Emails(emails).Mobiles(mobiles).Build()).
			Build()
		resp, err := f.client.Contact.V3.User.BatchGetId(ctx, req)
		if err != nil {
			return fmt.Errorf("feishu contact/v3/users/batch_get_id: %w", err)
		}
		if resp.Success() {
			collect(resp.Data, emails, mobiles, out)
			return nil
		}
		fe := &FeishuError{Code: resp.Code, Msg: resp.Msg}
		var wait time.Duration
		if resp.ApiResp != nil {
			fe.Status = resp.StatusCode
			wait = resetWait(resp.Header)
		}
		throttled := fe.Code == codeRateLimited || fe.Code == codeThrottled || fe.Status == http.StatusTooManyRequests
		if !throttled || attempt >= f.maxRetries {
			return fe
		}
		wait = min(max(wait, 200*time.Millisecond), f.maxWait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// resetWait reads x-ogw-ratelimit-reset (seconds until the window resets).
func resetWait(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("x-ogw-ratelimit-reset")))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// collect maps Feishu's answer back onto the strings asked for: emails without case, mobiles
// without a +86 prefix.
func collect(data *larkcontact.BatchGetIdUserRespData, emails, mobiles []string, out map[string]string) {
	if data == nil {
		return
	}
	byEmail := map[string][]string{}
	for _, e := range emails {
		k := strings.ToLower(strings.TrimSpace(e))
		byEmail[k] = append(byEmail[k], e)
	}
	byMobile := map[string][]string{}
	for _, m := range mobiles {
		k := normalizeMobile(m)
		byMobile[k] = append(byMobile[k], m)
	}
	for _, u := range data.UserList {
		if u == nil || u.UserId == nil || *u.UserId == "" {
			continue
		}
		if u.Email != nil {
			for _, e := range byEmail[strings.ToLower(strings.TrimSpace(*u.Email))] {
				out[e] = *u.UserId
			}
		}
		if u.Mobile != nil {
			for _, m := range byMobile[normalizeMobile(*u.Mobile)] {
				out[m] = *u.UserId
			}
		}
	}
}
