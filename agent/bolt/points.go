package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

var _ agent.PointsBook = (*Ledger)(nil)

// pointsKey is the key of the i-th points entry of the event at seq: the
// seq big-endian, then i big-endian, so a card's entries are in commit order.
func pointsKey(seq uint64, i int) []byte {
	k := make([]byte, 10)
	binary.BigEndian.PutUint64(k, seq)
	binary.BigEndian.PutUint16(k[8:], uint16(i))
	return k
}

// checkPoints returns an EINVALID *Error for entries the points book cannot
// file: every entry needs a card, since the book is kept per card.
func checkPoints(what string, entries []agent.PointsEntry) error {
	if len(entries) > math.MaxUint16 {
		return agent.Errorf(agent.EINVALID, "%s has %d points entries, at most %d", what, len(entries), math.MaxUint16)
	}
	for i, e := range entries {
		if e.Card == "" || len(e.Card) > maxKeyLen {
			return agent.Errorf(agent.EINVALID, "%s: points entry %d needs a card number of 1 to %d characters", what, i+1, maxKeyLen)
		}
	}
	return nil
}

// stampPoints returns a copy of entries in which a zero At is at, the
// wall time of the event carrying them.
func stampPoints(entries []agent.PointsEntry, at time.Time) []agent.PointsEntry {
	if entries == nil {
		return nil
	}
	out := make([]agent.PointsEntry, len(entries))
	copy(out, entries)
	for i := range out {
		if out[i].At.IsZero() {
			out[i].At = at
		}
	}
	return out
}

// putPoints files the points entries of the event at seq under their cards.
func putPoints(tx *bbolt.Tx, seq uint64, entries []agent.PointsEntry) error {
	book := tx.Bucket([]byte(bucketPoints))
	for i, e := range entries {
		card, err := book.CreateBucketIfNotExists([]byte(e.Card))
		if err != nil {
			return fmt.Errorf("points book of card %s: %w", agent.MaskCard(e.Card), err)
		}
		if err := putJSON(card, pointsKey(seq, i), e); err != nil {
			return fmt.Errorf("points entry %d of seq %d: %w", i, seq, err)
		}
	}
	return nil
}

// deletePoints removes the points entries of the event at seq, and the
// book of a card left with none.
func deletePoints(tx *bbolt.Tx, seq uint64, entries []agent.PointsEntry) error {
	book := tx.Bucket([]byte(bucketPoints))
	for i, e := range entries {
		card := book.Bucket([]byte(e.Card))
		if card == nil {
			continue
		}
		if err := card.Delete(pointsKey(seq, i)); err != nil {
			return fmt.Errorf("delete points entry %d of seq %d: %w", i, seq, err)
		}
		if k, _ := card.Cursor().First(); k == nil {
			if err := book.DeleteBucket([]byte(e.Card)); err != nil {
				return fmt.Errorf("delete points book of card %s: %w", agent.MaskCard(e.Card), err)
			}
		}
	}
	return nil
}

// LocalEntries returns the points entries this store recorded for card,
// oldest first. When the member cache holds card with a balance time, only
// entries after it are returned: central's balance already counts older
// ones (its BalanceAt must be no earlier than the last of this store's
// events it applied). Entries of compacted journal events are gone.
func (l *Ledger) LocalEntries(ctx context.Context, card string) ([]agent.PointsEntry, error) {
	var out []agent.PointsEntry
	err := l.view(ctx, "points of card "+agent.MaskCard(card), func(tx *bbolt.Tx) error {
		var m agent.Member
		if _, err := getJSON(tx.Bucket([]byte(bucketMembers)), []byte(card), &m); err != nil {
			return fmt.Errorf("member: %w", err)
		}
		return eachPoints(tx, card, func(e agent.PointsEntry) {
			if m.BalanceAt.IsZero() || e.At.After(m.BalanceAt) {
				out = append(out, e)
			}
		})
	})
	return out, err
}

// RedeemedOn returns the points card redeemed at this store on the day (in
// loc) containing t, as a positive number: the sum of |Points| of its
// PointsRedeem entries. Points given back by a return (PointsRefundRedeem)
// do not give the day's offline cap back: the cap bounds what a store may
// have paid out unchecked that day (DESIGN §3), and a return does not undo
// the exposure the redemption already took. loc must not be nil.
func (l *Ledger) RedeemedOn(ctx context.Context, card string, t time.Time, loc *time.Location) (int64, error) {
	if loc == nil {
		return 0, agent.Errorf(agent.EINVALID, "no time zone given for the daily redemption count")
	}
	y, m, d := t.In(loc).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	end := start.AddDate(0, 0, 1) // not +24h: a DST day is 23 or 25 hours
	var sum int64
	err := l.view(ctx, "points redeemed by card "+agent.MaskCard(card), func(tx *bbolt.Tx) error {
		return eachPoints(tx, card, func(e agent.PointsEntry) {
			if e.Kind == agent.PointsRedeem && !e.At.Before(start) && e.At.Before(end) {
				sum += abs(e.Points)
			}
		})
	})
	return sum, err
}

// eachPoints calls fn with every entry of card's book, oldest first.
func eachPoints(tx *bbolt.Tx, card string, fn func(agent.PointsEntry)) error {
	b := tx.Bucket([]byte(bucketPoints)).Bucket([]byte(card))
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var e agent.PointsEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("points entry %x: %w: %w", k, ErrJournalDamaged, err)
		}
		fn(e)
		return nil
	})
}

// abs is |v|; points entries are far from math.MinInt64.
func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
