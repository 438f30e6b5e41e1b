package central_test

// An external test, unlike the brief's "package central": the seeds come
// from storetest, which imports central, and an internal test importing it
// would be an import cycle. The properties need only exported names.

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
)

// agentIDPrefixBanned is central's own entry-id prefix (centralIDPrefix,
// unexported): EventLedger refuses agent entries starting with it.
const agentIDPrefixBanned = "central:"

// ledgerSeeds returns batches whose every event EventLedger applies — a
// plain sale, a member sale earning and redeeming, a return with points
// and a foreign one, an enrollment with a bonus — and batches of one
// event it must refuse.
func ledgerSeeds() (good, bad []*syncproto.Batch) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	sale := storetest.PointsSaleEvent(storetest.PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: "C1", Member: "m1",
		At: at, Earn: []int64{30, 11}, AvailableAt: at.Add(7 * 24 * time.Hour), ExpiresAt: at.AddDate(1, 0, 0), Redeem: 20})
	local := storetest.ReturnEvent("s1", "a1", 2, "ret-1", storetest.SaleID("a1", 1), "s1", "C1", at.Add(time.Hour),
		map[uint32]int64{1: 2000},
		&syncproto.PointsEntry{EntryId: "rev-1", Kind: syncproto.PointsEntry_KIND_REVERSE_EARN, Points: -30, PendingPoints: 25, DebtPoints: 5},
		&syncproto.PointsEntry{EntryId: "ref-1", Kind: syncproto.PointsEntry_KIND_REFUND_REDEEM, Points: 20})
	foreign := storetest.ReturnEvent("s1", "a1", 3, "ret-2", storetest.SaleID("a9", 4), "", "", at.Add(2*time.Hour),
		map[uint32]int64{2: 1000})
	enroll := storetest.EnrollEvent("a1", 4, "s1", "C2", "m2", at.Add(3*time.Hour))
	enroll.GetMemberEnrolled().Points = []*syncproto.PointsEntry{{EntryId: "bonus-1", Kind: syncproto.PointsEntry_KIND_EARN, Points: 100}}
	good = []*syncproto.Batch{
		storetest.SaleBatch("s1", "a1", 1, 3),
		storetest.Batch("s1", "a1", sale, local, foreign, enroll),
	}
	// Each refused for one reason: wrong sign, central's prefix, an id
	// listed twice, an unknown kind, too many points, no card.
	for _, w := range [][]*syncproto.PointsEntry{
		{{EntryId: "e1", Kind: syncproto.PointsEntry_KIND_EARN, Points: -1}},
		{{EntryId: agentIDPrefixBanned + "adj:x", Kind: syncproto.PointsEntry_KIND_EARN, Points: 1}},
		{{EntryId: "e1", Kind: syncproto.PointsEntry_KIND_REDEEM, Points: -1}, {EntryId: "e1", Kind: syncproto.PointsEntry_KIND_REDEEM, Points: -2}},
		{{EntryId: "e1", Kind: syncproto.PointsEntry_Kind(42), Points: 1}},
		{{EntryId: "e1", Kind: syncproto.PointsEntry_KIND_EARN, Points: central.MaxEntryPoints + 1}},
	} {
		ev := storetest.SaleEvent("s1", "a1", 1)
		ev.GetSaleCommitted().Points = w
		bad = append(bad, storetest.Batch("s1", "a1", ev))
	}
	noCard := storetest.EnrollEvent("a1", 1, "s1", "", "", at)
	noCard.GetMemberEnrolled().Points = []*syncproto.PointsEntry{{EntryId: "e1", Kind: syncproto.PointsEntry_KIND_EARN, Points: 1}}
	return good, append(bad, storetest.Batch("s1", "a1", noCard))
}

