package handlertest

import (
	"encoding/json"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2024, 3, 20, 1, 0, 0, 0, time.UTC)
	c := NewClock(start, 0)
	if a, b := c.Now(), c.Now(); !a.Equal(start.Add(time.Millisecond)) || !b.Equal(start.Add(2*time.Millisecond)) {
		t.Errorf("default step: %s, %s", a, b)
	}
	c.Set(start)
	if got := c.Now(); !got.Equal(start.Add(time.Millisecond)) {
		t.Errorf("after Set: %s", got)
	}
	if got := NewClock(start, time.Microsecond).Now(); !got.Equal(start.Add(time.Microsecond)) {
		t.Errorf("microsecond step: %s", got)
	}
}

func TestAnswerData(t *testing.T) {
	var a Answer
	if err := json.Unmarshal([]byte(`{"toast":{"type":"info","content":"好"},"card":{"type":"raw","data":{"schema":"2.0"}}}`), &a); err != nil {
		t.Fatal(err)
	}
	if a.Toast.Type != "info" || a.Toast.Content != "好" || a.Data() != `{"schema":"2.0"}` {
		t.Errorf("answer = %+v, data %s", a, a.Data())
	}
	if d := (Answer{}).Data(); d != "" {
		t.Errorf("no card: data %q", d)
	}
}
