package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

func tierStore(t *testing.T, s central.Store) central.TierStore {
	t.Helper()
	ts, ok := s.(central.TierStore)
	if !ok {
		t.Fatalf("%T does not implement central.TierStore", s)
	}
	return ts
}

func tierPolicy(downgrade string) central.TierPolicy {
	p := central.DefaultTierPolicy()
	p.Downgrade, p.GraceDays = downgrade, 0
	return p
}

func wantTier(t *testing.T, ts central.TierStore, card, tier string, since time.Time) central.TierState {
	t.Helper()
	got, err := ts.Tier(context.Background(), card)
	if err != nil {
		t.Fatalf("Tier(%s): %v", card, err)
	}
	if got.Card != card || got.Tier != tier || (!since.IsZero() && !got.Since.Equal(since)) {
		t.Errorf("Tier(%s) = %+v, want %s since %s", card, got, tier, since)
	}
	return got
}

func testTiers(t *testing.T, open Opener) {
	t.Run("FromPyramid", func(t *testing.T) { testTiersFromPyramid(t, open) })
	t.Run("ManyMembers", func(t *testing.T) { testTiersMany(t, open) })
	t.Run("Err", func(t *testing.T) {
		ts := tierStore(t, open(t))
		ctx := context.Background()
		if _, err := ts.Tier(ctx, classCard(1)); central.ErrorCode(err) != central.ENOTFOUND {
			t.Errorf("Tier on an empty store: err %v, want %s", err, central.ENOTFOUND)
		}
		if _, err := ts.ApplyTiers(ctx, 999, central.DefaultTierPolicy(), receivedAt); central.ErrorCode(err) != central.ENOTFOUND {
			t.Errorf("ApplyTiers(999): err %v, want %s", err, central.ENOTFOUND)
		}
		if _, err := ts.ApplyTiers(ctx, 1, central.TierPolicy{}, receivedAt); central.ErrorCode(err) != central.EINVALID {
			t.Errorf("ApplyTiers(bad policy): err %v, want %s", err, central.EINVALID)
		}
		if _, err := ts.SetTierFloor(ctx, classCard(1), "platinum", central.DefaultTierPolicy(), receivedAt); central.ErrorCode(err) != central.EINVALID {
			t.Errorf("SetTierFloor(platinum): err %v, want %s", err, central.EINVALID)
		}
		if _, err := ts.Tier(ctx, classCard(1)); central.ErrorCode(err) != central.ENOTFOUND {
			t.Errorf("Tier after a refused floor: err %v, want %s", err, central.ENOTFOUND)
		}
	})
}

// testTiersFromPyramid: classPopulation's pyramid becomes tiers; a floor
// holds; a second run upgrades at once, downgrades at recalculation, and
// the member records of the store carry the tiers.
func testTiersFromPyramid(t *testing.T, open Opener) {
	s := open(t)
	ts := tierStore(t, s)
	ctx := context.Background()
	seq := classPopulation(t, s)
	feb := date(2026, 2, 1, 0)
	run := classify(t, s, feb, classOptions(0))
	p := tierPolicy(central.DowngradeAtRecalculation)
	// A card the run does not hold, with a floor set by hand.
	outside := "6201000000009999"
	if st, err := ts.SetTierFloor(ctx, outside, "silver", p, feb.Add(-time.Hour)); err != nil || st.Tier != "silver" || st.Floor != "silver" {
		t.Fatalf("SetTierFloor(outside, silver) = %+v, %v; want silver", st, err)
	}
	ch, err := ts.ApplyTiers(ctx, run.ID, p, feb)
	if err != nil {
		t.Fatalf("ApplyTiers: %v", err)
	}
	if want := (central.TierChanges{Cards: 13, Upgrades: 12}); ch != want {
		t.Errorf("ApplyTiers = %+v, want %+v", ch, want)
	}
	for k, tier := range map[int]string{10: "vip", 9: "gold", 8: "gold", 7: "silver", 5: "silver", 4: "regular",
		11: "regular", 99: "regular"} {
		wantTier(t, ts, classCard(k), tier, feb)
	}
	wantTier(t, ts, outside, "silver", feb.Add(-time.Hour))
	if st, err := ts.SetTierFloor(ctx, classCard(1), "gold", p, feb.Add(time.Hour)); err != nil || st.Tier != "gold" {
		t.Fatalf("SetTierFloor(member 1, gold) = %+v, %v; want gold", st, err)
	}
	// Member 2 now spends most (two sales, so not a one-off): VIP.
	ingest(t, s, Batch("s1", "a1", sale1(seq, classCard(2), date(2026, 2, 10, 9), 200_000),
		sale1(seq+1, classCard(2), date(2026, 2, 11, 9), 200_000)))
	mar := date(2026, 3, 1, 0)
	run2 := classify(t, s, mar, classOptions(0))
	if ch, err = ts.ApplyTiers(ctx, run2.ID, p, mar); err != nil {
		t.Fatalf("ApplyTiers(run 2): %v", err)
	}
	wantTier(t, ts, classCard(2), "vip", mar)
	wantTier(t, ts, classCard(10), "gold", mar) // big now: at_recalculation lowers it
	wantTier(t, ts, classCard(1), "gold", feb.Add(time.Hour))
	wantTier(t, ts, outside, "silver", feb.Add(-time.Hour))
	if ch.Upgrades < 1 || ch.Lowered < 1 || ch.Cards != 13 {
		t.Errorf("ApplyTiers(run 2) = %+v, want 13 cards, an upgrade and a downgrade", ch)
	}
	// The same run applied again changes nothing.
	if again, err := ts.ApplyTiers(ctx, run2.ID, p, mar.Add(time.Hour)); err != nil || again.Upgrades != 0 || again.Lowered != 0 {
		t.Errorf("ApplyTiers(run 2 again) = %+v, %v; want no change", again, err)
	}
	testTiersInMemberRecords(t, s, seq+2, map[string]string{classCard(2): "vip", classCard(10): "gold", classCard(1): "gold"})
}

