package feishutest_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// Copied from /work/shared/feishu-samples/im_message_receive_v1.group_at_mention.official.json.
const officialGroupMessage = `{
    "schema": "2.0",
    "header": {
        "event_id": "5e3702a84e847582be8db7fb73283c02",
        "event_type": "im.message.receive_v1",
        "create_time": "1608725989000",
        "token": "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV",
        "app_id": "cli_9f5343c580712544",
        "tenant_key": "2ca1d211f64f6438"
    },
    "event": {
        "sender": {
            "sender_id": {
                "union_id": "on_8ed6aa67826108097d9ee143816345",
                "user_id": "e33ggbyz",
                "open_id": "ou_84aad35d084aa403a838cf73ee18467"
            },
            "sender_type": "user",
            "tenant_key": "736588c9260f175e"
        },
        "message": {
            "message_id": "om_5ce6d572455d361153b7cb51da133945",
            "root_id": "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf",
            "parent_id": "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf",
            "create_time": "1609073151345",
            "update_time": "1687343654666",
            "chat_id": "oc_5ce6d572455d361153b7xx51da133945",
            "thread_id": "omt_d4be107c616",
            "chat_type": "group",
            "message_type": "text",
            "content": "{\"text\":\"@_user_1 hello\"}",
            "mentions": [
                {
                    "key": "@_user_1",
                    "id": {
                        "union_id": "on_8ed6aa67826108097d9ee143816345",
                        "user_id": "e33ggbyz",
                        "open_id": "ou_84aad35d084aa403a838cf73ee18467"
                    },
                    "name": "Tom",
                    "tenant_key": "736588c9260f175e"
                }
            ],
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 13_2_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.53 Safari/537.36 Lark/6.7.5 LarkLocale/en_US ttnet SDK-Version/6.7.8"
        }
    }
}`

// Copied from /work/shared/feishu-samples/DERIVED.card_action_trigger.form_submit_im_message.json.
const derivedFormSubmit = `{
    "schema": "2.0",
    "header": {
        "event_id": "f7984f25108f8137722bb63c*****",
        "token": "066zT6pS4QCbgj5Do145GfDbbag*****",
        "create_time": "1603977298000000",
        "event_type": "card.action.trigger",
        "tenant_key": "2df73991750*****",
        "app_id": "cli_a5fb0ae6a4******"
    },
    "event": {
        "operator": {
            "tenant_key": "2df73991750*****",
            "user_id": "867*****",
            "open_id": "ou_3c14f3a59eaf2825dbe25359f15*****",
            "union_id": "on_cad4860e7af114fb4ff6c5d496d*****"
        },
        "token": "c-295ee57216a5dc9de90fefd0aadb4b1d7d******",
        "action": {
            "value": {"key": "value"},
            "tag": "button",
            "timezone": "Asia/Shanghai",
            "form_value": {
                "field name1": ["selectDemo1", "selectDemo2"],
                "field name2": "value2",
                "DatePicker_bpqdq5puvn4": "2024-04-01 +0800"
            },
            "name": "Button_lvkepfu3"
        },
        "host": "im_message",
        "context": {
            "open_message_id": "om_574d639e4a44e4dd646eaf628e2*****",
            "open_chat_id": "oc_e4d2605ca917e695f54f11aaf56*****"
        }
    }
}`

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func TestMessageEventMatchesOfficialSample(t *testing.T) {
	got := decode(t, feishutest.MessageEvent(feishutest.MessageOpts{
		EventID:       "5e3702a84e847582be8db7fb73283c02",
		Token:         "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV",
		AppID:         "cli_9f5343c580712544",
		TenantKey:     "2ca1d211f64f6438",
		SenderUnionID: "on_8ed6aa67826108097d9ee143816345",
		SenderUserID:  "e33ggbyz",
		SenderOpenID:  "ou_84aad35d084aa403a838cf73ee18467",
		MessageID:     "om_5ce6d572455d361153b7cb51da133945",
		RootID:        "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf",
		ParentID:      "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf",
		ChatID:        "oc_5ce6d572455d361153b7xx51da133945",
		ThreadID:      "omt_d4be107c616",
		ChatType:      "group",
		Text:          "@_user_1 hello",
		Mentions: []feishutest.Mention{{Key: "@_user_1", Name: "Tom", OpenID: "ou_84aad35d084aa403a838cf73ee18467",
			UnionID: "on_8ed6aa67826108097d9ee143816345", UserID: "e33ggbyz"}},
		UserAgent:  "Mozilla/5.0 (Macintosh; Intel Mac OS X 13_2_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.53 Safari/537.36 Lark/6.7.5 LarkLocale/en_US ttnet SDK-Version/6.7.8",
		CreateTime: time.UnixMilli(1608725989000),
	}))
	want := decode(t, []byte(officialGroupMessage))
	// The sample's three timestamps differ; the builder uses one.
	for _, m := range []map[string]any{got, want} {
		msg := m["event"].(map[string]any)["message"].(map[string]any)
		delete(msg, "create_time")
		delete(msg, "update_time")
		// The sender's tenant differs from the header's in the sample.
		m["event"].(map[string]any)["sender"].(map[string]any)["tenant_key"] = "x"
		for _, mention := range msg["mentions"].([]any) {
			mention.(map[string]any)["tenant_key"] = "x"
		}
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("got\n%s\nwant\n%s", g, w)
	}

	// And it decodes into the SDK's type.
	var e larkim.P2MessageReceiveV1
	if err := json.Unmarshal(feishutest.MessageEvent(feishutest.MessageOpts{Text: "x"}), &e); err != nil ||
		*e.Event.Message.ChatType != "p2p" || *e.Event.Message.MessageType != "text" || e.Event.Sender.SenderId.UserId != nil {
		t.Fatal(err)
	}
}

