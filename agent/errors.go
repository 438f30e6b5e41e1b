package agent

import (
	"errors"
	"fmt"
)

// Error codes. An error that reaches a cashier or an HTTP client carries one
// of these so the edge can map it (EINVALID → 400, ENOTFOUND → 404, ...).
const (
	ECONFLICT    = "conflict"
	EINTERNAL    = "internal"
	EINVALID     = "invalid"
	ENOTFOUND    = "not_found"
	EUNAVAILABLE = "unavailable"
)

// Error is a coded application error whose Message is safe to show to a
// cashier or API client (it never carries a full card number).
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

// Ledger errors.
var (
	// ErrLedgerInUse is returned when another process holds the ledger file.
	ErrLedgerInUse = errors.New("ledger is in use by another process")
	// ErrLedgerTooNew is returned when the ledger was written by a newer schema.
	ErrLedgerTooNew = errors.New("ledger was written by a newer tillsync (schema version too new)")
)
