package central_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tillsync/tillsync/central"
)

// clsSynthetic returns n members with a seeded, roughly retail-shaped
// spread: most come a few times and spend little, a few come weekly and
// spend much, many share a visit count or a last-purchase day, and about
// one in a thousand is a staff or test card.
func clsSynthetic(n int, seed uint64) []central.MemberStats {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	members := make([]central.MemberStats, n)
	for i := range members {
		visits := 1 + rng.Int64N(4)
		if rng.IntN(10) == 0 {
			visits += rng.Int64N(100)
		}
		var spend, largest int64
		for range min(visits, 8) { // sampled sales, scaled to all visits
			sale := 500 + rng.Int64N(20_000)
			if rng.IntN(200) == 0 {
				sale *= 50 // the occasional one-off banquet
			}
			spend += sale
			largest = max(largest, sale)
		}
		spend = spend * visits / min(visits, 8)
		members[i] = central.MemberStats{
			Visits: visits, SpendFen: spend, LargestSaleFen: largest,
			LastPurchase:   clsAsOf.AddDate(0, 0, -rng.IntN(365)),
			IncomeBracket:  central.IncomeBracket(rng.IntN(5)),
			AnnualSpendFen: spend * (1 + rng.Int64N(3)),
			Staff:          rng.IntN(1000) == 0,
			Test:           rng.IntN(5000) == 0,
		}
	}
	return members
}

// BenchmarkClassify_1M is a full reclassification of a million members by
// all four classifiers (the goal: the whole run, database
// included, in 10 s). Run it with -bench Classify -benchtime=1x.
func BenchmarkClassify_1M(b *testing.B) {
	members := clsSynthetic(1_000_000, 1)
	o := central.DefaultClassifyOptions()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got, err := central.Classify(members, clsAsOf, o)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(members) {
			b.Fatalf("%d classifications for %d members", len(got), len(members))
		}
	}
}
