package central

import (
	"fmt"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// LedgerChange is what one applied event does to the member ledger.
type LedgerChange struct {
	// Entries are the points entries the event carries, in event order.
	Entries []PointsEntry
	// Enroll links a card to a member (a MemberEnrolled event), or nil.
	Enroll *Enrollment
	// Return is a return of another store's sale that central must
	// resolve (the till could not compute its points), or nil.
	Return *UnresolvedReturn
	// SaleID is set for a sale: its arrival resolves the returns of it
	// that came first.
	SaleID string
}

// Enrollment links a card number to a member id. Balances stay per card;
// the link only names the member.
type Enrollment struct {
	Card     string
	MemberID string
}

// wireKinds maps the agent's entry kinds to central's.
var wireKinds = map[syncproto.PointsEntry_Kind]string{
	syncproto.PointsEntry_KIND_EARN:          PointsEarn,
	syncproto.PointsEntry_KIND_REDEEM:        PointsRedeem,
	syncproto.PointsEntry_KIND_REVERSE_EARN:  PointsReverseEarn,
	syncproto.PointsEntry_KIND_REFUND_REDEEM: PointsRefundRedeem,
}

// ForeignReturn reports whether central resolves rc's points: the till
// sent no points entries and the original sale is not its store's (the
// agent leaves original_store_id empty when it does not hold the sale).
func ForeignReturn(rc *syncproto.ReturnCommitted) bool {
	return len(rc.GetPoints()) == 0 && rc.GetOriginalStoreId() != rc.GetStoreId()
}

// EventLedger returns the ledger change of ev, an event of batch b that
// passed ValidateBatch (and, for a sale, EventSale). When the event's
// points cannot be applied it returns nil and a bad_data quarantine
// reason; it never returns both. An event of a kind with no points gives
// an empty change.
func EventLedger(b *syncproto.Batch, ev *syncproto.Event) (*LedgerChange, string) {
	at := time.UnixMilli(ev.GetWallTimeMs()).UTC()
	src := entrySource{store: b.GetStoreId(), agent: b.GetAgentId(), at: at}
	lc := &LedgerChange{}
	var wire []*syncproto.PointsEntry
	switch {
	case ev.GetSaleCommitted() != nil:
		sc := ev.GetSaleCommitted()
		wire, lc.SaleID = sc.GetPoints(), sc.GetSaleId()
		src.card, src.member, src.sale = sc.GetMemberCard(), sc.GetMemberId(), sc.GetSaleId()
	case ev.GetReturnCommitted() != nil:
		rc := ev.GetReturnCommitted()
		wire = rc.GetPoints()
		src.card, src.member, src.sale = rc.GetMemberCard(), rc.GetMemberId(), rc.GetOriginalSaleId()
		if ForeignReturn(rc) {
			if !validID(rc.GetReturnId(), maxIDLen) || !validID(rc.GetOriginalSaleId(), maxIDLen) {
				return nil, Reason(ReasonBadData, "return at seq %d: return_id and original_sale_id must be 1 to %d characters without NUL",
					ev.GetSeq(), maxIDLen)
			}
			lc.Return = &UnresolvedReturn{ReturnID: rc.GetReturnId(), OriginalSaleID: rc.GetOriginalSaleId(),
				StoreID: b.GetStoreId(), AgentID: b.GetAgentId(), Seq: ev.GetSeq()}
		}
	case ev.GetMemberEnrolled() != nil:
		me := ev.GetMemberEnrolled()
		wire = me.GetPoints()
		src.card, src.member, src.sale = me.GetMemberCard(), me.GetMemberId(), me.GetQualifyingSaleId()
		if me.GetMemberCard() != "" || me.GetMemberId() != "" {
			if !validID(me.GetMemberCard(), maxIDLen) || !validText(me.GetMemberId()) {
				return nil, Reason(ReasonBadData, "enrollment at seq %d: member_card must be 1 to %d characters, member_id at most %d, without NUL",
					ev.GetSeq(), maxIDLen, maxIDLen)
			}
			lc.Enroll = &Enrollment{Card: me.GetMemberCard(), MemberID: me.GetMemberId()}
		}
	}
	seen := map[string]bool{}
	for i, w := range wire {
		e, reason := src.entry(i, w)
		if reason != "" {
			return nil, Reason(ReasonBadData, "event seq %d: %s", ev.GetSeq(), reason)
		}
		if seen[e.ID] {
			return nil, Reason(ReasonBadData, "event seq %d: points entry id %q is listed twice", ev.GetSeq(), e.ID)
		}
		seen[e.ID] = true
		lc.Entries = append(lc.Entries, e)
	}
	return lc, ""
}

// entrySource is what an event's entries inherit when they leave it out.
type entrySource struct {
	store, agent, card, member, sale string
	at                               time.Time
}

// entry checks the i-th wire entry and converts it; it returns a reason
// (without code) when the entry cannot be applied.
func (s entrySource) entry(i int, w *syncproto.PointsEntry) (PointsEntry, string) {
	e := PointsEntry{
		ID: w.GetEntryId(), Kind: wireKinds[w.GetKind()], Points: w.GetPoints(),
		Card: w.GetMemberCard(), MemberID: w.GetMemberId(), SaleID: w.GetSaleId(),
		StoreID: s.store, AgentID: s.agent, At: s.at,
		AvailableAt: fromMilli(w.GetAvailableAtMs()), ExpiresAt: fromMilli(w.GetExpiresAtMs()),
		RewardID: w.GetRewardId(), PendingPoints: w.GetPendingPoints(), DebtPoints: w.GetDebtPoints(),
	}
	if e.Card == "" {
		e.Card = s.card
	}
	if e.MemberID == "" {
		e.MemberID = s.member
	}
	if e.SaleID == "" {
		e.SaleID = s.sale
	}
	switch {
	case !validID(e.ID, maxIDLen) || strings.HasPrefix(e.ID, centralIDPrefix):
		return e, fmt.Sprintf("points entry %d: entry_id %q must be 1 to %d characters without NUL, not starting %q",
			i+1, e.ID, maxIDLen, centralIDPrefix)
	case e.Kind == "":
		return e, fmt.Sprintf("points entry %s: unknown kind %d", e.ID, w.GetKind())
	case !validID(e.Card, maxIDLen):
		return e, fmt.Sprintf("points entry %s: no card, or a card longer than %d", e.ID, maxIDLen)
	case !validText(e.MemberID) || !validText(e.SaleID) || !validText(e.RewardID):
		return e, fmt.Sprintf("points entry %s: member, sale or reward id longer than %d or with NUL", e.ID, maxIDLen)
	case e.Points > MaxEntryPoints || e.Points < -MaxEntryPoints:
		return e, fmt.Sprintf("points entry %s: %d points is out of range", e.ID, e.Points)
	case (e.Kind == PointsEarn || e.Kind == PointsRefundRedeem) && e.Points < 0,
		(e.Kind == PointsRedeem || e.Kind == PointsReverseEarn) && e.Points > 0:
		return e, fmt.Sprintf("points entry %s: %s with %d points has the wrong sign", e.ID, e.Kind, e.Points)
	case e.PendingPoints < 0 || e.DebtPoints < 0 || e.PendingPoints+e.DebtPoints > -min(e.Points, 0):
		return e, fmt.Sprintf("points entry %s: pending %d and debt %d do not fit %d points", e.ID, e.PendingPoints, e.DebtPoints, e.Points)
	}
	return e, ""
}

// validText reports whether an optional id fits: at most maxIDLen bytes,
// no NUL.
func validText(s string) bool { return s == "" || validID(s, maxIDLen) }

// fromMilli is the time of a wire millisecond timestamp; 0 is the zero time.
func fromMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// CheckEvent runs every check IngestBatch makes on ev, an event of batch
// b that passed ValidateBatch, and returns what applying it means: the
// sale to store (nil for a kept return or enrollment, see Kept) and the
// ledger change, or the quarantine reason (and neither).
func CheckEvent(b *syncproto.Batch, ev *syncproto.Event, receivedAt time.Time) (*Sale, *LedgerChange, string) {
	if Kept(ev) {
		lc, reason := EventLedger(b, ev)
		return nil, lc, reason
	}
	sale, reason := EventSale(b, ev, receivedAt)
	if reason != "" {
		return nil, nil, reason
	}
	lc, reason := EventLedger(b, ev)
	if reason != "" {
		return nil, nil, reason
	}
	return sale, lc, ""
}