func TestCardActionEventMatchesSample(t *testing.T) {
	got := decode(t, feishutest.CardActionEvent(feishutest.CardOpts{
		EventID:         "f7984f25108f8137722bb63c*****",
		Token:           "066zT6pS4QCbgj5Do145GfDbbag*****",
		AppID:           "cli_a5fb0ae6a4******",
		TenantKey:       "2df73991750*****",
		OperatorOpenID:  "ou_3c14f3a59eaf2825dbe25359f15*****",
		OperatorUserID:  "867*****",
		OperatorUnionID: "on_cad4860e7af114fb4ff6c5d496d*****",
		Value:           map[string]any{"key": "value"},
		FormValue: map[string]any{
			"field name1":            []string{"selectDemo1", "selectDemo2"},
			"field name2":            "value2",
			"DatePicker_bpqdq5puvn4": "2024-04-01 +0800",
		},
		Name:          "Button_lvkepfu3",
		Timezone:      "Asia/Shanghai",
		OpenMessageID: "om_574d639e4a44e4dd646eaf628e2*****",
		OpenChatID:    "oc_e4d2605ca917e695f54f11aaf56*****",
		CallbackToken: "c-295ee57216a5dc9de90fefd0aadb4b1d7d******",
		CreateTime:    time.UnixMicro(1603977298000000),
	}))
	want := decode(t, []byte(derivedFormSubmit))
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("got\n%s\nwant\n%s", g, w)
	}

	var e callback.CardActionTriggerEvent
	if err := json.Unmarshal(feishutest.CardActionEvent(feishutest.CardOpts{}), &e); err != nil ||
		e.Event.Action.Tag != "button" || e.Event.Token == "" || e.Event.Context.OpenMessageID == "" {
		t.Fatal(err)
	}
	if v := decode(t, feishutest.URLVerification("tok", "ch")); v["type"] != "url_verification" || v["challenge"] != "ch" || v["token"] != "tok" {
		t.Fatal(v)
	}
}