// FuzzLedgerEntries decodes arbitrary bytes as a batch, as central's
// ingester does, and derives every event's ledger change. EventLedger never
// panics, gives the same answer twice, and returns exactly one of a change
// and a bad_data reason; every entry it returns keeps what ledger.go
// promises (see checkEntry). For a batch ingest would accept, CheckEvent
// agrees with EventLedger and EventSale.
func FuzzLedgerEntries(f *testing.F) {
	good, bad := ledgerSeeds()
	for i, b := range append(good, bad...) {
		// Checked first, so that the properties are known to see both
		// outcomes and real entries of every kind.
		for _, ev := range b.GetEvents() {
			if _, reason := central.EventLedger(b, ev); (reason == "") != (i < len(good)) {
				f.Fatalf("seed %d event seq %d: EventLedger reason %q", i, ev.GetSeq(), reason)
			}
		}
		p, err := syncproto.EncodeBatch(b)
		if err != nil {
			f.Fatalf("EncodeBatch: %v", err)
		}
		f.Add(p)
	}
	f.Add([]byte{})
	f.Add([]byte("garbage"))
	received := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := syncproto.DecodeBatch(data)
		if err != nil {
			return
		}
		ingested := central.ValidateBatch(b, b.GetStoreId(), b.GetAgentId()) == nil
		for _, ev := range b.GetEvents() {
			lc, reason := checkLedger(t, b, ev)
			if ingested {
				checkCheckEvent(t, b, ev, received, lc, reason)
			}
		}
	})
}

// checkLedger runs EventLedger on ev and checks its contract; it returns
// what EventLedger returned.
func checkLedger(t *testing.T, b *syncproto.Batch, ev *syncproto.Event) (*central.LedgerChange, string) {
	t.Helper()
	lc, reason := central.EventLedger(b, ev)
	lc2, reason2 := central.EventLedger(b, ev)
	if reason != reason2 || !reflect.DeepEqual(lc, lc2) {
		t.Fatalf("EventLedger is not deterministic: %+v %q, then %+v %q", lc, reason, lc2, reason2)
	}
	if (lc == nil) == (reason == "") {
		t.Fatalf("EventLedger = %+v, %q: want exactly one of a change and a reason", lc, reason)
	}
	if reason != "" {
		if !strings.HasPrefix(reason, central.ReasonBadData+": ") {
			t.Fatalf("reason %q is not a %s reason", reason, central.ReasonBadData)
		}
		return nil, reason
	}
	wire, card := eventPoints(ev)
	if len(lc.Entries) != len(wire) {
		t.Fatalf("%d entries from %d wire entries", len(lc.Entries), len(wire))
	}
	ids := map[string]bool{}
	for i, e := range lc.Entries {
		if e.ID != wire[i].GetEntryId() {
			t.Fatalf("entry %d has id %q, wire entry %q: not in event order", i, e.ID, wire[i].GetEntryId())
		}
		if ids[e.ID] {
			t.Fatalf("entry id %q returned twice", e.ID)
		}
		ids[e.ID] = true
		checkEntry(t, b, ev, e, wire[i], card)
	}
	checkChangeKind(t, ev, lc)
	return lc, ""
}

// eventPoints returns ev's wire points entries and the card its entries
// inherit when they name none.
func eventPoints(ev *syncproto.Event) ([]*syncproto.PointsEntry, string) {
	switch {
	case ev.GetSaleCommitted() != nil:
		return ev.GetSaleCommitted().GetPoints(), ev.GetSaleCommitted().GetMemberCard()
	case ev.GetReturnCommitted() != nil:
		return ev.GetReturnCommitted().GetPoints(), ev.GetReturnCommitted().GetMemberCard()
	case ev.GetMemberEnrolled() != nil:
		return ev.GetMemberEnrolled().GetPoints(), ev.GetMemberEnrolled().GetMemberCard()
	}
	return nil, ""
}

// fitID is central's rule for a stored id: 1 to 64 bytes, no NUL.
func fitID(s string) bool { return s != "" && len(s) <= 64 && !strings.ContainsRune(s, 0) }

