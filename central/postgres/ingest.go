package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// payloadOptions keep stored payloads byte-stable for one build; unknown
// fields from a newer agent are kept, so a quarantined event of an unknown
// kind can be re-applied after an upgrade. Read-only after init.
var payloadOptions = proto.MarshalOptions{Deterministic: true}

// maxAttempts bounds how often IngestBatch runs its transaction when
// PostgreSQL aborts it as a deadlock victim or for a serialization failure.
const maxAttempts = 5

// outcome is what happened to one event.
type outcome int

const (
	pending outcome = iota // not decided yet: a sale still to insert
	applied
	duplicate
	quarantined
)

// item is one event of the batch, checked once before the transaction.
type item struct {
	ev      *syncproto.Event
	id      string // event id as stored; "" when missing or unstorable
	payload []byte
	kind    string
	kept    bool                  // stored for the member ledger, nothing derived
	sale    *central.Sale         // the sale to apply, or nil
	ledger  *central.LedgerChange // its points, enrollment or return, or nil
	reason  string                // quarantine reason when it cannot be applied
}

// IngestBatch implements central.Store. The events' unique keys are the
// idempotency guard: every insert is ON CONFLICT DO NOTHING and derived rows
// are written only when the insert took, so a redelivered, reordered or
// concurrently delivered batch — also from several central instances —
// changes nothing twice. A transaction PostgreSQL aborts as a deadlock
// victim or serialization failure is run again, up to maxAttempts times.
func (db *DB) IngestBatch(ctx context.Context, b *syncproto.Batch, receivedAt time.Time) (central.IngestResult, error) {
	if err := central.ValidateBatch(b, b.GetStoreId(), b.GetAgentId()); err != nil {
		return central.IngestResult{}, err
	}
	// PostgreSQL text cannot hold NUL; the topic ids of a real batch never
	// do (syncproto.ValidID), so such a batch cannot be stored at all.
	if strings.ContainsRune(b.GetAgentId()+b.GetStoreId(), 0) {
		return central.IngestResult{}, central.Errorf(central.EINVALID, "batch store or agent id contains a NUL byte")
	}
	items, err := prepare(b, receivedAt)
	if err != nil {
		return central.IngestResult{}, fmt.Errorf("ingest batch %s: %w", b.GetAgentId(), err)
	}
	for attempt := 1; ; attempt++ {
		var res central.IngestResult
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			w := &writer{tx: tx, b: b, items: items, receivedMS: receivedAt.UnixMilli(), zone: db.zone}
			var err error
			res, err = w.run(ctx)
			return err
		})
		if err == nil {
			return res, nil
		}
		if !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return central.IngestResult{}, fmt.Errorf("ingest batch %s %d..%d (attempt %d): %w",
				b.GetAgentId(), b.GetFirstSeq(), b.GetLastSeq(), attempt, err)
		}
		db.logger.Warn("ingest batch retried", "agent", b.GetAgentId(), "first_seq", b.GetFirstSeq(),
			"attempt", attempt, "err", err)
	}
}

// retryable reports whether err aborted the transaction for a reason that
// running it again can cure: SQLSTATE 40001 serialization_failure or 40P01
// deadlock_detected (PostgreSQL manual, appendix A).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// prepare encodes and checks every event of b, exactly as package sqlite
// does, before any statement runs; a retried transaction reuses it.
func prepare(b *syncproto.Batch, receivedAt time.Time) ([]item, error) {
	items := make([]item, len(b.GetEvents()))
	for i, ev := range b.GetEvents() {
		payload, err := payloadOptions.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("event seq %d: encode payload: %w", ev.GetSeq(), err)
		}
		it := item{ev: ev, id: ev.GetEventId(), payload: payload, kind: central.EventKind(ev)}
		switch {
		case strings.ContainsRune(it.id, 0):
			// Stored like an event without id, so a redelivery finds it
			// again; PostgreSQL text cannot hold NUL.
			it.id = ""
			it.reason = central.Reason(central.ReasonBadData, "event seq %d: event_id contains a NUL byte", ev.GetSeq())
		default:
			// EventSale quarantines a sale with NUL in its texts (bad_data).
			it.kept = central.Kept(ev)
			it.sale, it.ledger, it.reason = central.CheckEvent(b, ev, receivedAt)
		}
		items[i] = it
	}
	return items, nil
}

// absDiff returns |a − b|, saturating instead of overflowing on a garbage
// agent timestamp.
func absDiff(a, b int64) int64 {
	if a < b {
		a, b = b, a
	}
	if d := a - b; d >= 0 {
		return d
	}
	return math.MaxInt64
}
