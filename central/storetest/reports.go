package storetest

import (
	"context"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the suite needs Asia/Shanghai whatever the machine's zoneinfo holds

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// shanghai is the chain's zone in the reports suite: UTC+8 all year, so
// 16:00 UTC is local midnight.
func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(central.DefaultReportTimeZone)
	if err != nil {
		t.Fatalf("load %s: %v", central.DefaultReportTimeZone, err)
	}
	return loc
}

func reportsOf(t *testing.T, s central.Store) central.Reports {
	t.Helper()
	r, ok := s.(central.Reports)
	if !ok {
		t.Fatalf("%T does not implement central.Reports", s)
	}
	return r
}

// reportCard is the member card of the sales report population.
const reportCard = "6201000000000001"

// reportSale is one sale of a single line of fen at at.
func reportSale(store, agent string, seq uint64, card string, at time.Time, fen int64) *syncproto.Event {
	return StatsSaleEvent(StatsSale{Store: store, Agent: agent, Seq: seq, Card: card, At: at,
		Lines: []StatsLine{{SKU: "SKU-1", Category: "dairy", QuantityMilli: 1000, UnitPriceFen: fen}}})
}

// reportPopulation ingests sales on both sides of Shanghai midnights:
//
//	s1: 15:30Z Jan 10 (23:30 local) anon 1000; 15:45Z Jan 10 (23:45) member 2000;
//	    16:00Z Jan 10 (00:00 Jan 11) anon 4000; 17:10Z Jan 10 (01:10 Jan 11) member 8000
//	s2: 15:00Z Jan 31 (23:00 local) anon 32000; 16:30Z Jan 31 (00:30 Feb 1) member 16000
//
// In UTC every s1 sale is on Jan 10 and both s2 sales on Jan 31.
func reportPopulation(t *testing.T, s central.Store) {
	t.Helper()
	ingest(t, s, Batch("s1", "a1",
		reportSale("s1", "a1", 1, "", time.Date(2026, 1, 10, 15, 30, 0, 0, time.UTC), 1000),
		reportSale("s1", "a1", 2, reportCard, time.Date(2026, 1, 10, 15, 45, 0, 0, time.UTC), 2000),
		reportSale("s1", "a1", 3, "", time.Date(2026, 1, 10, 16, 0, 0, 0, time.UTC), 4000),
		reportSale("s1", "a1", 4, reportCard, time.Date(2026, 1, 10, 17, 10, 0, 0, time.UTC), 8000)))
	ingest(t, s, Batch("s2", "a2",
		reportSale("s2", "a2", 1, "", time.Date(2026, 1, 31, 15, 0, 0, 0, time.UTC), 32000),
		reportSale("s2", "a2", 2, reportCard, time.Date(2026, 1, 31, 16, 30, 0, 0, time.UTC), 16000)))
}

func testReports(t *testing.T, open Opener) {
	t.Run("SalesByPeriod", func(t *testing.T) { testReportSales(t, open) })
	t.Run("MemberContribution", func(t *testing.T) { testReportContribution(t, open) })
	t.Run("PointsLiability", func(t *testing.T) { testReportLiability(t, open) })
	t.Run("RedemptionRate", func(t *testing.T) { testReportRedemption(t, open) })
	t.Run("ErrInvalid", func(t *testing.T) { testReportInvalid(t, open) })
}

func testReportSales(t *testing.T, open Opener) {
	loc := shanghai(t)
	local := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, loc) }
	s := open(t)
	reportPopulation(t, s)
	r := reportsOf(t, s)
	ctx := context.Background()
	from, to := local(1, 1, 0), local(3, 1, 0)
	salesReport := func(from, to time.Time, by string) []central.PeriodSales {
		t.Helper()
		got, err := r.SalesByPeriod(ctx, from, to, by, loc)
		if err != nil {
			t.Fatalf("SalesByPeriod(%s): %v", by, err)
		}
		return got
	}
	wantPeriods(t, "by day", salesReport(from, to, central.PeriodDay), []central.PeriodSales{
		{StoreID: "s1", Start: local(1, 10, 0), Sales: 2, TotalFen: 3000},
		{StoreID: "s1", Start: local(1, 11, 0), Sales: 2, TotalFen: 12000},
		{StoreID: "s2", Start: local(1, 31, 0), Sales: 1, TotalFen: 32000},
		{StoreID: "s2", Start: local(2, 1, 0), Sales: 1, TotalFen: 16000},
	})
	wantPeriods(t, "by hour", salesReport(from, to, central.PeriodHour), []central.PeriodSales{
		{StoreID: "s1", Start: local(1, 10, 23), Sales: 2, TotalFen: 3000},
		{StoreID: "s1", Start: local(1, 11, 0), Sales: 1, TotalFen: 4000},
		{StoreID: "s1", Start: local(1, 11, 1), Sales: 1, TotalFen: 8000},
		{StoreID: "s2", Start: local(1, 31, 23), Sales: 1, TotalFen: 32000},
		{StoreID: "s2", Start: local(2, 1, 0), Sales: 1, TotalFen: 16000},
	})
	// [local midnight Jan 11, 01:00): the sale at exactly 16:00Z is in,
	// the ones before it and the one at 01:10 are out.
	wantPeriods(t, "half-open range", salesReport(local(1, 11, 0), local(1, 11, 1), central.PeriodDay),
		[]central.PeriodSales{{StoreID: "s1", Start: local(1, 11, 0), Sales: 1, TotalFen: 4000}})
	wantPeriods(t, "empty range", salesReport(local(3, 1, 0), local(4, 1, 0), central.PeriodDay), nil)
}

