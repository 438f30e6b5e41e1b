package central

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// Quarantine reason codes. A quarantined event's reason is "code: detail";
// the code is stable for dashboards and alerts, the detail is for people.
const (
	// ReasonUnknownKind: the event's payload is of a kind this build does
	// not know (a newer agent); it can be re-applied after an upgrade.
	ReasonUnknownKind = "unknown_kind"
	// ReasonBadData: the event is of a known kind but its content breaks a
	// rule (line totals, negative quantities, ids that do not match).
	ReasonBadData = "bad_data"
	// ReasonSaleIDConflict: the sale id is already stored under another
	// (agent, seq) — a till that reused an id, or a journal copied to a
	// second agent.
	ReasonSaleIDConflict = "sale_id_conflict"
	// ReasonEventIDConflict: the event id is already stored under another
	// (agent, seq).
	ReasonEventIDConflict = "event_id_conflict"
	// ReasonSeqConflict: the agent's seq is already stored with another
	// event id — an agent whose journal was reset without re-provisioning.
	ReasonSeqConflict = "seq_conflict"
)

// Event kinds as stored with each event.
const (
	KindSaleCommitted   = "sale_committed"
	KindReturnCommitted = "return_committed"
	KindMemberEnrolled  = "member_enrolled"
	KindUnknown         = "unknown"
)

// KeptForLedger reports whether events of kind are stored as they came,
// with no derived rows yet: returns and enrollments are kept in the events
// table (exactly once, like every event) for the member ledger that
// applies points, returns and enrollments at central.
func KeptForLedger(kind string) bool {
	return kind == KindReturnCommitted || kind == KindMemberEnrolled
}

// Kept reports whether ev is applied by keeping its event row: a
// KeptForLedger kind with an event id fit to store (not empty, no NUL,
// which PostgreSQL text cannot hold). Any other event goes to EventSale.
func Kept(ev *syncproto.Event) bool {
	id := ev.GetEventId()
	return KeptForLedger(EventKind(ev)) && id != "" && !strings.ContainsRune(id, 0)
}

// maxIDLen bounds the ids central stores (sale, lane, receipt, card).
const maxIDLen = 64

// Reason formats a quarantine reason from a code and a detail.
func Reason(code, format string, args ...any) string {
	return code + ": " + fmt.Sprintf(format, args...)
}

// EventKind returns the kind name central stores with ev.
func EventKind(ev *syncproto.Event) string {
	switch {
	case ev.GetSaleCommitted() != nil:
		return KindSaleCommitted
	case ev.GetReturnCommitted() != nil:
		return KindReturnCommitted
	case ev.GetMemberEnrolled() != nil:
		return KindMemberEnrolled
	}
	return KindUnknown
}

// EventSale returns the sale carried by ev, an event of batch b that passed
// ValidateBatch, checked for everything central needs before applying it.
// When ev cannot be applied it returns a nil sale and the quarantine reason
// (see Reason and the Reason... codes); it never returns both.
func EventSale(b *syncproto.Batch, ev *syncproto.Event, receivedAt time.Time) (*Sale, string) {
	if ev.GetEventId() == "" {
		return nil, Reason(ReasonBadData, "event seq %d has no event_id", ev.GetSeq())
	}
	if strings.ContainsRune(ev.GetEventId(), 0) {
		return nil, Reason(ReasonBadData, "event seq %d: event_id contains a NUL byte", ev.GetSeq())
	}
	if err := syncproto.ValidateEvent(ev); err != nil {
		if errors.Is(err, syncproto.ErrUnknownKind) {
			return nil, Reason(ReasonUnknownKind, "%v", err)
		}
		return nil, Reason(ReasonBadData, "%v", err)
	}
	sc := ev.GetSaleCommitted()
	if reason := checkSaleHeader(b, ev, sc); reason != "" {
		return nil, reason
	}
	s := &Sale{
		ID: sc.GetSaleId(), AgentID: b.GetAgentId(), Seq: ev.GetSeq(), StoreID: sc.GetStoreId(),
		LaneID: sc.GetLaneId(), ReceiptNo: sc.GetReceiptNo(), TotalFen: sc.GetTotalFen(),
		MemberCard:    sc.GetMemberCard(),
		AgentWallTime: time.UnixMilli(sc.GetAgentWallTimeMs()).UTC(),
		ReceivedAt:    receivedAt.UTC(),
	}
	var sum int64
	for i, l := range sc.GetLines() {
		lt, reason := checkLine(i, l)
		if reason != "" {
			return nil, reason
		}
		if sum > math.MaxInt64-lt {
			return nil, Reason(ReasonBadData, "sale %s: total overflows", s.ID)
		}
		sum += lt
		s.Lines = append(s.Lines, SaleLine{
			No: int(l.GetLineNo()), SKU: l.GetSku(), Barcode: l.GetBarcode(), Name: l.GetName(),
			QuantityMilli: l.GetQuantityMilli(), UnitPriceFen: l.GetUnitPriceFen(), LineTotalFen: lt,
		})
	}
	if sum != s.TotalFen {
		return nil, Reason(ReasonBadData, "sale %s: total_fen %d but lines sum to %d", s.ID, s.TotalFen, sum)
	}
	if saleHasNUL(s) {
		return nil, Reason(ReasonBadData, "sale %q: a text field contains a NUL byte", strings.ReplaceAll(s.ID, "\x00", `\0`))
	}
	return s, ""
}