// testTiersInMemberRecords enrolls want's cards at store s1 (from seq
// on), so that they are in its member set, and checks that its member
// records carry their tiers.
func testTiersInMemberRecords(t *testing.T, s central.Store, seq uint64, want map[string]string) {
	t.Helper()
	var evs []*syncproto.Event
	for card := range want {
		evs = append(evs, &syncproto.Event{Seq: seq, EventId: EventID("a1", seq), WallTimeMs: receivedAt.UnixMilli(),
			Payload: &syncproto.Event_MemberEnrolled{MemberEnrolled: &syncproto.MemberEnrolled{MemberCard: card, StoreId: "s1"}}})
		seq++
	}
	ingest(t, s, Batch("s1", "a1", evs...))
	src, ok := s.(central.MemberSource)
	if !ok {
		t.Fatalf("%T does not implement central.MemberSource", s)
	}
	sm, err := src.StoreMembers(context.Background(), "s1")
	if err != nil {
		t.Fatalf("StoreMembers(s1): %v", err)
	}
	got := map[string]string{}
	for _, r := range central.MemberRecords(sm, nil, date(2026, 3, 1, 0)) {
		got[r.GetCard()] = r.GetTier()
	}
	for card, tier := range want {
		if g, ok := got[card]; !ok || g != tier {
			t.Errorf("member record of %s: tier %q (present %t), want %q", card, g, ok, tier)
		}
	}
}

// testTiersMany applies a run of more members than one page, with a
// grace period, twice.
func testTiersMany(t *testing.T, open Opener) {
	s := open(t)
	ts := tierStore(t, s)
	cs := classStore(t, s)
	ctx := context.Background()
	const n = 4501
	card := func(i int) string { return fmt.Sprintf("7%015d", i) }
	members := make([]central.MemberClass, n)
	for i := range members {
		members[i] = central.MemberClass{Card: card(i), Classification: central.Classification{Pyramid: central.PyramidVIP}}
	}
	run, err := cs.SaveClassification(ctx, central.ClassificationRun{AsOf: receivedAt, Months: 12, Members: n}, members, 0)
	if err != nil {
		t.Fatalf("SaveClassification: %v", err)
	}
	p := central.DefaultTierPolicy() // after a 30-day grace
	if ch, err := ts.ApplyTiers(ctx, run.ID, p, receivedAt); err != nil || ch.Cards != n || ch.Upgrades != n {
		t.Fatalf("ApplyTiers = %+v, %v; want %d upgrades", ch, err, n)
	}
	for i := range members {
		members[i].Pyramid = central.PyramidSmall
	}
	run2, err := cs.SaveClassification(ctx, central.ClassificationRun{AsOf: receivedAt, Months: 12, Members: n}, members, 0)
	if err != nil {
		t.Fatalf("SaveClassification: %v", err)
	}
	later := receivedAt.Add(24 * time.Hour)
	if ch, err := ts.ApplyTiers(ctx, run2.ID, p, later); err != nil || ch.Pending != n || ch.Lowered != 0 {
		t.Fatalf("ApplyTiers(grace) = %+v, %v; want %d pending, none lowered", ch, err, n)
	}
	for _, i := range []int{0, 2000, n - 1} {
		if st := wantTier(t, ts, card(i), "vip", receivedAt); !st.DowngradePendingSince.Equal(later) {
			t.Errorf("card %d: pending since %s, want %s", i, st.DowngradePendingSince, later)
		}
	}
	over := later.Add(30 * 24 * time.Hour)
	if ch, err := ts.ApplyTiers(ctx, run2.ID, p, over); err != nil || ch.Lowered != n || ch.Pending != 0 {
		t.Fatalf("ApplyTiers(grace over) = %+v, %v; want %d lowered", ch, err, n)
	}
	wantTier(t, ts, card(n-1), "regular", over)
}
