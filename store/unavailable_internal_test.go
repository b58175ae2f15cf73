package store

import (
	"syscall"
	"testing"
	"time"
)

// TestWriteHealthNeedsALaterCommit: after a write failed because the database is unavailable,
// only the commit of an event that began after the failure ends it; one already under way
// (which may still have found room) does not, and neither does a refusal's error.
func TestWriteHealthNeedsALaterCommit(t *testing.T) {
	db := &DB{}
	db.noteFailure(syscall.EPERM) // not an unavailability: ignored
	if db.health.failed != nil {
		t.Fatal("a non-availability error marked the database unavailable")
	}
	before := time.Now()
	time.Sleep(time.Millisecond)
	db.noteFailure(syscall.ENOSPC)
	if db.health.failed == nil {
		t.Fatal("a full disk did not mark the database unavailable")
	}
	db.noteCommittedSince(before)
	if db.health.failed == nil {
		t.Error("an event begun before the failure ended it")
	}
	time.Sleep(time.Millisecond)
	db.noteCommittedSince(time.Now())
	if db.health.failed != nil {
		t.Error("an event begun after the failure did not end it")
	}
}
