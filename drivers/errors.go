package drivers

import (
	"errors"
	"fmt"
)

// Sentinel errors; errors from this package wrap one of them.
var (
	// ErrConfig: a device's Config is invalid; retrying will not help.
	ErrConfig = errors.New("invalid device config")
	// ErrUnknownKind: no Factory is registered for the Config's Kind.
	ErrUnknownKind = errors.New("unknown device kind")
	// ErrFrameTooLong: the device sent more than MaxFrame bytes without a
	// terminator; the Framer dropped them and resynchronises.
	ErrFrameTooLong = errors.New("frame too long")
	// ErrCardRead: a swipe could not be read; the cashier should swipe
	// again. *CardReadError wraps it.
	ErrCardRead = errors.New("card could not be read, swipe again")
	// ErrHangUp: the device went away (unplugged, pty closed).
	ErrHangUp = errors.New("device hung up")
)

// RetryError is a start-up or connection failure that may pass (device
// unplugged, busy, not yet enumerated): the caller should report the
// device offline and try again later, not give up. Find it with
// errors.As; it wraps the cause.
type RetryError struct {
	Device string
	Err    error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("device %s: %v (will retry)", e.Device, e.Err)
}

// Unwrap returns the cause.
func (e *RetryError) Unwrap() error { return e.Err }

// Retryable reports whether err is, or wraps, a *RetryError.
func Retryable(err error) bool {
	var re *RetryError
	return errors.As(err, &re)
}

// UnifiedPOS MSR extended error codes (JPOS_EMSR_*).
const (
	MSRErrStart  = 201 // start sentinel missing
	MSRErrEnd    = 202 // end sentinel missing
	MSRErrParity = 203 // a character outside the track's character set
	MSRErrLRC    = 204 // longitudinal redundancy check failed
)

// CardReadError is a swipe that yielded no card. Code is the UnifiedPOS
// MSR error code where one applies (MSRErr*), or 0 when the reader itself
// reported the track unreadable ("%E?", ";E?") or the data is not a card.
// It wraps ErrCardRead and never contains track data.
type CardReadError struct {
	Track  int // 1 or 2; 0 if not track specific
	Code   int
	Detail string // what was wrong, without any card data
}

func (e *CardReadError) Error() string {
	if e.Track == 0 {
		return fmt.Sprintf("%v: %s", ErrCardRead, e.Detail)
	}
	return fmt.Sprintf("%v: track %d: %s", ErrCardRead, e.Track, e.Detail)
}

// Unwrap makes errors.Is(err, ErrCardRead) true.
func (e *CardReadError) Unwrap() error { return ErrCardRead }
