package bolt

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

var _ agent.Returns = (*Ledger)(nil)

// CommitReturn records r in one fsynced transaction: it checks that no
// line of the original sale, if this ledger holds it, is returned beyond
// what was sold (ECONFLICT: "line 2 of sale X was already returned", "line
// 2 of sale X has only 1.5 left to return") or is not that sale's line or
// SKU (EINVALID); adds r's quantities to the sale's returned quantities;
// assigns the next journal seq, setting r.Seq and r.ReceiptNo
// ("R-{store}-{lane}-{seq:06}"); and writes r's ReturnCommitted journal
// event, its index entry and its points entries. Checking inside the
// writing transaction is what makes two lanes returning the same line at
// once safe: bbolt runs write transactions one at a time. A return of a
// sale this ledger does not hold (another store's, or one compacted away)
// is recorded without line checks, for central to resolve.
//
// A zero r.WallTime (and a points entry's zero At) is stamped with the
// ledger's clock. On any error nothing is written and r is unchanged. A
// return id already stored fails with ECONFLICT.
func (l *Ledger) CommitReturn(ctx context.Context, r *agent.Return) error {
	if r == nil {
		return agent.Errorf(agent.EINVALID, "no return given")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit return %s: %w", r.ID, err)
	}
	if err := l.checkReturn(r); err != nil {
		return err
	}
	c := returnCommit{ret: *r, storeID: l.storeID, eventID: l.newEventID()}
	if c.ret.WallTime.IsZero() {
		c.ret.WallTime = l.now()
	}
	c.ret.Points = stampPoints(r.Points, c.ret.WallTime)
	if err := l.writer.commit(c.check, c.apply); err != nil {
		return wrapUncoded(err, "commit return %s", r.ID)
	}
	r.Seq, r.ReceiptNo, r.WallTime, r.Points = c.ret.Seq, c.ret.ReceiptNo, c.ret.WallTime, c.ret.Points
	l.logger.Info("return committed", "return", r.ID, "sale", r.OriginalSaleID, "seq", r.Seq)
	return nil
}

func (l *Ledger) checkReturn(r *agent.Return) error {
	for _, f := range []struct{ name, v string }{
		{"return id", r.ID}, {"lane", r.LaneID}, {"original sale id", r.OriginalSaleID},
	} {
		if f.v == "" || len(f.v) > maxKeyLen {
			return agent.Errorf(agent.EINVALID, "return %s: %s must be 1 to %d characters", r.ID, f.name, maxKeyLen)
		}
	}
	switch {
	case r.StoreID != l.storeID:
		return agent.Errorf(agent.EINVALID, "return %s is for store %q, this ledger is store %q", r.ID, r.StoreID, l.storeID)
	case len(r.Lines) == 0 || len(r.Lines) > agent.MaxLines:
		return agent.Errorf(agent.EINVALID, "return %s: needs 1 to %d lines", r.ID, agent.MaxLines)
	}
	for i, rl := range r.Lines {
		switch {
		case rl.OriginalLineNo < 1:
			return agent.Errorf(agent.EINVALID, "return %s line %d: original line number must be at least 1", r.ID, i+1)
		case rl.QuantityMilli < 1 || rl.QuantityMilli > agent.MaxQuantityMilli:
			return agent.Errorf(agent.EINVALID, "return %s line %d: quantity_milli %d is out of range (1 to %d)", r.ID, i+1, rl.QuantityMilli, agent.MaxQuantityMilli)
		case rl.RefundFen < 0:
			return agent.Errorf(agent.EINVALID, "return %s line %d: refund %d fen is negative", r.ID, i+1, rl.RefundFen)
		}
	}
	return checkPoints("return "+r.ID, r.Points)
}

// returnCommit is one CommitReturn's transaction; like commit, it may run
// several times in the group commit and starts from the caller's copy.
type returnCommit struct {
	ret     agent.Return
	storeID string
	eventID string
	// returned is what check computed of the original sale's returned
	// quantities with this return added, for apply to store.
	returned map[int]int64
}

// check refuses a return id already recorded and a return its original
// sale cannot take (see CommitReturn), seeing the returns committed
// earlier in the same group. It writes nothing, so a refusal fails this
// return alone.
func (c *returnCommit) check(tx *bbolt.Tx) error {
	if tx.Bucket([]byte(bucketReturns)).Get([]byte(c.ret.ID)) != nil {
		return agent.Errorf(agent.ECONFLICT, "return %s is already recorded", c.ret.ID)
	}
	done, err := returnedWith(tx, &c.ret)
	if err != nil {
		return err
	}
	c.returned = done
	return nil
}

// apply writes the returned quantities, the return's journal event under
// the next seq, its index entry and its points entries.
func (c *returnCommit) apply(tx *bbolt.Tx) error {
	if err := putJSON(tx.Bucket([]byte(bucketReturned)), []byte(c.ret.OriginalSaleID), c.returned); err != nil {
		return fmt.Errorf("returned quantities of sale %s: %w", c.ret.OriginalSaleID, err)
	}
	journal := tx.Bucket([]byte(bucketJournal))
	seq, err := journal.NextSequence()
	if err != nil {
		return fmt.Errorf("next seq: %w", err)
	}
	c.ret.Seq = seq
	c.ret.ReceiptNo = fmt.Sprintf("R-%s-%s-%06d", c.storeID, c.ret.LaneID, seq)
	ev, err := agent.EncodeReturnEvent(&c.ret, c.eventID)
	if err != nil {
		return err
	}
	if err := journal.Put(u64(seq), ev); err != nil {
		return fmt.Errorf("put journal %d: %w", seq, err)
	}
	if err := tx.Bucket([]byte(bucketReturns)).Put([]byte(c.ret.ID), u64(seq)); err != nil {
		return fmt.Errorf("put return index: %w", err)
	}
	return putPoints(tx, seq, c.ret.Points)
}

