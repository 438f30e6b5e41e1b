package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

func testEnrollBlocks(t *testing.T, open Opener) {
	ctx := context.Background()
	assigner := func(t *testing.T) (central.EnrollBlocks, central.Downstreams) {
		s := open(t)
		eb, ok := s.(central.EnrollBlocks)
		if !ok {
			t.Fatalf("%T does not implement central.EnrollBlocks", s)
		}
		return eb, s.(central.Downstreams)
	}
	t.Run("OKAndErrConflict", func(t *testing.T) {
		eb, ds := assigner(t)
		v, err := eb.AssignEnrollBlock(ctx, central.EnrollBlock{Store: "S1", Prefix: "88", First: 1, Last: 100}, receivedAt)
		if err != nil || v.Version != 1 || v.Stream != central.StoreStream(syncproto.StreamEnroll, "S1") {
			t.Fatalf("assign = %+v, %v; want enroll_block/S1 version 1", v, err)
		}
		if again, err := eb.AssignEnrollBlock(ctx, central.EnrollBlock{Store: "S1", Prefix: "88", First: 1, Last: 100}, receivedAt); err != nil || again.Version != 1 {
			t.Fatalf("same block again = %+v, %v; want version 1 unchanged", again, err)
		}
		for _, b := range []central.EnrollBlock{
			{Store: "S2", Prefix: "88", First: 100, Last: 150}, // meets 1..100
			{Store: "S2", Prefix: "8", First: 1, Last: 5},      // a prefix of 88
			{Store: "S2", Prefix: "881", First: 1, Last: 5},    // 88 is a prefix of it
		} {
			if _, err := eb.AssignEnrollBlock(ctx, b, receivedAt); central.ErrorCode(err) != central.ECONFLICT {
				t.Fatalf("assign %+v = %v; want ECONFLICT", b, err)
			}
		}
		if v, err := eb.AssignEnrollBlock(ctx, central.EnrollBlock{Store: "S2", Prefix: "88", First: 101, Last: 200}, receivedAt); err != nil || v.Version != 1 {
			t.Fatalf("S2's own block = %+v, %v; want its version 1", v, err)
		}
		if _, err := eb.AssignEnrollBlock(ctx, central.EnrollBlock{Store: "S1", Prefix: "88", First: 1, Last: 150}, receivedAt); central.ErrorCode(err) != central.ECONFLICT {
			t.Fatalf("S1 growing into S2's block = %v; want ECONFLICT", err)
		}
		if _, err := eb.AssignEnrollBlock(ctx, central.EnrollBlock{Store: "S1", Prefix: "8a", First: 1, Last: 5}, receivedAt); central.ErrorCode(err) != central.EINVALID {
			t.Fatalf("bad prefix = %v; want EINVALID", err)
		}
		pending, err := ds.UnbroadcastVersions(ctx, 10)
		if err != nil || len(pending) != 2 {
			t.Fatalf("unbroadcast = %d versions, %v; want S1's and S2's", len(pending), err)
		}
		latest, err := ds.LatestStreamVersion(ctx, central.StoreStream(syncproto.StreamEnroll, "S2"))
		if err != nil || central.EnrollBlockOf("S2", latest.Snapshot).First != 101 {
			t.Fatalf("latest of S2 = %+v, %v", latest, err)
		}
	})
	t.Run("ConcurrentOneWins", func(t *testing.T) {
		eb, _ := assigner(t)
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = eb.AssignEnrollBlock(ctx, central.EnrollBlock{Store: string(rune('A' + i)), Prefix: "77", First: 1, Last: 10}, receivedAt)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case central.ErrorCode(err) != central.ECONFLICT:
				t.Fatalf("assign: %v; want nil or ECONFLICT", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d stores got block 77 1..10; want exactly 1", won)
		}
	})
}

