package agent

import (
	"context"
	"time"
)

// JournalEntry is one committed event in the agent's journal, as encoded
// for the wire (a syncproto.Event).
type JournalEntry struct {
	Seq      uint64
	WallTime time.Time
	Event    []byte // protobuf-encoded syncproto.Event
}

// LedgerStatus is what the ledger knows about the outbox.
type LedgerStatus struct {
	LastSeq       uint64    // highest committed seq (0 = empty journal)
	Watermark     uint64    // highest seq such that every seq ≤ it is acked by central
	OldestUnacked time.Time // wall time of seq Watermark+1; zero when the outbox is empty
}

// OutboxDepth is the number of committed events central has not acked.
func (s LedgerStatus) OutboxDepth() uint64 { return s.LastSeq - s.Watermark }

// Ledger is the agent's durable record. Implementations are safe for
// concurrent use.
type Ledger interface {
	// CommitSale assigns the next journal seq to s (setting s.Seq and
	// s.ReceiptNo), and stores the sale and its SaleCommitted journal event
	// in one durable transaction. It returns only after the commit is on
	// disk. A sale whose ID is already stored fails with ECONFLICT.
	CommitSale(ctx context.Context, s *Sale) error
	// Sale returns the sale with id, or an ENOTFOUND *Error.
	Sale(ctx context.Context, id string) (*Sale, error)
	// Journal returns up to max entries with seq ≥ from, in seq order.
	Journal(ctx context.Context, from uint64, max int) ([]JournalEntry, error)
	// SetWatermark persists that every seq ≤ seq is acked. A value lower
	// than the stored one is ignored; one above LastSeq is an error.
	SetWatermark(ctx context.Context, seq uint64) error
	// Status returns the journal head, the watermark and the outbox age.
	Status(ctx context.Context) (LedgerStatus, error)
}
