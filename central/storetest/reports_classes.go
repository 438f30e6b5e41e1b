package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// Cards of the top-products population.
const (
	ProductsCardA     = "6202000000000001" // VIP
	ProductsCardB     = "6202000000000002" // VIP
	ProductsCardC     = "6202000000000003" // small
	ProductsCardD     = "6202000000000004" // small
	ProductsCardE     = "6202000000000005" // small: bought only before the window
	ProductsCardStaff = "6202000000000099" // excluded
)

// ProductsAsOf and ProductsMonths are the population's classification:
// the window is February and March 2026.
var ProductsAsOf = time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)

// ProductsMonths is the window length of the population's run.
const ProductsMonths = 2

// ProductsOptions classify the population: the top half of the pyramid
// is VIP, the rest small (big and ordinary stay empty), staff excluded.
func ProductsOptions() central.ClassificationOptions {
	o := central.ClassificationOptions{Months: ProductsMonths, Classify: central.DefaultClassifyOptions(),
		ExcludedCards: []string{ProductsCardStaff}}
	o.Classify.Pyramid = central.PyramidOptions{VIPShareBP: 5000}
	return o
}

// ProductsPopulation ingests these sales (fen = quantity × unit price) and
// classifies them as of ProductsAsOf with ProductsOptions:
//
//	A  Jan 20 CHEESE 9000 (before the window)
//	   Feb 05 MILK 2×500, BREAD 800           Mar 02 MILK 500, WINE 3000
//	B  Feb 10 WINE 3000                       Mar 10 MILK 3×500, BREAD 800
//	C  Feb 12 BREAD 800                       Feb 20 MILK 500
//	D  Mar 01 MILK 1.6×500, EGGS 800          Mar 03 APPLE 1.25 kg × 1040
//	E  2025 Dec 05 MILK 10×500 (before the window)
//	staff  Feb 15 WINE 3000                   Feb 16 MILK 500
//
// Pyramid keys (window spend less the largest sale): B 2300, A 1800, D
// 1300, C 500, E 0: five classified members, so A and B are VIP and C,
// D, E small. It returns the run and the next seq of s1/a1.
func ProductsPopulation(t *testing.T, s central.Store) (central.ClassificationRun, uint64) {
	t.Helper()
	type sale struct {
		card  string
		at    time.Time
		lines []StatsLine
	}
	line := func(sku string, qty, price int64) StatsLine {
		return StatsLine{SKU: sku, Category: "grocery", QuantityMilli: qty, UnitPriceFen: price}
	}
	sales := []sale{
		{ProductsCardE, date(2025, 12, 5, 10), []StatsLine{line("MILK", 10_000, 500)}},
		{ProductsCardA, date(2026, 1, 20, 10), []StatsLine{line("CHEESE", 1000, 9000)}},
		{ProductsCardA, date(2026, 2, 5, 10), []StatsLine{line("MILK", 2000, 500), line("BREAD", 1000, 800)}},
		{ProductsCardB, date(2026, 2, 10, 10), []StatsLine{line("WINE", 1000, 3000)}},
		{ProductsCardC, date(2026, 2, 12, 10), []StatsLine{line("BREAD", 1000, 800)}},
		{ProductsCardStaff, date(2026, 2, 15, 10), []StatsLine{line("WINE", 1000, 3000)}},
		{ProductsCardStaff, date(2026, 2, 16, 10), []StatsLine{line("MILK", 1000, 500)}},
		{ProductsCardC, date(2026, 2, 20, 10), []StatsLine{line("MILK", 1000, 500)}},
		{ProductsCardD, date(2026, 3, 1, 10), []StatsLine{line("MILK", 1600, 500), line("EGGS", 1000, 800)}},
		{ProductsCardA, date(2026, 3, 2, 10), []StatsLine{line("MILK", 1000, 500), line("WINE", 1000, 3000)}},
		{ProductsCardD, date(2026, 3, 3, 10), []StatsLine{line("APPLE", 1250, 1040)}},
		{ProductsCardB, date(2026, 3, 10, 10), []StatsLine{line("MILK", 3000, 500), line("BREAD", 1000, 800)}},
	}
	var evs []*syncproto.Event
	for i, sl := range sales {
		evs = append(evs, StatsSaleEvent(StatsSale{Store: "s1", Agent: "a1", Seq: uint64(i + 1), Card: sl.card,
			At: sl.at, Lines: sl.lines}))
	}
	ingest(t, s, Batch("s1", "a1", evs...))
	return classify(t, s, ProductsAsOf, ProductsOptions()), uint64(len(sales) + 1)
}