// saleHasNUL reports whether any text of s contains NUL. PostgreSQL text
// cannot hold it, so every store refuses it alike: one event is
// quarantined instead of a whole batch failing on one backend only.
func saleHasNUL(s *Sale) bool {
	texts := []string{s.ID, s.StoreID, s.LaneID, s.ReceiptNo, s.MemberCard}
	for _, l := range s.Lines {
		texts = append(texts, l.SKU, l.Barcode, l.Name)
	}
	for _, t := range texts {
		if strings.ContainsRune(t, 0) {
			return true
		}
	}
	return false
}

func checkSaleHeader(b *syncproto.Batch, ev *syncproto.Event, sc *syncproto.SaleCommitted) string {
	id := sc.GetSaleId()
	switch {
	case id == "" || len(id) > maxIDLen:
		return Reason(ReasonBadData, "event seq %d: sale_id %q is empty or longer than %d", ev.GetSeq(), id, maxIDLen)
	case sc.GetAgentSeq() != ev.GetSeq():
		return Reason(ReasonBadData, "sale %s: agent_seq %d but event seq %d", id, sc.GetAgentSeq(), ev.GetSeq())
	case sc.GetStoreId() != b.GetStoreId():
		return Reason(ReasonBadData, "sale %s: store %q but batch store %q", id, sc.GetStoreId(), b.GetStoreId())
	case len(sc.GetLines()) == 0:
		return Reason(ReasonBadData, "sale %s has no lines", id)
	case len(sc.GetLaneId()) > maxIDLen || len(sc.GetReceiptNo()) > maxIDLen || len(sc.GetMemberCard()) > maxIDLen:
		return Reason(ReasonBadData, "sale %s: lane, receipt or card longer than %d", id, maxIDLen)
	}
	return ""
}

// checkLine returns the line's total after checking it against the wire
// contract: line_total_fen = round_half_up(quantity_milli × unit_price_fen
// / 1000), with no negative quantity or price (returns are their own kind).
func checkLine(i int, l *syncproto.SaleLine) (int64, string) {
	q, p := l.GetQuantityMilli(), l.GetUnitPriceFen()
	switch {
	case q < 0:
		return 0, Reason(ReasonBadData, "line %d: quantity_milli %d is negative", i+1, q)
	case p < 0:
		return 0, Reason(ReasonBadData, "line %d: unit_price_fen %d is negative", i+1, p)
	case p != 0 && q > (math.MaxInt64-500)/p:
		return 0, Reason(ReasonBadData, "line %d: quantity_milli %d × unit_price_fen %d overflows", i+1, q, p)
	}
	want := (q*p + 500) / 1000
	if l.GetLabelPrice() {
		// A scale label's price: the weight it stands for is rounded to
		// the gram, so the price may stray from weight × price per kg by
		// half a gram's price, plus the fen of rounding.
		if t := l.GetLineTotalFen(); t < 0 || absDiff(t, want) > p/2000+1 {
			return 0, Reason(ReasonBadData, "line %d: label price %d fen is not %d g at %d fen/kg", i+1, t, q, p)
		}
		return l.GetLineTotalFen(), ""
	}
	if l.GetLineTotalFen() != want {
		return 0, Reason(ReasonBadData, "line %d: line_total_fen %d, want %d", i+1, l.GetLineTotalFen(), want)
	}
	return want, ""
}

func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}
