package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// pointsModel is the simple in-memory ledger the property test compares
// against: the sum of every card's entries.
type pointsModel map[string]int64

// genAgent builds n random events of store/agent: member sales that earn
// and redeem, local returns with their reversal, enrollments, and — when
// other holds another agent's sales — foreign returns of those (at most one
// per sale). It adds every entry's points to m.
func genAgent(rng *rand.Rand, store, agent string, n int, other []*syncproto.SaleCommitted, m pointsModel) ([]*syncproto.Event, []*syncproto.SaleCommitted) {
	cards := []string{"P0", "P1", "P2", "P3"}
	var events []*syncproto.Event
	var sales []*syncproto.SaleCommitted
	for seq := uint64(1); seq <= uint64(n); seq++ {
		at := t0.Add(time.Duration(seq) * time.Hour)
		switch k := rng.IntN(10); {
		case k < 5 || len(sales) == 0:
			p := PointsSale{Store: store, Agent: agent, Seq: seq, Card: cards[rng.IntN(len(cards))], At: at,
				Earn: []int64{rng.Int64N(50), rng.Int64N(50)}, AvailableAt: at.Add(time.Duration(rng.IntN(10)) * day)}
			if rng.IntN(3) == 0 {
				p.Redeem = 1 + rng.Int64N(60)
			}
			ev := PointsSaleEvent(p)
			events = append(events, ev)
			sales = append(sales, ev.GetSaleCommitted())
			m[p.Card] += p.Earn[0] + p.Earn[1] - p.Redeem
		case k < 7:
			orig := sales[rng.IntN(len(sales))]
			rev := rng.Int64N(10)
			ev := ReturnEvent(store, agent, seq, fmt.Sprintf("ret-%s-%d", agent, seq), orig.GetSaleId(), store,
				orig.GetMemberCard(), at, map[uint32]int64{1: 1000},
				&syncproto.PointsEntry{EntryId: fmt.Sprintf("rev-%s-%d", agent, seq), Kind: syncproto.PointsEntry_KIND_REVERSE_EARN,
					Points: -rev, PendingPoints: rev})
			events = append(events, ev)
			m[orig.GetMemberCard()] -= rev
		case k < 8:
			events = append(events, EnrollEvent(agent, seq, store, cards[rng.IntN(len(cards))], fmt.Sprintf("M-%d", rng.IntN(3)), at))
		default:
			if len(other) == 0 {
				events = append(events, EnrollEvent(agent, seq, store, cards[0], "M-0", at))
				continue
			}
			i := rng.IntN(len(other))
			orig := other[i]
			other = slices.Delete(other, i, i+1)
			lines := map[uint32]int64{1: 1 + rng.Int64N(2000), 2: rng.Int64N(2000)}
			ev := ReturnEvent(store, agent, seq, fmt.Sprintf("fret-%s-%d", agent, seq), orig.GetSaleId(), "", "", at, lines)
			events = append(events, ev)
			// The expected points are the rule's own; what the test checks
			// is that any delivery order applies them exactly once.
			es, _ := central.ResolveReturn(central.ReturnResolution{ReturnID: ev.GetReturnCommitted().GetReturnId(), At: at,
				Lines: ev.GetReturnCommitted().GetLines(), Sale: orig})
			for _, e := range es {
				m[e.Card] += e.Points
			}
		}
	}
	return events, sales
}

// chop splits events into batches of 1 to 5 events.
func chop(rng *rand.Rand, store, agent string, events []*syncproto.Event) []*syncproto.Batch {
	var out []*syncproto.Batch
	for len(events) > 0 {
		n := min(len(events), 1+rng.IntN(5))
		out = append(out, Batch(store, agent, events[:n]...))
		events = events[n:]
	}
	return out
}

// testPointsProperty delivers random ledger events in order to one store
// and shuffled, partly twice, to another: both must hold the same entries,
// and every card's balance must be the model's sum of its entries.
func testPointsProperty(t *testing.T, open Opener) {
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 7))
		m := pointsModel{}
		ev1, sales1 := genAgent(rng, "s1", "a1", 40, nil, m)
		ev2, _ := genAgent(rng, "s2", "a2", 40, sales1, m)
		batches := append(chop(rng, "s1", "a1", ev1), chop(rng, "s2", "a2", ev2)...)
		inOrder, shuffled := open(t), open(t)
		for _, b := range batches {
			ingest(t, inOrder, b)
		}
		delivery := slices.Clone(batches)
		for _, b := range batches {
			if rng.IntN(3) == 0 {
				delivery = append(delivery, b)
			}
		}
		rng.Shuffle(len(delivery), func(i, j int) { delivery[i], delivery[j] = delivery[j], delivery[i] })
		for _, b := range delivery {
			ingest(t, shuffled, b)
		}
		for card, want := range m {
			for _, s := range []central.Store{inOrder, shuffled} {
				wantTotal(t, s, card, want, seed)
			}
			if a, b := entryKeys(entries(t, inOrder, card)), entryKeys(entries(t, shuffled, card)); !slices.Equal(a, b) {
				t.Fatalf("seed %d card %s: entries differ by delivery order:\n%v\n%v", seed, card, a, b)
			}
		}
		for _, s := range []central.Store{inOrder, shuffled} {
			wantDebtors(t, s, m, seed)
			if u := unresolved(t, s); len(u) != 0 {
				t.Fatalf("seed %d: unresolved = %+v, want none once every sale arrived", seed, u)
			}
		}
	}
}

func wantTotal(t *testing.T, s central.Store, card string, want int64, seed uint64) {
	t.Helper()
	b := balance(t, s, card, t0.Add(30*day))
	var sum int64
	for _, e := range entries(t, s, card) {
		sum += e.Points
	}
	if b.Total != want || sum != want || b.Available != want || b.Debt != max(0, -want) {
		t.Fatalf("seed %d card %s: balance %+v, entries sum %d; model %d", seed, card, b, sum, want)
	}
}

// wantDebtors checks the cached balances behind Debtors against the model.
func wantDebtors(t *testing.T, s central.Store, m pointsModel, seed uint64) {
	t.Helper()
	var want []central.Debtor
	for card, sum := range m {
		if sum < 0 {
			want = append(want, central.Debtor{Card: card, Balance: sum, Debt: -sum})
		}
	}
	got := debtors(t, s)
	for i := range got {
		got[i].MemberID = ""
	}
	slices.SortFunc(want, func(a, b central.Debtor) int {
		if a.Balance != b.Balance {
			return int(a.Balance - b.Balance)
		}
		if a.Card < b.Card {
			return -1
		}
		return 1
	})
	if !slices.Equal(got, want) {
		t.Fatalf("seed %d: debtors = %+v, want %+v", seed, got, want)
	}
}