// ProductsWant is the hand-computed report of ProductsPopulation by
// pyramid with the default limit, names from a catalog naming MILK and
// WINE as ProductsCatalog does. Class spends: VIP 6000 + 3000 + 1600 =
// 10600 (A 5300, B 5300); small 1300 + 1300 + 800 + 800 = 4200 (C 1300,
// D 2900, E nothing in the window). MILK and APPLE tie on spend in small,
// MILK has more members; BREAD and EGGS tie on both, BREAD sorts first.
func ProductsWant() []central.ClassProducts {
	return []central.ClassProducts{
		{Class: "vip", SpendFen: 10_600, Products: []central.ClassProduct{
			{Rank: 1, SKU: "WINE", Name: "Red wine 750ml", QuantityMilli: 2000, SpendFen: 6000, Members: 2, SpendShareBP: 5660},
			{Rank: 2, SKU: "MILK", Name: "Milk 1L", QuantityMilli: 6000, SpendFen: 3000, Members: 2, SpendShareBP: 2830},
			{Rank: 3, SKU: "BREAD", QuantityMilli: 2000, SpendFen: 1600, Members: 2, SpendShareBP: 1509},
		}},
		{Class: "big", Products: []central.ClassProduct{}},
		{Class: "ordinary", Products: []central.ClassProduct{}},
		{Class: "small", SpendFen: 4200, Products: []central.ClassProduct{
			{Rank: 1, SKU: "MILK", Name: "Milk 1L", QuantityMilli: 2600, SpendFen: 1300, Members: 2, SpendShareBP: 3095},
			{Rank: 2, SKU: "APPLE", QuantityMilli: 1250, SpendFen: 1300, Members: 1, SpendShareBP: 3095},
			{Rank: 3, SKU: "BREAD", QuantityMilli: 1000, SpendFen: 800, Members: 1, SpendShareBP: 1905},
			{Rank: 4, SKU: "EGGS", QuantityMilli: 1000, SpendFen: 800, Members: 1, SpendShareBP: 1905},
		}},
	}
}

// ProductsCatalog is a catalog naming MILK and WINE (and a product no one
// bought).
func ProductsCatalog() *syncproto.CatalogContent {
	return &syncproto.CatalogContent{Upserts: []*syncproto.CatalogItem{
		{Sku: "MILK", Name: "Milk 1L", PriceFen: 500},
		{Sku: "TEA", Name: "Green tea", PriceFen: 1200},
		{Sku: "WINE", Name: "Red wine 750ml", PriceFen: 3000},
	}}
}

func classProducts(t *testing.T, s central.Store) central.ClassProductsStore {
	t.Helper()
	cp, ok := s.(central.ClassProductsStore)
	if !ok {
		t.Fatalf("%T does not implement central.ClassProductsStore", s)
	}
	return cp
}

func topProducts(t *testing.T, s central.Store, q central.TopProductsQuery) central.TopProducts {
	t.Helper()
	tp, err := classProducts(t, s).TopClassProducts(context.Background(), q)
	if err != nil {
		t.Fatalf("TopClassProducts(%+v): %v", q, err)
	}
	return tp
}

func wantClassProducts(t *testing.T, q central.TopProductsQuery, got, want []central.ClassProducts) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("TopClassProducts(%+v) classes:\n%s\nwant:\n%s", q, fmtClasses(got), fmtClasses(want))
	}
}

func fmtClasses(cs []central.ClassProducts) string {
	var out string
	for _, c := range cs {
		out += fmt.Sprintf("  %s spend %d (%d products)\n", c.Class, c.SpendFen, len(c.Products))
		for _, p := range c.Products {
			out += fmt.Sprintf("    %+v\n", p)
		}
	}
	return out
}

