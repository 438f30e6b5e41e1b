package storetest

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// statsCard is the member card of the statistics tests.
const statsCard = "6200009999000017"

// testMemberStats is the MemberStatsStore contract: statistics kept at
// ingest, exactly once, in any delivery order.
func testMemberStats(t *testing.T, open Opener) {
	t.Run("WindowAcrossYearBoundary", func(t *testing.T) { testStatsWindow(t, open) })
	t.Run("Favourites", func(t *testing.T) { testStatsFavourites(t, open) })
	t.Run("NonMemberSalesIgnored", func(t *testing.T) { testStatsAnonymous(t, open) })
	t.Run("ReturnBeforeOrAfterSale", func(t *testing.T) { testStatsReturns(t, open) })
	t.Run("Points", func(t *testing.T) { testStatsPoints(t, open) })
	t.Run("DuplicateAndOutOfOrder", func(t *testing.T) { testStatsAnyOrder(t, open) })
	t.Run("ErrInvalid", func(t *testing.T) {
		s := open(t)
		ms := statsStore(t, s)
		for _, months := range []int{-1, central.MaxStatsMonths + 1} {
			if _, err := ms.MemberStats(context.Background(), statsCard, receivedAt, months); central.ErrorCode(err) != central.EINVALID {
				t.Errorf("MemberStats(months %d) err = %v, want %s", months, err, central.EINVALID)
			}
		}
		if _, err := ms.Favourites(context.Background(), statsCard, receivedAt, 0, -1); central.ErrorCode(err) != central.EINVALID {
			t.Errorf("Favourites(limit -1) err = %v, want %s", err, central.EINVALID)
		}
	})
}

// sale1 is a one-line member sale of fen at at, for the window tests.
func sale1(seq uint64, card string, at time.Time, fen int64) *syncproto.Event {
	return StatsSaleEvent(StatsSale{Store: "s1", Agent: "a1", Seq: seq, Card: card, At: at,
		Lines: []StatsLine{{SKU: "SKU-1", Category: "dairy", QuantityMilli: 1000, UnitPriceFen: fen}}})
}

