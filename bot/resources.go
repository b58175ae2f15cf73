package bot

import (
	"context"
	"errors"
	"fmt"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// Resources fetches the images and files members send the bot (Context.Attachment).
type Resources interface {
	// Fetch downloads the resource key of message messageID (typ "image" or "file"): its
	// bytes and the file name Feishu gives. A resource that is gone or cannot be fetched by
	// the bot is ErrResourceGone; other errors are transient.
	Fetch(ctx context.Context, messageID, key, typ string) (name string, data []byte, err error)
}

// ErrResourceGone is a resource Feishu will not give: not in the message, recalled, inside a
// card or a merged forward (234043), or too large (234006).
var ErrResourceGone = errors.New("bot: resource not available")

// NewResources fetches resources through the SDK client (im/v1 MessageResource.Get).
func NewResources(c *lark.Client) Resources { return larkResources{c} }

type larkResources struct{ c *lark.Client }

func (r larkResources) Fetch(ctx context.Context, messageID, key, typ string) (string, []byte, error) {
	resp, err := r.c.Im.V1.MessageResource.Get(ctx, larkim.NewGetMessageResourceReqBuilder().
		MessageId(messageID).FileKey(key).Type(typ).Build())
	if err != nil {
		return "", nil, fmt.Errorf("bot: fetch resource: %w", err)
	}
	if !resp.Success() {
		switch resp.Code {
		case 234003, 234004, 234006, 234043, 234037:
			return "", nil, fmt.Errorf("%w (code %d)", ErrResourceGone, resp.Code)
		}
		return "", nil, fmt.Errorf("bot: fetch resource: code %d: %s", resp.Code, resp.Msg)
	}
	if resp.ApiResp == nil {
		return "", nil, errors.New("bot: fetch resource: empty response")
	}
	return resp.FileName, resp.ApiResp.RawBody, nil
}