func testMembersStream(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	src, ok := s.(central.MemberSource)
	if !ok {
		t.Fatalf("%T does not implement central.MemberSource", s)
	}
	ds := s.(central.Downstreams)
	const card, enrolled = "6200000000001", "8800000000017"
	ingest := func(events ...*syncproto.Event) {
		t.Helper()
		if _, err := s.IngestBatch(ctx, Batch("S1", "A1", events...), receivedAt); err != nil {
			t.Fatal(err)
		}
	}
	enroll := EnrollEvent("A1", 3, "S1", enrolled, "S-S1-"+enrolled, t0.Add(2*time.Hour))
	enroll.GetMemberEnrolled().MaskedName, enroll.GetMemberEnrolled().PhoneLast4 = "张*", "5678"
	ingest(PointsSaleEvent(PointsSale{Store: "S1", Agent: "A1", Seq: 1, Card: card, At: t0, Earn: []int64{100}, AvailableAt: t0}),
		PointsSaleEvent(PointsSale{Store: "S1", Agent: "A1", Seq: 2, Card: card, At: t0.Add(time.Hour), Earn: []int64{0}, Redeem: 30}),
		enroll)
	// Another store's sale of the card counts at S1 but makes it no S1 member there.
	if _, err := s.IngestBatch(ctx, Batch("S2", "B1", PointsSaleEvent(PointsSale{Store: "S2", Agent: "B1", Seq: 1,
		Card: "6200000000999", At: t0, Earn: []int64{5}, AvailableAt: t0})), receivedAt); err != nil {
		t.Fatal(err)
	}
	stores, err := src.MemberStores(ctx)
	if err != nil || len(stores) != 2 || stores[0] != "S1" {
		t.Fatalf("MemberStores = %v, %v; want [S1 S2]", stores, err)
	}
	sm, err := src.StoreMembers(ctx, "S1")
	if err != nil || len(sm.Cards) != 2 || len(sm.Agents) != 1 || !sm.Agents[0].Contiguous.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("StoreMembers(S1) = %+v, %v; want 2 cards and agent A1 contiguous to seq 3", sm, err)
	}
	now := t0.Add(24 * time.Hour)
	v, err := central.RefreshStoreMembers(ctx, src, ds, "S1", now)
	if err != nil || v == nil || v.Version != 1 || v.Stream != central.StoreStream(syncproto.StreamMembers, "S1") {
		t.Fatalf("first refresh = %+v, %v; want members/S1 version 1", v, err)
	}
	recs := recordsByCard(v.Snapshot)
	if r := recs[card]; r.GetBalance() != 70 || r.GetBalanceAtMs() != t0.Add(time.Hour).UnixMilli() || len(r.GetLots()) != 1 {
		t.Fatalf("record of %s = %v; want balance 70 as of the redemption, one lot", card, r)
	}
	if r := recs[enrolled]; r.GetMaskedName() != "张*" || r.GetPhoneLast4() != "5678" || r.GetMemberId() != "S-S1-"+enrolled {
		t.Fatalf("record of enrolled card = %v; want its masked display data", r)
	}
	if v, err := central.RefreshStoreMembers(ctx, src, ds, "S1", now.Add(time.Second)); err != nil || v != nil {
		t.Fatalf("refresh with nothing changed = %+v, %v; want nil, nil", v, err)
	}
	// Central's own adjustment reaches the record in a delta of one member.
	if _, err := s.AdjustPoints(ctx, central.Adjustment{ID: "adj-1", Card: card, Points: 50, Reason: "goodwill", At: now}); err != nil {
		t.Fatal(err)
	}
	v, err = central.RefreshStoreMembers(ctx, src, ds, "S1", now.Add(2*time.Second))
	if err != nil || v == nil || v.Version != 2 || len(v.Delta.GetMembers().GetUpserts()) != 1 || recordsByCard(v.Snapshot)[card].GetBalance() != 120 {
		t.Fatalf("refresh after an adjustment = %+v, %v; want version 2 with one upsert, balance 120", v, err)
	}
	// The store's next sale earns 40 (its agent replays its own credit, so
	// central leaves it out) and redeems 20 (a debit central counts).
	ingest(PointsSaleEvent(PointsSale{Store: "S1", Agent: "A1", Seq: 4, Card: card, At: t0.Add(3 * time.Hour),
		Earn: []int64{40}, AvailableAt: t0.Add(3 * time.Hour), Redeem: 20}))
	v, err = central.RefreshStoreMembers(ctx, src, ds, "S1", now.Add(3*time.Second))
	if err != nil || v == nil {
		t.Fatalf("refresh after a sale = %+v, %v", v, err)
	}
	if r := recordsByCard(v.Snapshot)[card]; r.GetBalance() != 100 || r.GetBalanceAtMs() != t0.Add(time.Hour).UnixMilli() {
		t.Fatalf("record after the sale = %v; want 100 (the debit counted, the credit left to the store) as of the earlier cut", r)
	}
}

func recordsByCard(c *syncproto.StreamContent) map[string]*syncproto.MemberRecord {
	out := map[string]*syncproto.MemberRecord{}
	for _, r := range c.GetMembers().GetUpserts() {
		out[r.GetCard()] = r
	}
	return out
}