func date(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

func testStatsWindow(t *testing.T, open Opener) {
	s := open(t)
	ingest(t, s, Batch("s1", "a1",
		sale1(1, statsCard, date(2025, 1, 15, 10), 1000),
		sale1(2, statsCard, date(2025, 11, 20, 10), 2000),
		sale1(3, statsCard, date(2025, 12, 31, 23), 3000),
		sale1(4, statsCard, date(2026, 1, 5, 9), 4000),
		sale1(5, statsCard, date(2026, 2, 10, 18), 500)))
	now := date(2026, 2, 15, 12)
	lifetime := func(a central.MemberActivity) {
		t.Helper()
		if a.LifetimeVisits != 5 || a.LifetimeSpendFen != 10500 || a.LifetimeLargestSaleFen != 4000 ||
			!a.FirstPurchase.Equal(date(2025, 1, 15, 10)) || !a.LastPurchase.Equal(date(2026, 2, 10, 18)) {
			t.Fatalf("lifetime = %+v, want 5 visits, 10500 fen, largest 4000, first 2025-01-15, last 2026-02-10", a)
		}
	}
	for _, tt := range []struct {
		now                    time.Time
		months                 int
		visits, spend, largest int64
		annual                 int64
		wantMonths             int
	}{
		{now, 0, 4, 9500, 4000, 9500, 12}, // March 2025 .. February 2026
		{now, 12, 4, 9500, 4000, 9500, 12},
		{now, 2, 2, 4500, 4000, 9500, 2}, // January and February 2026
		{now, 3, 3, 7500, 4000, 9500, 3}, // from December 2025, across the year
		{now, 14, 5, 10500, 4000, 9500, 14},
		{date(2026, 3, 1, 0), 2, 1, 500, 500, 9500, 2},
		{date(2027, 1, 31, 0), 12, 1, 500, 500, 500, 12},
		{date(2028, 6, 1, 0), 12, 0, 0, 0, 0, 12},
	} {
		a := memberStats(t, s, statsCard, tt.now, tt.months)
		if a.Card != statsCard || a.Months != tt.wantMonths || a.Visits != tt.visits || a.SpendFen != tt.spend ||
			a.LargestSaleFen != tt.largest || a.AnnualSpendFen != tt.annual {
			t.Errorf("MemberStats(%s, %d months) = %+v; want %d months, %d visits, %d fen, largest %d, annual %d",
				tt.now.Format(time.DateOnly), tt.months, a, tt.wantMonths, tt.visits, tt.spend, tt.largest, tt.annual)
		}
		lifetime(a)
	}
	wantNoStats(t, s, "6200000000000000", now)
}

func testStatsFavourites(t *testing.T, open Opener) {
	s := open(t)
	sale := func(seq uint64, at time.Time, lines ...StatsLine) *syncproto.Event {
		return StatsSaleEvent(StatsSale{Store: "s1", Agent: "a1", Seq: seq, Card: statsCard, At: at, Lines: lines})
	}
	a := func(q int64) StatsLine { return StatsLine{"SKU-A", "dairy", q, 100} }
	ingest(t, s, Batch("s1", "a1",
		sale(1, date(2026, 1, 3, 10), a(3000), StatsLine{"SKU-B", "bakery", 1000, 2000}),
		sale(2, date(2026, 1, 9, 10), a(1000), StatsLine{"SKU-C", "dairy", 1000, 100}),
		// SKU-A on two lines of one sale is one purchase; SKU-D has no category.
		sale(3, date(2026, 2, 1, 10), a(1000), a(1000), StatsLine{"SKU-D", "", 500, 40}),
		// Outside a 12-month window at 2026-02-15.
		sale(4, date(2024, 12, 1, 10), StatsLine{"SKU-OLD", "old", 9000, 10000})))
	got := favourites(t, s, statsCard, date(2026, 2, 15, 0), 12, 0)
	want := central.MemberFavourites{Card: statsCard, Months: 12,
		CategoriesByFrequency: []central.FavouriteItem{fav("dairy", 3, 7000, 700), fav("bakery", 1, 1000, 2000)},
		CategoriesBySpend:     []central.FavouriteItem{fav("bakery", 1, 1000, 2000), fav("dairy", 3, 7000, 700)},
		ProductsByFrequency: []central.FavouriteItem{fav("SKU-A", 3, 6000, 600), fav("SKU-B", 1, 1000, 2000),
			fav("SKU-C", 1, 1000, 100), fav("SKU-D", 1, 500, 20)},
		ProductsBySpend: []central.FavouriteItem{fav("SKU-B", 1, 1000, 2000), fav("SKU-A", 3, 6000, 600),
			fav("SKU-C", 1, 1000, 100), fav("SKU-D", 1, 500, 20)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Favourites =\n%+v\nwant\n%+v", got, want)
	}
	top := favourites(t, s, statsCard, date(2026, 2, 15, 0), 12, 2)
	if len(top.ProductsByFrequency) != 2 || top.ProductsByFrequency[1].Key != "SKU-B" || len(top.CategoriesBySpend) != 2 {
		t.Fatalf("Favourites(limit 2) = %+v", top)
	}
	old := favourites(t, s, statsCard, date(2024, 12, 31, 0), 1, 0)
	if len(old.CategoriesByFrequency) != 1 || old.CategoriesByFrequency[0] != fav("old", 1, 9000, 90000) {
		t.Fatalf("Favourites(December 2024) = %+v, want the old sale only", old)
	}
	none := favourites(t, s, "6200000000000000", date(2026, 2, 15, 0), 12, 0)
	if len(none.CategoriesByFrequency)+len(none.ProductsBySpend) != 0 {
		t.Fatalf("Favourites(unknown card) = %+v, want empty lists", none)
	}
}

func testStatsAnonymous(t *testing.T, open Opener) {
	s := open(t)
	wantResult(t, ingest(t, s, MemberSaleBatch("s1", "a1", 1, 20, false)), central.IngestResult{Applied: 20})
	if got := allMemberStats(t, s, receivedAt, 0); len(got) != 0 {
		t.Fatalf("AllMemberStats after anonymous sales = %+v, want none", got)
	}
	wantNoStats(t, s, "", receivedAt)
}

// testStatsReturns: a return lowers its original sale's month (and the
// line's category and SKU) for the sale's card, once, capped at the line,
// whether it arrives before the sale, after it, in its batch or twice.
func testStatsReturns(t *testing.T, open Opener) {
	jan, feb := date(2026, 1, 10, 10), date(2026, 2, 3, 10)
	sale := StatsSaleEvent(StatsSale{Store: "s1", Agent: "a1", Seq: 1, Card: statsCard, At: jan, Lines: []StatsLine{
		{"SKU-A", "dairy", 1000, 1000}, {"SKU-B", "bakery", 1000, 2000}}})
	anon := StatsSaleEvent(StatsSale{Store: "s1", Agent: "a1", Seq: 3, At: jan, Lines: []StatsLine{{"SKU-A", "dairy", 1000, 1000}}})
	deliveries := []*syncproto.Batch{
		Batch("s1", "a1", sale),
		// Another store's return of line 1, resolved at central.
		Batch("s2", "a2", StatsReturnEvent("s2", "a2", 1, SaleID("a1", 1), "", feb, map[uint32]int64{1: 600})),
		// The store's own return of line 1 again: 900 fen, but only 400 are left.
		Batch("s1", "a1", StatsReturnEvent("s1", "a1", 2, SaleID("a1", 1), "s1", feb, map[uint32]int64{1: 900})),
		// A line the sale does not have, and a return of an anonymous sale.
		Batch("s2", "a2", StatsReturnEvent("s2", "a2", 2, SaleID("a1", 1), "", feb, map[uint32]int64{9: 100}),
			StatsReturnEvent("s2", "a2", 3, SaleID("a1", 3), "", feb, map[uint32]int64{1: 100})),
		Batch("s1", "a1", anon),
	}
	check := func(t *testing.T, s central.Store) {
		t.Helper()
		now := date(2026, 2, 15, 0)
		a := memberStats(t, s, statsCard, now, 2)
		if a.Visits != 1 || a.SpendFen != 2000 || a.LargestSaleFen != 3000 || a.LifetimeSpendFen != 2000 || a.LifetimeVisits != 1 {
			t.Fatalf("MemberStats = %+v; want 1 visit, 2000 fen net, largest 3000 as sold", a)
		}
		if feb := memberStats(t, s, statsCard, now, 1); feb.SpendFen != 0 || feb.Visits != 0 {
			t.Fatalf("MemberStats(February) = %+v; a return counts in its sale's month", feb)
		}
		f := favourites(t, s, statsCard, now, 2, 0)
		wantCats := []central.FavouriteItem{fav("bakery", 1, 1000, 2000), fav("dairy", 1, 1000, 0)}
		wantSKUs := []central.FavouriteItem{fav("SKU-B", 1, 1000, 2000), fav("SKU-A", 1, 1000, 0)}
		if !slices.Equal(f.CategoriesBySpend, wantCats) || !slices.Equal(f.ProductsBySpend, wantSKUs) {
			t.Fatalf("Favourites by spend = %+v, %+v; want %+v, %+v", f.CategoriesBySpend, f.ProductsBySpend, wantCats, wantSKUs)
		}
		if all := allMemberStats(t, s, now, 2); len(all) != 1 || all[0] != a {
			t.Fatalf("AllMemberStats = %+v, want only %+v", all, a)
		}
	}
	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {1, 0, 3, 2, 4}, {2, 3, 4, 1, 0}} {
		s := open(t)
		for range 2 { // the second round is all duplicates
			for _, i := range order {
				ingest(t, s, deliveries[i])
			}
		}
		check(t, s)
	}
	t.Run("SameBatch", func(t *testing.T) {
		s := open(t)
		ingest(t, s, Batch("s1", "a1", sale, deliveries[2].GetEvents()[0], anon))
		ingest(t, s, deliveries[1])
		ingest(t, s, deliveries[3])
		check(t, s)
	})
}

// testStatsPoints: points earned and redeemed follow the ledger entries
// stored, the ones central posts for a foreign return included.
func testStatsPoints(t *testing.T, open Opener) {
	sale := Batch("s1", "a1", PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: statsCard,
		At: t0, Earn: []int64{10, 20}, Redeem: 5}))
	// Line 1 (2.000 × 500 fen, 10 points) returned in full at another store.
	ret := Batch("s2", "a2", ReturnEvent("s2", "a2", 1, "ret-1", SaleID("a1", 1), "", statsCard, t0.Add(day),
		map[uint32]int64{1: 2000}))
	s := open(t)
	ingest(t, s, sale)
	ingest(t, s, sale)
	if a := memberStats(t, s, statsCard, t0, 0); a.PointsEarned != 30 || a.PointsRedeemed != 5 || a.SpendFen != 2000 {
		t.Fatalf("MemberStats = %+v; want 30 earned, 5 redeemed, 2000 fen", a)
	}
	for _, s := range []central.Store{s, open(t)} {
		ingest(t, s, ret)
		ingest(t, s, sale)
		// 10 points reversed; floor(5 × 1000 / 2000) = 2 redeemed points given back.
		a := memberStats(t, s, statsCard, t0, 0)
		if a.PointsEarned != 20 || a.PointsRedeemed != 3 || a.SpendFen != 1000 {
			t.Fatalf("MemberStats after the return = %+v; want 20 earned, 3 redeemed, 1000 fen", a)
		}
		if b := balance(t, s, statsCard, t0.Add(2*day)); b.Total != a.PointsEarned-a.PointsRedeemed {
			t.Fatalf("balance %d, statistics earned %d − redeemed %d", b.Total, a.PointsEarned, a.PointsRedeemed)
		}
	}
}

