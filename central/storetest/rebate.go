package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

func rebateStore(t *testing.T, s central.Store) central.RebateStore {
	t.Helper()
	rs, ok := s.(central.RebateStore)
	if !ok {
		t.Fatalf("%T does not implement central.RebateStore", s)
	}
	return rs
}

// rebatePolicy2026 rates vip 2 %, silver 1 %, regular 0.5 % (untiered
// cards too), one point per yuan, expiring at the end of 2027 in Shanghai.
func rebatePolicy2026(t *testing.T) central.RebatePolicy {
	t.Helper()
	p, err := central.DefaultRebatePolicy(2026)
	if err != nil {
		t.Fatalf("DefaultRebatePolicy: %v", err)
	}
	p.RatesBP = map[string]int64{"vip": 200, "silver": 100, "regular": 50}
	return p
}

// Rebate cards: RV is vip, RS silver, RU has no tier, RZ spends too
// little for a point.
const (
	rebateVIP      = "RV-0001"
	rebateSilver   = "RS-0002"
	rebateUntiered = "RU-0003"
	rebateTiny     = "RZ-0004"
)

// rebateSales ingests spend around the 2026/2027 boundary and sets tiers.
// In a store on UTC (the suite's; RunStatsZone covers a Shanghai one) the
// statistics buckets are UTC months, so (DESIGN §3 rebate, rebate.go)
// 31 Dec 23:30 and 1 Jan 00:30 in Shanghai (15:30 and 16:30 UTC) both
// count for 2026, and 1 Jan 08:30 Shanghai (00:30 UTC) for 2027.
func rebateSales(t *testing.T, s central.Store) {
	t.Helper()
	sh := shanghai(t)
	lotEnd := time.Date(2027, 1, 1, 0, 0, 0, 0, sh) // end of 2026 in Shanghai
	june := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	events := []*syncproto.Event{
		// RV: a lot of 100 expiring at the end of 2026, 30 of it spent
		// (1000 fen of spend each sale).
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: rebateVIP, At: june, Earn: []int64{100},
			ExpiresAt: lotEnd}),
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 2, Card: rebateVIP, At: june.Add(day), Earn: []int64{0}, Redeem: 30}),
		sale1(3, rebateVIP, time.Date(2026, 12, 31, 23, 30, 0, 0, sh), 998_000),
		sale1(4, rebateVIP, time.Date(2027, 1, 1, 8, 30, 0, 0, sh), 5_000_000), // 2027
		// RS: 50 points of debt, then spend on both sides of new year.
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 5, Card: rebateSilver, At: june, Earn: []int64{0}, Redeem: 50}),
		sale1(6, rebateSilver, time.Date(2027, 1, 1, 0, 30, 0, 0, sh), 999_000),
		sale1(7, rebateSilver, time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC), 7_000_000), // 2025
		sale1(8, rebateUntiered, june, 400_000),
		sale1(9, rebateTiny, june, 199),
	}
	ingest(t, s, Batch("s1", "a1", events...))
	ts := tierStore(t, s)
	p := central.DefaultTierPolicy()
	for card, tier := range map[string]string{rebateVIP: "vip", rebateSilver: "silver"} {
		if _, err := ts.SetTierFloor(context.Background(), card, tier, p, receivedAt); err != nil {
			t.Fatalf("SetTierFloor(%s, %s): %v", card, tier, err)
		}
	}
}

func postRebate(t *testing.T, s central.Store, p central.RebatePolicy, now time.Time) central.RebateResult {
	t.Helper()
	res, err := rebateStore(t, s).PostYearEndRebate(context.Background(), p, now)
	if err != nil {
		t.Fatalf("PostYearEndRebate(%d) at %s: %v", p.Year, now, err)
	}
	return res
}

// wantCachedTotal checks the card's balance is the sum of its entries.
func wantCachedTotal(t *testing.T, s central.Store, card string, now time.Time, total int64) {
	t.Helper()
	var sum int64
	for _, e := range entries(t, s, card) {
		sum += e.Points
	}
	b := balance(t, s, card, now)
	if b.Total != total || sum != total {
		t.Errorf("card %s: balance %d, sum of entries %d; want %d", card, b.Total, sum, total)
	}
	for _, d := range debtors(t, s) {
		if d.Card == card && d.Balance != total {
			t.Errorf("card %s: cached debtor balance %d, want %d", card, d.Balance, total)
		}
	}
}

func testRebate(t *testing.T, open Opener) {
	t.Run("AcrossYearBoundary", func(t *testing.T) { testRebateBoundary(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testRebateConcurrent(t, open) })
	t.Run("ManyCards", func(t *testing.T) { testRebateMany(t, open) })
	t.Run("ErrYearNotEnded", func(t *testing.T) {
		s := open(t)
		rebateSales(t, s)
		p := rebatePolicy2026(t)
		// Shanghai's new year has begun; the last UTC bucket has not ended.
		now := time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC)
		if _, err := rebateStore(t, s).PostYearEndRebate(context.Background(), p, now); central.ErrorCode(err) != central.EINVALID {
			t.Fatalf("PostYearEndRebate before the year ended: err %v, want %s", err, central.EINVALID)
		}
		p.FenPerPoint = 0
		if _, err := rebateStore(t, s).PostYearEndRebate(context.Background(), p, receivedAt.AddDate(1, 0, 0)); central.ErrorCode(err) != central.EINVALID {
			t.Fatalf("PostYearEndRebate(bad policy): err %v, want %s", err, central.EINVALID)
		}
		wantNoCard(t, s, rebateUntiered)
	})
}

