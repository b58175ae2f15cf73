package feishutest_test

import (
	"strings"
	"testing"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// TestCardRules: with WithCardRules each card Feishu would refuse is refused with 230099, and a
// good card passes; without the option the fake takes them all.
func TestCardRules(t *testing.T) {
	good := `{"schema":"2.0","config":{"update_multi":true},"body":{"elements":[{"tag":"markdown","content":"hi"},` +
		`{"tag":"form","name":"f","elements":[{"tag":"input","name":"a"},{"tag":"column_set","columns":[{"tag":"column","elements":[` +
		`{"tag":"button","name":"ok","form_action_type":"submit","text":{"tag":"plain_text","content":"ok"}}]}]}]}]}}`
	table := `{"tag":"table","page_size":5,"columns":[{"name":"n","display_name":"名称","data_type":"text"}],"rows":[{"n":"x"}]}`
	good = strings.Replace(good, `{"tag":"markdown","content":"hi"},`, `{"tag":"markdown","content":"hi"},`+strings.Repeat(table+",", 5), 1)
	bad := map[string]string{
		"unknown tag":         `{"schema":"2.0","body":{"elements":[{"tag":"blink"}]}}`,
		"1.0 tag":             `{"schema":"2.0","body":{"elements":[{"tag":"action","actions":[]}]}}`,
		"form without submit": `{"schema":"2.0","body":{"elements":[{"tag":"form","name":"f","elements":[{"tag":"input","name":"a"}]}]}}`,
		"duplicate name":      strings.Replace(good, `"name":"a"}`, `"name":"a"},{"tag":"checker","name":"a"}`, 1),
		"field without name":  strings.Replace(good, `{"tag":"input","name":"a"}`, `{"tag":"input"}`, 1),
		"duplicate id":        `{"schema":"2.0","body":{"elements":[{"tag":"hr","element_id":"x"},{"tag":"hr","element_id":"x"}]}}`,
		"nested form":         strings.Replace(good, `{"tag":"input","name":"a"}`, `{"tag":"form","name":"g","elements":[]}`, 1),
		"too many components": `{"schema":"2.0","body":{"elements":[` + strings.Repeat(`{"tag":"hr"},`, 200) + `{"tag":"hr"}]}}`,
		"column_set of divs":  `{"schema":"2.0","body":{"elements":[{"tag":"column_set","columns":[{"tag":"div"}]}]}}`,
		"table in a column":   `{"schema":"2.0","body":{"elements":[{"tag":"column_set","columns":[{"tag":"column","elements":[` + table + `]}]}]}}`,
		"six tables":          `{"schema":"2.0","body":{"elements":[` + strings.Repeat(table+",", 5) + table + `]}}`,
		"table page size":     `{"schema":"2.0","body":{"elements":[` + strings.Replace(table, `"page_size":5`, `"page_size":11`, 1) + `]}}`,
	}
	send := func(s *feishutest.Server, card string) int {
		t.Helper()
		resp, err := newClient(s).Im.V1.Message.Create(ctxT(t), larkim.NewCreateMessageReqBuilder().ReceiveIdType("chat_id").
			Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId("oc_1").MsgType("interactive").Content(card).Build()).Build())
		if err != nil {
			t.Fatal(err)
		}
		return resp.Code
	}
	strict := feishutest.NewT(t, feishutest.WithCardRules())
	if code := send(strict, good); code != 0 {
		t.Fatalf("a good card: code %d", code)
	}
	lax := feishutest.NewT(t)
	for name, card := range bad {
		if code := send(strict, card); code != feishutest.CodeBadCard {
			t.Errorf("%s: code %d, want %d", name, code, feishutest.CodeBadCard)
		}
		if code := send(lax, card); code != 0 {
			t.Errorf("%s without WithCardRules: code %d", name, code)
		}
	}
	if r := strict.RequestsFor(feishutest.OpSend); !strings.Contains(string(r[len(r)-1].Answer), "230099") {
		t.Errorf("the recorded answer: %s", r[len(r)-1].Answer)
	}
}

// TestAvailability: with WithAvailability a message to an open_id outside the directory is
// refused with 230013.
func TestAvailability(t *testing.T) {
	s := feishutest.NewT(t, feishutest.WithAvailability())
	s.AddUser(feishutest.User{OpenID: "ou_in", Name: "甲"})
	send := func(id string) int {
		t.Helper()
		resp, err := newClient(s).Im.V1.Message.Create(ctxT(t), larkim.NewCreateMessageReqBuilder().ReceiveIdType("open_id").
			Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId(id).MsgType("text").Content(`{"text":"hi"}`).Build()).Build())
		if err != nil {
			t.Fatal(err)
		}
		return resp.Code
	}
	if code := send("ou_in"); code != 0 {
		t.Errorf("a user in the directory: code %d", code)
	}
	if code := send("ou_out"); code != feishutest.CodeUserUnavailable {
		t.Errorf("a user outside: code %d, want %d", code, feishutest.CodeUserUnavailable)
	}
}