// testStatsAnyOrder delivers overlapping batches of sales and returns of
// two agents in seeded random orders, one batch twice, and checks every
// order ends with the statistics of in-order delivery.
func testStatsAnyOrder(t *testing.T, open Opener) {
	cards := []string{"6200000000000011", "6200000000000029", "6200000000000037", ""}
	var sales, returns []*syncproto.Event
	for seq := uint64(1); seq <= 24; seq++ {
		p := StatsSale{Store: "s1", Agent: "a1", Seq: seq, Card: cards[seq%4], At: date(2025, 6, 1, 9).Add(time.Duration(seq) * 13 * day)}
		for i := range seq%3 + 1 {
			p.Lines = append(p.Lines, StatsLine{SKU: "SKU-" + string(rune('A'+(seq+i)%5)), Category: benchCategories[(seq+i)%3],
				QuantityMilli: 1000 * int64(i+1), UnitPriceFen: 100 * int64(seq)})
		}
		sales = append(sales, StatsSaleEvent(p))
	}
	for seq := uint64(1); seq <= 6; seq++ {
		returns = append(returns, StatsReturnEvent("s2", "a2", seq, SaleID("a1", 3*seq-1), "", date(2026, 5, 1, 9),
			map[uint32]int64{1: 70 * int64(seq)}))
	}
	batches := []*syncproto.Batch{
		Batch("s1", "a1", sales[0:10]...), Batch("s1", "a1", sales[7:18]...), Batch("s1", "a1", sales[18:]...),
		Batch("s2", "a2", returns[0:3]...), Batch("s2", "a2", returns[3:]...), Batch("s2", "a2", returns[1:5]...),
	}
	snapshot := func(s central.Store) []any {
		now := date(2026, 6, 1, 0)
		out := []any{allMemberStats(t, s, now, 12), allMemberStats(t, s, now, 3)}
		for _, c := range cards[:3] {
			out = append(out, favourites(t, s, c, now, 12, 0))
		}
		return out
	}
	ref := open(t)
	for _, b := range batches {
		ingest(t, ref, b)
	}
	want := snapshot(ref)
	if n := len(want[0].([]central.MemberActivity)); n != 3 {
		t.Fatalf("in order: %d cards with statistics, want 3", n)
	}
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 7))
		order := append(slices.Clone(batches), batches[rng.IntN(len(batches))])
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		s := open(t)
		for _, b := range order {
			ingest(t, s, b)
		}
		if got := snapshot(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: statistics\n%+v\nwant (in order)\n%+v", seed, got, want)
		}
	}
}

func fav(key string, purchases, quantityMilli, spendFen int64) central.FavouriteItem {
	return central.FavouriteItem{Key: key, Purchases: purchases, QuantityMilli: quantityMilli, SpendFen: spendFen}
}
