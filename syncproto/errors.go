package syncproto

import "errors"

// Decode errors. Every decoder wraps one of these with the details (both
// schema versions, the seq that is out of place, the parser's complaint), so
// a receiver can log the reason and test for the class with errors.Is.
var (
	// ErrTooLarge is returned for a payload over MaxPayloadSize, before it
	// is parsed, and by the encoders for a message that would exceed it.
	ErrTooLarge = errors.New("payload too large")
	// ErrMalformed is returned for bytes that are not a valid message of
	// the expected kind, or that lack a field every such message carries.
	ErrMalformed = errors.New("malformed message")
	// ErrSchemaTooNew is returned for a message whose schema_version is
	// higher than SchemaVersion: it was written by a newer tillsync.
	ErrSchemaTooNew = errors.New("schema version too new")
	// ErrSeqRange is returned for a Batch whose events do not hold exactly
	// the seqs first_seq..last_seq in order.
	ErrSeqRange = errors.New("batch events do not match first_seq..last_seq")
	// ErrUnknownKind is returned for an Event without a payload this
	// version knows.
	ErrUnknownKind = errors.New("unknown event kind")
)

// Signing errors.
var (
	// ErrBadSignature is returned by VerifyBatch for a batch that is
	// unsigned or whose signature does not match its content and key.
	ErrBadSignature = errors.New("bad batch signature")
	// ErrNoKey is returned when signing or verifying with an empty key.
	ErrNoKey = errors.New("empty signing key")
)
