package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

// eventWallTimeField is the field number of syncproto.Event.wall_time_ms.
// Field numbers are the wire contract and never change;
// TestEventWallTimeField pins this one to the generated descriptor.
const eventWallTimeField protowire.Number = 3

// Journal returns up to max entries with seq ≥ from, in seq order, with
// their event bytes copied out of the file. Entries compacted away are
// skipped, so the first entry may have a seq above from. max must be ≥ 1.
func (l *Ledger) Journal(ctx context.Context, from uint64, max int) ([]agent.JournalEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read journal from %d: %w", from, err)
	}
	if max < 1 {
		return nil, agent.Errorf(agent.EINVALID, "journal read of %d entries: max must be at least 1", max)
	}
	var out []agent.JournalEntry
	err := l.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(bucketJournal)).Cursor()
		for k, v := c.Seek(u64(from)); k != nil && len(out) < max; k, v = c.Next() {
			e, err := journalEntry(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read journal from %d: %w", from, err)
	}
	return out, nil
}

// journalEntry copies one journal key/value out of a transaction.
func journalEntry(k, v []byte) (agent.JournalEntry, error) {
	seq, ok := parseU64(k)
	if !ok {
		return agent.JournalEntry{}, fmt.Errorf("journal key %x is not a seq: %w", k, ErrJournalDamaged)
	}
	wt, err := eventWallTime(v)
	if err != nil {
		return agent.JournalEntry{}, fmt.Errorf("journal entry %d: %w", seq, err)
	}
	return agent.JournalEntry{Seq: seq, WallTime: wt, Event: bytes.Clone(v)}, nil
}

// eventWallTime reads wall_time_ms from an encoded syncproto.Event without
// decoding the rest of it (lines and all), so Status and Journal stay cheap.
// An absent field is proto3's zero, the Unix epoch.
func eventWallTime(b []byte) (time.Time, error) {
	var ms int64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return time.Time{}, fmt.Errorf("decode event: %w: %w", ErrJournalDamaged, protowire.ParseError(n))
		}
		b = b[n:]
		if num == eventWallTimeField && typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return time.Time{}, fmt.Errorf("decode event wall time: %w: %w", ErrJournalDamaged, protowire.ParseError(m))
			}
			ms, b = int64(v), b[m:]
			continue // the last occurrence wins, as in any protobuf decoder
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return time.Time{}, fmt.Errorf("decode event: %w: %w", ErrJournalDamaged, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Status returns the journal head (the journal bucket's sequence, which
// compaction never lowers), the watermark, and the wall time of the oldest
// unacked entry (zero when the outbox is empty).
func (l *Ledger) Status(ctx context.Context) (agent.LedgerStatus, error) {
	if err := ctx.Err(); err != nil {
		return agent.LedgerStatus{}, fmt.Errorf("ledger status: %w", err)
	}
	var st agent.LedgerStatus
	err := l.db.View(func(tx *bbolt.Tx) error {
		journal := tx.Bucket([]byte(bucketJournal))
		wm, err := watermark(tx)
		if err != nil {
			return err
		}
		st.LastSeq, st.Watermark = journal.Sequence(), wm
		if wm >= st.LastSeq {
			return nil
		}
		v := journal.Get(u64(wm + 1))
		if v == nil {
			return fmt.Errorf("unacked journal entry %d is missing: %w", wm+1, ErrJournalDamaged)
		}
		st.OldestUnacked, err = eventWallTime(v)
		return err
	})
	if err != nil {
		return agent.LedgerStatus{}, fmt.Errorf("ledger status: %w", err)
	}
	return st, nil
}