func testClassProducts(t *testing.T, open Opener) {
	t.Run("ByPyramid", func(t *testing.T) {
		s := open(t)
		run, seq := ProductsPopulation(t, s)
		ds, ok := s.(central.Downstreams)
		if !ok {
			t.Fatalf("%T does not implement central.Downstreams", s)
		}
		if _, err := central.PublishCatalog(context.Background(), ds, ProductsCatalog(), receivedAt); err != nil {
			t.Fatalf("PublishCatalog: %v", err)
		}
		// A card that is not in the run buys in the window after it:
		// it belongs to no class.
		ingest(t, s, Batch("s1", "a1", StatsSaleEvent(StatsSale{Store: "s1", Agent: "a1", Seq: seq,
			Card: "6202000000000077", At: date(2026, 3, 12, 10), Lines: []StatsLine{{SKU: "WINE", QuantityMilli: 1000, UnitPriceFen: 3000}}})))
		q := central.TopProductsQuery{}
		tp := topProducts(t, s, q)
		wantWindow := central.StatsWindow{Months: 2, FirstMonth: 202602, LastMonth: 202603}
		if tp.RunID != run.ID || !tp.AsOf.Equal(ProductsAsOf) || tp.Window != wantWindow || tp.Classifier != central.ClassifierPyramid {
			t.Fatalf("report of run %d as of %s window %+v by %q; want run %d as of %s window %+v by pyramid",
				tp.RunID, tp.AsOf, tp.Window, tp.Classifier, run.ID, ProductsAsOf, wantWindow)
		}
		wantClassProducts(t, q, tp.Classes, ProductsWant())

		// The limit cuts inside a tie by the tie's order (members, then
		// SKU); the class's spend still counts every product.
		for _, limit := range []int{1, 3} {
			q = central.TopProductsQuery{RunID: run.ID, Class: "small", Limit: limit}
			want := ProductsWant()[3]
			want.Products = want.Products[:limit]
			wantClassProducts(t, q, topProducts(t, s, q).Classes, []central.ClassProducts{want})
		}

		// Staff and test cards only when asked for by name.
		q = central.TopProductsQuery{Class: central.ExcludedClass, Limit: 1}
		wantClassProducts(t, q, topProducts(t, s, q).Classes, []central.ClassProducts{{Class: "excluded", SpendFen: 3500,
			Products: []central.ClassProduct{{Rank: 1, SKU: "WINE", Name: "Red wine 750ml", QuantityMilli: 1000,
				SpendFen: 3000, Members: 1, SpendShareBP: 8571}}}})
	})
	t.Run("BySegment", func(t *testing.T) {
		s := open(t)
		ProductsPopulation(t, s)
		q := central.TopProductsQuery{Classifier: central.ClassifierSegment, Limit: central.MaxTopProducts}
		tp := topProducts(t, s, q)
		// The segments split the same members: their spends, and each
		// product's sums, add up to the pyramid's.
		segments := central.ClassNames(central.ClassifierSegment)[1:]
		if len(tp.Classes) != len(segments) {
			t.Fatalf("%d segments, want %d: %s", len(tp.Classes), len(segments), fmtClasses(tp.Classes))
		}
		var spend int64
		bySKU := map[string]central.ClassProduct{}
		for i, c := range tp.Classes {
			if c.Class != segments[i] {
				t.Fatalf("segment %d is %q, want %q", i, c.Class, segments[i])
			}
			spend += c.SpendFen
			for _, p := range c.Products {
				sum := bySKU[p.SKU]
				sum.QuantityMilli += p.QuantityMilli
				sum.SpendFen += p.SpendFen
				sum.Members += p.Members
				bySKU[p.SKU] = sum
			}
		}
		want := map[string]central.ClassProduct{
			"WINE": {QuantityMilli: 2000, SpendFen: 6000, Members: 2}, "MILK": {QuantityMilli: 8600, SpendFen: 4300, Members: 4},
			"BREAD": {QuantityMilli: 3000, SpendFen: 2400, Members: 3}, "APPLE": {QuantityMilli: 1250, SpendFen: 1300, Members: 1},
			"EGGS": {QuantityMilli: 1000, SpendFen: 800, Members: 1},
		}
		if spend != 14_800 || !reflect.DeepEqual(bySKU, want) {
			t.Fatalf("segments spend %d, products %+v; want 14800 and %+v", spend, bySKU, want)
		}
	})
	t.Run("LatestRun", func(t *testing.T) {
		s := open(t)
		first, _ := ProductsPopulation(t, s)
		// As of April the window is March and April: every February sale
		// drops out, leaving A 3500, B 2300 and D 2900 of non-staff spend.
		second := classify(t, s, date(2026, 4, 1, 0), ProductsOptions())
		tp := topProducts(t, s, central.TopProductsQuery{})
		var spend int64
		for _, c := range tp.Classes {
			spend += c.SpendFen
		}
		if tp.RunID != second.ID || tp.Window.FirstMonth != 202603 || spend != 8700 {
			t.Fatalf("latest report: run %d window %+v spend %d; want run %d from 202603 spending 8700",
				tp.RunID, tp.Window, spend, second.ID)
		}
		// The first run is still kept and reads its own window. No catalog
		// was published here: no names.
		q := central.TopProductsQuery{RunID: first.ID, Class: "vip", Limit: 1}
		want := ProductsWant()[0]
		want.Products = want.Products[:1:1]
		want.Products[0].Name = ""
		wantClassProducts(t, q, topProducts(t, s, q).Classes, []central.ClassProducts{want})
	})
	t.Run("Err", func(t *testing.T) {
		s := open(t)
		cp := classProducts(t, s)
		ctx := context.Background()
		if _, err := cp.TopClassProducts(ctx, central.TopProductsQuery{}); central.ErrorCode(err) != central.ENOTFOUND {
			t.Errorf("no run: err %v, want %s", err, central.ENOTFOUND)
		}
		run, _ := ProductsPopulation(t, s)
		for _, q := range []central.TopProductsQuery{
			{Classifier: "tier"}, {Class: "gold"}, {Classifier: central.ClassifierSegment, Class: "vip"},
			{Limit: -1}, {Limit: central.MaxTopProducts + 1}, {RunID: -1},
		} {
			if _, err := cp.TopClassProducts(ctx, q); central.ErrorCode(err) != central.EINVALID {
				t.Errorf("TopClassProducts(%+v): err %v, want %s", q, err, central.EINVALID)
			}
		}
		if _, err := cp.TopClassProducts(ctx, central.TopProductsQuery{RunID: run.ID + 1}); central.ErrorCode(err) != central.ENOTFOUND {
			t.Errorf("run %d: err %v, want %s", run.ID+1, err, central.ENOTFOUND)
		}
	})
}