// returnedWith checks r against its original sale, when held, and returns
// the quantities returned of that sale with r's added.
func returnedWith(tx *bbolt.Tx, r *agent.Return) (map[int]int64, error) {
	done := make(map[int]int64)
	if _, err := getJSON(tx.Bucket([]byte(bucketReturned)), []byte(r.OriginalSaleID), &done); err != nil {
		return nil, fmt.Errorf("returned quantities of sale %s: %w", r.OriginalSaleID, err)
	}
	want := make(map[int]int64, len(r.Lines))
	for _, rl := range r.Lines {
		want[rl.OriginalLineNo] += rl.QuantityMilli
	}
	sale, err := heldSale(tx, r.OriginalSaleID)
	if err != nil {
		return nil, err
	}
	if sale != nil {
		if err := checkReturnable(sale, r, done, want); err != nil {
			return nil, err
		}
	}
	for no, q := range want {
		done[no] += q
	}
	return done, nil
}

// heldSale returns the sale with id if this ledger holds it, else nil.
func heldSale(tx *bbolt.Tx, id string) (*agent.Sale, error) {
	idx := tx.Bucket([]byte(bucketSales)).Get([]byte(id))
	if idx == nil {
		return nil, nil
	}
	seq, ok := parseU64(idx)
	if !ok {
		return nil, fmt.Errorf("sale %s: index entry is %d bytes: %w", id, len(idx), ErrJournalDamaged)
	}
	v := tx.Bucket([]byte(bucketJournal)).Get(u64(seq))
	if v == nil {
		return nil, fmt.Errorf("sale %s: journal entry %d is missing: %w", id, seq, ErrJournalDamaged)
	}
	return decodeSale(id, v)
}

// checkReturnable checks each return line against the sale's line: it
// must exist, be the same SKU, and have at least the quantity left.
func checkReturnable(s *agent.Sale, r *agent.Return, done, want map[int]int64) error {
	sold := make(map[int]agent.Line, len(s.Lines))
	for _, l := range s.Lines {
		sold[l.No] = l
	}
	for _, rl := range r.Lines {
		l, ok := sold[rl.OriginalLineNo]
		switch {
		case !ok:
			return agent.Errorf(agent.EINVALID, "sale %s has no line %d", s.ID, rl.OriginalLineNo)
		case rl.SKU != l.SKU:
			return agent.Errorf(agent.EINVALID, "line %d of sale %s is SKU %s, not %s", l.No, s.ID, l.SKU, rl.SKU)
		}
	}
	nos := make([]int, 0, len(want))
	for no := range want {
		nos = append(nos, no)
	}
	slices.Sort(nos) // the first problem by line number, the same every time
	for _, no := range nos {
		left := sold[no].QuantityMilli - done[no]
		switch {
		case left <= 0:
			return agent.Errorf(agent.ECONFLICT, "line %d of sale %s was already returned", no, s.ID)
		case want[no] > left:
			return agent.Errorf(agent.ECONFLICT, "line %d of sale %s has only %s left to return", no, s.ID, formatMilli(left))
		}
	}
	return nil
}

// formatMilli renders a quantity in thousandths as a decimal for the
// cashier: 2000 → "2", 1500 → "1.5", 250 → "0.25".
func formatMilli(q int64) string {
	s := strconv.FormatInt(q/1000, 10)
	if frac := q % 1000; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%03d", frac), "0")
	}
	return s
}

// Returned returns the quantity (thousandths) already returned at this
// store of each line of sale saleID, by line number; an empty map for a
// sale nothing was returned of.
func (l *Ledger) Returned(ctx context.Context, saleID string) (map[int]int64, error) {
	done := make(map[int]int64)
	err := l.view(ctx, "returned of sale "+saleID, func(tx *bbolt.Tx) error {
		_, err := getJSON(tx.Bucket([]byte(bucketReturned)), []byte(saleID), &done)
		return err
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// ReturnByID returns the committed return with id, decoded from its
// journal event, or an ENOTFOUND *Error (also once compacted away).
func (l *Ledger) ReturnByID(ctx context.Context, id string) (*agent.Return, error) {
	var raw []byte
	err := l.view(ctx, "return "+id, func(tx *bbolt.Tx) error {
		var err error
		raw, err = indexedEvent(tx, bucketReturns, "return", id)
		return err
	})
	if err != nil {
		return nil, err
	}
	var ev syncproto.Event
	if err := proto.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("return %s: decode event: %w: %w", id, ErrJournalDamaged, err)
	}
	r, err := agent.ReturnFromEvent(&ev)
	if err != nil {
		return nil, fmt.Errorf("return %s: %w", id, err)
	}
	return r, nil
}
