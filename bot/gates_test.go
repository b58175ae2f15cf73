package bot

import (
	"context"
	"testing"
	"time"
)

func TestGates(t *testing.T) {
	var g gates
	ctx := context.Background()
	r1, err := g.enter(ctx, "a", 2)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := g.enter(ctx, "a", 2)
	if err != nil {
		t.Fatal(err)
	}
	// Another key has its own slots.
	rb, err := g.enter(ctx, "b", 2)
	if err != nil {
		t.Fatal(err)
	}
	rb()
	// The third of "a" waits for a slot...
	got := make(chan func(), 1)
	go func() {
		r, err := g.enter(ctx, "a", 2)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	select {
	case <-got:
		t.Fatal("a third transaction entered a gate of two")
	case <-time.After(50 * time.Millisecond):
	}
	r1()
	var r3 func()
	select {
	case r3 = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("a freed slot was not handed on")
	}
	// ...and a waiter whose context ends gives up.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := g.enter(cctx, "a", 2); err == nil {
		t.Fatal("entered a full gate")
	}
	r2()
	r3()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.m) != 0 {
		t.Errorf("%d gates left after everyone left", len(g.m))
	}
}
