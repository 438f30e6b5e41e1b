package central

import (
	"context"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// StoreSales is the running total of one store's sales.
type StoreSales struct {
	StoreID  string
	Sales    int64
	TotalFen int64
}

// AgentSync is how far central holds one agent's journal.
type AgentSync struct {
	AgentID string
	StoreID string
	// Events is the number of the agent's events stored (applied or
	// quarantined).
	Events int64
	// MaxSeq is the highest seq stored.
	MaxSeq uint64
	// ContiguousThrough is the highest seq with every seq ≤ it stored; a
	// value below MaxSeq means a gap that the agent's resend should fill.
	ContiguousThrough uint64
	// LastReceivedAt is central's clock at the latest batch.
	LastReceivedAt time.Time
	// MaxClockSkew is the largest |central receive time − agent send time|
	// seen over the agent's batches. It includes transit and broker queueing
	// delay, so it is an upper bound on the clock difference (DESIGN §5.7).
	MaxClockSkew time.Duration
}

// IngestResult counts what one IngestBatch did with the batch's events.
// Applied + Duplicates + Quarantined is the number of events in the batch.
type IngestResult struct {
	Applied     int // stored and applied for the first time
	Duplicates  int // already stored by an earlier delivery; nothing changed
	Quarantined int // stored for the first time in quarantine with a reason
}

// QuarantinedEvent is an event central stored but could not apply. Its
// payload is kept in the database so it can be re-applied after a fix.
type QuarantinedEvent struct {
	ID         int64 // the quarantine row's id, for ReplayQuarantined
	AgentID    string
	StoreID    string
	Seq        uint64
	EventID    string
	Reason     string // "code: detail", code one of the Reason... constants
	ReceivedAt time.Time
}

// ReplayResult is what ReplayQuarantined did with one quarantined event.
type ReplayResult struct {
	ID      int64
	AgentID string
	Seq     uint64
	EventID string
	// Applied: the event applied now (its sale, if any, is stored) and its
	// quarantine row is gone.
	Applied bool
	// Reason is the stored reason the event still cannot be applied; ""
	// when Applied.
	Reason string
}

// Store is central's database. Implementations are safe for concurrent use,
// including by several central processes sharing one database (DESIGN §7).
type Store interface {
	// IngestBatch stores every event of b in one transaction and applies
	// each one not seen before, exactly once, whatever order and however
	// often batches arrive. An event that cannot be applied is stored in
	// quarantine with its reason and counted, not returned as an error. It
	// fails with EINVALID for a batch that fails ValidateBatch, and with an
	// internal error when nothing was committed; a nil error means every
	// event is durable and the batch may be acked.
	IngestBatch(ctx context.Context, b *syncproto.Batch, receivedAt time.Time) (IngestResult, error)
	// Sale returns the sale with id, or an ENOTFOUND *Error.
	Sale(ctx context.Context, id string) (*Sale, error)
	// SalesByStore returns every store's totals ordered by store id.
	SalesByStore(ctx context.Context) ([]StoreSales, error)
	// Agents returns the sync status of every agent that sent a batch,
	// ordered by store id then agent id.
	Agents(ctx context.Context) ([]AgentSync, error)
	// Quarantined returns up to limit quarantined events, oldest first.
	Quarantined(ctx context.Context, limit int) ([]QuarantinedEvent, error)
	// ReplayQuarantined re-runs the quarantined event with id through the
	// ingest checks and apply path, in one transaction: when it applies now
	// (say an unknown_kind event after an upgrade) its derived rows are
	// written and its quarantine row deleted; when it still cannot, its
	// reason is updated and it stays. A replay of an id no longer
	// quarantined fails with ENOTFOUND, so an event is never applied twice.
	ReplayQuarantined(ctx context.Context, id int64) (ReplayResult, error)
	// RecordPresence stores an agent's birth or death unless a message of a
	// later session is stored (DESIGN §5 rule 3): a lower session changes
	// nothing and returns applied false; an equal or higher one replaces
	// the agent's row. The rule is decided in the database, so central
	// instances sharing it agree (DESIGN §7).
	RecordPresence(ctx context.Context, p Presence) (applied bool, err error)
	// Presence returns every agent's presence ordered by store id then
	// agent id.
	Presence(ctx context.Context) ([]Presence, error)
	PointsStore
	// Close releases the database.
	Close() error
}

// PointsStore is the member points ledger at central. IngestBatch and
// ReplayQuarantined apply every applied event's points entries (by entry
// id, once), enrollments and foreign returns in their own transaction, so
// a card's balance is the sum of its entries however batches arrive
// (DESIGN §5 rule 1, §8.2).
type PointsStore interface {
	// Balance returns card's balance as of now (pending derived from the
	// entries' AvailableAt), or an ENOTFOUND *Error for a card with no
	// entries and no enrollment.
	Balance(ctx context.Context, card string, now time.Time) (Balance, error)
	// CardEntries returns up to limit of card's entries, oldest first (by
	// At, then id); none for an unknown card.
	CardEntries(ctx context.Context, card string, limit int) ([]PointsEntry, error)
	// Debtors returns up to limit cards whose balance is negative, largest
	// debt first, then by card.
	Debtors(ctx context.Context, limit int) ([]Debtor, error)
	// OverdraftFlags returns up to limit flagged redemptions (see
	// OverdraftFlag for the rule), oldest first.
	OverdraftFlags(ctx context.Context, limit int) ([]OverdraftFlag, error)
	// UnresolvedReturns returns up to limit returns of other stores' sales
	// still waiting for their original sale, by return id.
	UnresolvedReturns(ctx context.Context, limit int) ([]UnresolvedReturn, error)
	// ExpirePoints posts the expired entries ExpireLots computes as of now
	// for every card with a lot whose expiry passed and has no expired
	// entry yet, one card per transaction. Entry ids derive from the lot,
	// so running it twice, or on two instances at once, posts each once.
	ExpirePoints(ctx context.Context, now time.Time) (ExpireResult, error)
	// AdjustPoints posts a's entry (AdjustmentEntry) and reports whether
	// it was new; an adjustment id already posted changes nothing. It
	// fails with EINVALID for a bad adjustment.
	AdjustPoints(ctx context.Context, a Adjustment) (applied bool, err error)
}
