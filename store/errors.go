package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// Error codes, after benbjohnson/wtf: the edge (the bot's router) maps them to a reply.
const (
	EINVALID      = "invalid"      // bad input: the message says what is wrong
	ENOTFOUND     = "not_found"    // the thing does not exist
	ECONFLICT     = "conflict"     // the thing exists already, or changed under us
	EUNAUTHORIZED = "unauthorized" // the actor may not do this
	EINTERNAL     = "internal"     // anything else: logged, never shown
)

// Error is an application error. Message is written for the user (in Chinese) and is safe to
// show: it never carries personal data that the user did not type themselves. Op names the
// operation that failed (e.g. "store.GrantRole") and Err any underlying cause for the log.
type Error struct {
	Code    string
	Op      string
	Message string
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Code
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with a user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, or EINTERNAL for any other error and ""
// for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of an application error, or "" when there is
// none (the caller then shows a generic apology).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return ""
}

// notFound maps sql.ErrNoRows to ENOTFOUND with msg, anything else to EINTERNAL.
func notFound(op string, err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &Error{Code: ENOTFOUND, Op: op, Message: msg}
	}
	return &Error{Code: EINTERNAL, Op: op, Err: err}
}
