package central

import (
	"errors"
	"fmt"
)

// Error codes. An error that reaches an HTTP client carries one of these so
// the edge can map it (EINVALID → 400, ENOTFOUND → 404, ...).
const (
	ECONFLICT    = "conflict"
	EINTERNAL    = "internal"
	EINVALID     = "invalid"
	ENOTFOUND    = "not_found"
	EUNAVAILABLE = "unavailable"
)

// Error is a coded application error whose Message is safe to show to an
// API client or an operator (it never carries a full card number).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns a coded *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for an internal error (whose details go to the log only).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Database errors, shared by every Store implementation.
var (
	// ErrSchemaTooNew is returned when a database was migrated by a newer
	// tillsync-central than this one.
	ErrSchemaTooNew = errors.New("database was written by a newer tillsync-central (schema version too new)")
	// ErrSchemaTooOld is returned when a database opened read-only still
	// needs migrations; open it read-write once (tillsync-central run).
	ErrSchemaTooOld = errors.New("database needs migration (open it read-write once, e.g. with tillsync-central run)")
)
