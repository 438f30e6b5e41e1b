package mqtt

import "errors"

// Uplink errors.
var (
	// ErrInvalidConfig wraps every Config validation error; the message
	// names the field and the bad value.
	ErrInvalidConfig = errors.New("invalid uplink config")
	// ErrAlreadyRunning is returned by Run while another Run of the same
	// Uplink is in progress: two loops would race over one watermark.
	ErrAlreadyRunning = errors.New("uplink is already running")
)