func wantPeriods(t *testing.T, what string, got, want []central.PeriodSales) {
	t.Helper()
	same := slices.EqualFunc(got, want, func(a, b central.PeriodSales) bool {
		return a.StoreID == b.StoreID && a.Start.Equal(b.Start) && a.Sales == b.Sales && a.TotalFen == b.TotalFen
	})
	if !same {
		t.Fatalf("SalesByPeriod %s = %+v\nwant %+v", what, got, want)
	}
	for _, p := range got {
		if p.Start.Location().String() != central.DefaultReportTimeZone {
			t.Fatalf("SalesByPeriod %s: start %v is not in %s", what, p.Start, central.DefaultReportTimeZone)
		}
	}
}

func testReportContribution(t *testing.T, open Opener) {
	loc := shanghai(t)
	s := open(t)
	reportPopulation(t, s)
	got, err := reportsOf(t, s).MemberContribution(context.Background(),
		time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 3, 1, 0, 0, 0, 0, loc), loc)
	if err != nil {
		t.Fatalf("MemberContribution: %v", err)
	}
	want := []central.MemberContribution{
		// 10000 of 15000 fen: 6666.67 bp rounds to 6667.
		{StoreID: "s1", Month: time.Date(2026, 1, 1, 0, 0, 0, 0, loc), Sales: 4, TotalFen: 15000,
			MemberSales: 2, MemberFen: 10000, RateBP: 6667},
		{StoreID: "s2", Month: time.Date(2026, 1, 1, 0, 0, 0, 0, loc), Sales: 1, TotalFen: 32000},
		// 00:30 on Feb 1 local is Jan 31 in UTC: a month boundary in the zone.
		{StoreID: "s2", Month: time.Date(2026, 2, 1, 0, 0, 0, 0, loc), Sales: 1, TotalFen: 16000,
			MemberSales: 1, MemberFen: 16000, RateBP: 10000},
	}
	same := slices.EqualFunc(got, want, func(a, b central.MemberContribution) bool {
		a.Month, b.Month = a.Month.UTC(), b.Month.UTC()
		return a == b
	})
	if !same {
		t.Fatalf("MemberContribution = %+v\nwant %+v", got, want)
	}
}

// liabilityCard is card k of the liability population.
func liabilityCard(k int) string { return "620100000000001" + string(rune('0'+k)) }

// liabilityPopulation ingests, at 2026-03-01 as "now":
//
//	card 1: earns 1000 on Jan 5 expiring Feb 1, redeems 300 on Jan 15 (700 expire)
//	card 2: earns 501 on Jan 6, never expiring
//	card 3: earns 100 on Jan 7, redeems 250 on Jan 8 (balance −150)
//	card 4: earns 3000 on 2024-12-01, redeems 1000 on 2025-01-10 (before the
//	        breakage window) — balance 2000
func liabilityPopulation(t *testing.T, s central.Store) {
	t.Helper()
	sale := func(seq uint64, k int, at time.Time, earn, redeem int64, expires time.Time) *syncproto.Event {
		return PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: seq, Card: liabilityCard(k), At: at,
			Earn: []int64{earn}, Redeem: redeem, ExpiresAt: expires})
	}
	ingest(t, s, Batch("s1", "a1",
		sale(1, 1, date(2026, 1, 5, 10), 1000, 0, date(2026, 2, 1, 0)),
		sale(2, 1, date(2026, 1, 15, 10), 0, 300, time.Time{}),
		sale(3, 2, date(2026, 1, 6, 10), 501, 0, time.Time{}),
		sale(4, 3, date(2026, 1, 7, 10), 100, 0, time.Time{}),
		sale(5, 3, date(2026, 1, 8, 10), 0, 250, time.Time{}),
		sale(6, 4, date(2024, 12, 1, 10), 3000, 0, time.Time{}),
		sale(7, 4, date(2025, 1, 10, 10), 0, 1000, time.Time{})))
}