func testRebateBoundary(t *testing.T, open Opener) {
	s := open(t)
	rebateSales(t, s)
	p := rebatePolicy2026(t)
	now := time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC)
	// RV: (1000 + 1000 + 998,000) fen × 2 % = 200 points (2027's sale
	// left out); RS: (1000 + 999,000) × 1 % = 100 (2025's left out);
	// RU untiered at regular: 400,000 × 0.5 % = 20; RZ: 0, not posted.
	if got := postRebate(t, s, p, now); got != (central.RebateResult{Cards: 3, Points: 320}) {
		t.Fatalf("first run = %+v, want 3 cards, 320 points", got)
	}
	if got := postRebate(t, s, p, now.Add(time.Hour)); got != (central.RebateResult{AlreadyPosted: 3}) {
		t.Fatalf("second run = %+v, want nothing new, 3 already posted", got)
	}
	wantNoCard(t, s, rebateTiny)
	var rebate central.PointsEntry
	for _, e := range entries(t, s, rebateVIP) {
		if e.ID == central.RebateEntryID(2026, rebateVIP) {
			rebate = e
		}
	}
	wantExp := time.Date(2028, 1, 1, 0, 0, 0, 0, shanghai(t))
	if rebate.Points != 200 || rebate.Kind != central.PointsAdjust || rebate.Reason != central.RebateReason(2026) ||
		!rebate.ExpiresAt.Equal(wantExp) || !rebate.AvailableAt.IsZero() {
		t.Fatalf("RV's rebate entry = %+v, want 200 adjust points expiring %s", rebate, wantExp)
	}
	// RV: 100 − 30 + 200; RS: −50 of debt repaid by its 100.
	wantCachedTotal(t, s, rebateVIP, now, 270)
	wantCachedTotal(t, s, rebateSilver, now, 50)
	wantCachedTotal(t, s, rebateUntiered, now, 20)
	wantBalance(t, s, rebateSilver, now, 50, 50, 0)

	// The 2026 lot expired at Shanghai's new year; the rebate lot, posted
	// after, stays.
	if r := expire(t, s, now); r != (central.ExpireResult{Cards: 1, Entries: 1, Points: 70}) {
		t.Fatalf("ExpirePoints(2 Jan 2027) = %+v, want RV's 70 left of its 2026 lot", r)
	}
	wantCachedTotal(t, s, rebateVIP, now, 200)
	// At the end of 2027 (Shanghai) the rebate lots expire, RS's less
	// the 50 that repaid its debt.
	end2027 := time.Date(2028, 1, 1, 0, 0, 0, 0, shanghai(t))
	if r := expire(t, s, end2027.Add(-time.Second)); r != (central.ExpireResult{}) {
		t.Fatalf("ExpirePoints just before the end of 2027 = %+v, want nothing", r)
	}
	if r := expire(t, s, end2027); r != (central.ExpireResult{Cards: 3, Entries: 3, Points: 270}) {
		t.Fatalf("ExpirePoints(end of 2027) = %+v, want 200 + 50 + 20", r)
	}
	for _, card := range []string{rebateVIP, rebateSilver, rebateUntiered} {
		wantCachedTotal(t, s, card, end2027, 0)
	}
	if got := postRebate(t, s, p, end2027); got != (central.RebateResult{AlreadyPosted: 3}) {
		t.Fatalf("run after expiry = %+v, want nothing new", got)
	}
}

// testRebateConcurrent runs the job from several goroutines at once (as
// several instances would): each card gets one entry.
func testRebateConcurrent(t *testing.T, open Opener) {
	s := open(t)
	rebateSales(t, s)
	p := rebatePolicy2026(t)
	now := time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC)
	const workers = 4
	results := make([]central.RebateResult, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { results[i], errs[i] = rebateStore(t, s).PostYearEndRebate(context.Background(), p, now) })
	}
	wg.Wait()
	var sum central.RebateResult
	for i := range workers {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		sum.Cards += results[i].Cards
		sum.Points += results[i].Points
		sum.AlreadyPosted += results[i].AlreadyPosted
	}
	if sum != (central.RebateResult{Cards: 3, Points: 320, AlreadyPosted: 3 * (workers - 1)}) {
		t.Fatalf("sum of runs = %+v, want 3 cards and 320 points posted once", sum)
	}
	wantCachedTotal(t, s, rebateVIP, now, 270)
}

// testRebateMany posts more cards than one batch holds.
func testRebateMany(t *testing.T, open Opener) {
	s := open(t)
	n := 2*central.RebateBatchCards + 3
	events := make([]*syncproto.Event, n)
	for i := range events {
		events[i] = sale1(uint64(i+1), fmt.Sprintf("RM-%05d", i), time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), 20_000)
	}
	ingest(t, s, Batch("s1", "a1", events...))
	now := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	p := rebatePolicy2026(t)
	if got := postRebate(t, s, p, now); got != (central.RebateResult{Cards: n, Points: int64(n)}) {
		t.Fatalf("first run = %+v, want %d cards of 1 point", got, n)
	}
	if got := postRebate(t, s, p, now); got != (central.RebateResult{AlreadyPosted: n}) {
		t.Fatalf("second run = %+v, want %d already posted", got, n)
	}
	wantCachedTotal(t, s, fmt.Sprintf("RM-%05d", n-1), now, 1)
}