// checkEntry checks one returned entry against ledger.go's promises: an
// agent id that fits and is not central's, the wire card or else the
// event's, one of the four agent kinds with its sign (credits ≥ 0, debits
// ≤ 0), |points| ≤ MaxEntryPoints, pending and debt parts that fit the
// debit, and the batch's store, agent and event time.
func checkEntry(t *testing.T, b *syncproto.Batch, ev *syncproto.Event, e central.PointsEntry, w *syncproto.PointsEntry, card string) {
	t.Helper()
	if w.GetMemberCard() != "" {
		card = w.GetMemberCard()
	}
	switch {
	case !fitID(e.ID) || strings.HasPrefix(e.ID, agentIDPrefixBanned):
		t.Fatalf("entry id %q does not fit or is central's", e.ID)
	case !fitID(e.Card) || e.Card != card:
		t.Fatalf("entry %q: card %q, want %q fitting 1 to 64 bytes", e.ID, e.Card, card)
	case e.Points > central.MaxEntryPoints || e.Points < -central.MaxEntryPoints:
		t.Fatalf("entry %q: %d points out of range", e.ID, e.Points)
	case e.PendingPoints < 0 || e.DebtPoints < 0 || e.PendingPoints+e.DebtPoints > -min(e.Points, 0):
		t.Fatalf("entry %q: pending %d, debt %d for %d points", e.ID, e.PendingPoints, e.DebtPoints, e.Points)
	case e.StoreID != b.GetStoreId() || e.AgentID != b.GetAgentId():
		t.Fatalf("entry %q: store %q agent %q, batch's %q %q", e.ID, e.StoreID, e.AgentID, b.GetStoreId(), b.GetAgentId())
	case !e.At.Equal(time.UnixMilli(ev.GetWallTimeMs())):
		t.Fatalf("entry %q: at %v, event wall time %d", e.ID, e.At, ev.GetWallTimeMs())
	}
	switch e.Kind {
	case central.PointsEarn, central.PointsRefundRedeem:
		if e.Points < 0 {
			t.Fatalf("entry %q: %s of %d points", e.ID, e.Kind, e.Points)
		}
	case central.PointsRedeem, central.PointsReverseEarn:
		if e.Points > 0 {
			t.Fatalf("entry %q: %s of %d points", e.ID, e.Kind, e.Points)
		}
	default:
		t.Fatalf("entry %q: kind %q is not an agent's", e.ID, e.Kind)
	}
}

// checkChangeKind checks that only a sale names a sale, only an
// enrollment enrolls and only a foreign return asks central to resolve it.
func checkChangeKind(t *testing.T, ev *syncproto.Event, lc *central.LedgerChange) {
	t.Helper()
	if lc.SaleID != ev.GetSaleCommitted().GetSaleId() {
		t.Fatalf("change names sale %q, event's sale is %q", lc.SaleID, ev.GetSaleCommitted().GetSaleId())
	}
	if me := ev.GetMemberEnrolled(); lc.Enroll != nil &&
		(me == nil || lc.Enroll.Card != me.GetMemberCard() || lc.Enroll.MemberID != me.GetMemberId() || !fitID(lc.Enroll.Card)) {
		t.Fatalf("enrollment %+v from event %v", lc.Enroll, ev)
	}
	rc := ev.GetReturnCommitted()
	foreign := rc != nil && central.ForeignReturn(rc)
	if (lc.Return != nil) != foreign {
		t.Fatalf("unresolved return %+v for a return that is foreign: %v", lc.Return, foreign)
	}
	if foreign && (!fitID(lc.Return.ReturnID) || !fitID(lc.Return.OriginalSaleID) || lc.Return.Seq != ev.GetSeq()) {
		t.Fatalf("unresolved return %+v of event seq %d", lc.Return, ev.GetSeq())
	}
}

// checkCheckEvent checks CheckEvent, what ingest runs per event, against
// EventLedger's answer (lc, reason) and EventSale's.
func checkCheckEvent(t *testing.T, b *syncproto.Batch, ev *syncproto.Event, received time.Time, lc *central.LedgerChange, reason string) {
	t.Helper()
	sale, got, why := central.CheckEvent(b, ev, received)
	if why != "" {
		if sale != nil || got != nil {
			t.Fatalf("CheckEvent refused (%q) and returned %+v, %+v", why, sale, got)
		}
	} else if got == nil || !reflect.DeepEqual(got, lc) {
		t.Fatalf("CheckEvent applied with change %+v, EventLedger gave %+v %q", got, lc, reason)
	}
	if central.Kept(ev) {
		if sale != nil || why != reason {
			t.Fatalf("kept event: CheckEvent = %+v, %q; EventLedger's reason %q", sale, why, reason)
		}
		return
	}
	want, saleWhy := central.EventSale(b, ev, received)
	switch {
	case saleWhy != "" && why != saleWhy:
		t.Fatalf("CheckEvent reason %q, EventSale refused with %q", why, saleWhy)
	case saleWhy == "" && why != reason:
		t.Fatalf("CheckEvent reason %q, EventLedger's %q", why, reason)
	case why == "" && !reflect.DeepEqual(sale, want):
		t.Fatalf("CheckEvent sale %+v, EventSale %+v", sale, want)
	}
}