func testReportLiability(t *testing.T, open Opener) {
	now := date(2026, 3, 1, 0)
	ctx := context.Background()
	liability := func(s central.Store, value int64) central.PointsLiability {
		t.Helper()
		got, err := reportsOf(t, s).PointsLiability(ctx, now, value)
		if err != nil {
			t.Fatalf("PointsLiability: %v", err)
		}
		return got
	}
	want := func(got, want central.PointsLiability) {
		t.Helper()
		got.AsOf, got.BreakageFrom = got.AsOf.UTC(), got.BreakageFrom.UTC()
		want.AsOf, want.BreakageFrom = now, date(2025, 3, 1, 0)
		if got != want {
			t.Fatalf("PointsLiability = %+v\nwant %+v", got, want)
		}
	}
	t.Run("Empty", func(t *testing.T) {
		// No expiry and no redemption: a zero denominator, no breakage.
		want(liability(open(t), 100), central.PointsLiability{PointValueFenPer100: 100})
	})
	s := open(t)
	liabilityPopulation(t, s)
	t.Run("BeforeExpiry", func(t *testing.T) {
		// Cards 1, 2, 4 hold 700 + 501 + 2000; card 3's debt does not offset.
		want(liability(s, 100), central.PointsLiability{OutstandingPoints: 3201, Cards: 3,
			PointValueFenPer100: 100, RedeemedPoints: 550, GrossFen: 3201, LiabilityFen: 3201})
	})
	t.Run("AfterExpiry", func(t *testing.T) {
		if _, err := s.ExpirePoints(ctx, now); err != nil {
			t.Fatalf("ExpirePoints: %v", err)
		}
		// Breakage 700 ÷ (700 + 550) = 5600 bp. At 1.33 fen a point:
		// gross 2501 × 1.33 = 3326.33 → 3326 fen; liability
		// 2501 × 1.33 × 0.44 = 1463.585 → 1464 fen.
		want(liability(s, 133), central.PointsLiability{OutstandingPoints: 2501, Cards: 2,
			PointValueFenPer100: 133, ExpiredPoints: 700, RedeemedPoints: 550, BreakageBP: 5600,
			GrossFen: 3326, LiabilityFen: 1464})
	})
}

func testReportRedemption(t *testing.T, open Opener) {
	s := open(t)
	liabilityPopulation(t, s)
	r := reportsOf(t, s)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     central.RedemptionRate
	}{
		// 550 of 1601 earned: 3435.35 bp.
		{"Q1", date(2026, 1, 1, 0), date(2026, 3, 1, 0), central.RedemptionRate{EarnedPoints: 1601, RedeemedPoints: 550, RateBP: 3435}},
		// Only card 4's redemption: nothing earned, so no rate.
		{"ZeroEarned", date(2025, 1, 1, 0), date(2025, 2, 1, 0), central.RedemptionRate{RedeemedPoints: 1000}},
		{"Empty", date(2027, 1, 1, 0), date(2027, 2, 1, 0), central.RedemptionRate{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.RedemptionRate(context.Background(), tc.from, tc.to)
			if err != nil {
				t.Fatalf("RedemptionRate: %v", err)
			}
			got.From, got.To = time.Time{}, time.Time{}
			if got != tc.want {
				t.Fatalf("RedemptionRate = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func testReportInvalid(t *testing.T, open Opener) {
	r := reportsOf(t, open(t))
	ctx := context.Background()
	loc := shanghai(t)
	from, to := date(2026, 1, 1, 0), date(2026, 2, 1, 0)
	wantInvalid := func(what string, err error) {
		t.Helper()
		if code := central.ErrorCode(err); code != central.EINVALID {
			t.Errorf("%s: err %v (code %q), want %s", what, err, code, central.EINVALID)
		}
	}
	_, err := r.SalesByPeriod(ctx, to, from, central.PeriodDay, loc)
	wantInvalid("SalesByPeriod from after to", err)
	_, err = r.SalesByPeriod(ctx, from, to, "week", loc)
	wantInvalid("SalesByPeriod by week", err)
	_, err = r.SalesByPeriod(ctx, from, from.Add(central.MaxReportRange+time.Hour), central.PeriodHour, loc)
	wantInvalid("SalesByPeriod range too long", err)
	_, err = r.MemberContribution(ctx, from, to, nil)
	wantInvalid("MemberContribution without a zone", err)
	_, err = r.RedemptionRate(ctx, from, from)
	wantInvalid("RedemptionRate empty range", err)
	_, err = r.PointsLiability(ctx, to, -1)
	wantInvalid("PointsLiability negative value", err)
}
