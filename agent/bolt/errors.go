package bolt

import "errors"

// Open errors. A file locked by another process fails with
// agent.ErrLedgerInUse and a newer schema with agent.ErrLedgerTooNew; these
// cover the remaining ways a file can be the wrong ledger.
var (
	// ErrNotLedger is returned for a bbolt file with data but no meta bucket.
	ErrNotLedger = errors.New("file is not a tillsync ledger (no meta bucket)")
	// ErrWrongOwner is returned when the ledger belongs to another store or agent.
	ErrWrongOwner = errors.New("ledger belongs to another store or agent")
	// ErrBadMeta is returned when a meta value is missing or malformed.
	ErrBadMeta = errors.New("ledger meta is damaged")
)

// ErrClosed is returned by a commit made after Close.
var ErrClosed = errors.New("ledger is closed")

// Journal errors.
var (
	// ErrWatermarkAhead is returned by SetWatermark for a seq above the
	// journal head: central cannot ack what was never committed.
	ErrWatermarkAhead = errors.New("watermark is above the journal head")
	// ErrJournalDamaged is returned when an index or journal entry the
	// ledger's invariants promise is missing or undecodable.
	ErrJournalDamaged = errors.New("journal is damaged")
)
