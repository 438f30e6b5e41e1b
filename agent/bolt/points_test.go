package bolt

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

const testCard = "6225880112345678"

// memberSale builds newSale's sale for card with two points entries (an
// earn and a redemption of redeem points) and two tenders (points, cash).
func memberSale(tb testing.TB, id, lane, card string, n, i int, redeem int64) *agent.Sale {
	tb.Helper()
	s := newSale(tb, id, lane, n, i)
	s.MemberCard, s.MemberID, s.Tier = card, "M-"+card, "gold"
	s.Points = []agent.PointsEntry{
		{ID: id + "-earn", Kind: agent.PointsEarn, Points: s.TotalFen / 100, Card: card, MemberID: s.MemberID,
			SaleID: id, AvailableAt: s.WallTime.Add(7 * 24 * time.Hour)},
		{ID: id + "-redeem", Kind: agent.PointsRedeem, Points: -redeem, Card: card, MemberID: s.MemberID, SaleID: id},
	}
	s.Tenders = []agent.Tender{
		{Kind: agent.TenderPoints, AmountFen: redeem, Points: redeem},
		{Kind: agent.TenderCash, AmountFen: s.TotalFen - redeem + 50},
	}
	s.ChangeFen = 50
	return s
}

func mustLocalEntries(tb testing.TB, l *Ledger, card string) []agent.PointsEntry {
	tb.Helper()
	es, err := l.LocalEntries(context.Background(), card)
	if err != nil {
		tb.Fatalf("LocalEntries() = %v", err)
	}
	return es
}

func TestLedger_LocalEntries(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		var want []agent.PointsEntry
		for i, id := range []string{"sale-1", "sale-2", "sale-3"} {
			s := memberSale(t, id, "L1", testCard, 2, i+1, 100)
			if err := l.CommitSale(ctx, s); err != nil {
				t.Fatal(err)
			}
			want = append(want, s.Points...)
		}
		other := memberSale(t, "sale-4", "L2", "6225880100000001", 1, 4, 0)
		if err := l.CommitSale(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path, testOptions())
		got := mustLocalEntries(t, l, testCard)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("LocalEntries() =\n%+v\nwant\n%+v", got, want)
		}
		for _, e := range got {
			if e.At.IsZero() {
				t.Errorf("entry %s has no time; want the sale's", e.ID)
			}
		}
		// Central's balance as of sale 2 counts sales 1 and 2.
		m := testMember(testCard)
		m.BalanceAt = at(2)
		if err := l.PutMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		if got := mustLocalEntries(t, l, testCard); !reflect.DeepEqual(got, want[4:]) {
			t.Errorf("LocalEntries() after a balance at sale 2 = %+v, want sale 3's only", got)
		}
		if got := mustLocalEntries(t, l, "0000"); len(got) != 0 {
			t.Errorf("LocalEntries(unknown card) = %+v, want none", got)
		}
	})
}

// Day boundaries are the policy's time zone's: in Asia/Shanghai (UTC+8)
// the day of 14 March 2025 ends at 15:59:59.999 UTC.
func TestLedger_RedeemedOn(t *testing.T) {
	ctx := context.Background()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	l := mustOpen(t, tempPath(t), testOptions())
	endOf14 := time.Date(2025, 3, 14, 23, 59, 59, 999_000_000, sh)
	sales := []struct {
		id     string
		at     time.Time
		redeem int64
	}{
		{"early", time.Date(2025, 3, 14, 0, 0, 0, 0, sh), 100},
		{"late", endOf14, 200},
		{"next", endOf14.Add(time.Millisecond), 400},
		{"day-before", time.Date(2025, 3, 13, 23, 59, 0, 0, sh), 800},
	}
	for _, s := range sales {
		ms := memberSale(t, s.id, "L1", testCard, 1, 0, s.redeem)
		ms.WallTime = s.at
		if err := l.CommitSale(ctx, ms); err != nil {
			t.Fatal(err)
		}
	}
	// A return giving redeemed points back does not give the cap back.
	ret := testReturn("ret-1", "late", 1, "SKU000", 1)
	ret.Card = testCard
	ret.Points = []agent.PointsEntry{{ID: "ret-1-refund", Kind: agent.PointsRefundRedeem, Points: 200, Card: testCard}}
	ret.WallTime = endOf14.Add(-time.Hour)
	if err := l.CommitReturn(ctx, ret); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		t    time.Time
		card string
		want int64
	}{
		{"StartOfDay", time.Date(2025, 3, 14, 0, 0, 0, 0, sh), testCard, 300},
		{"UTCInstantSameDay", time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC), testCard, 300},
		{"NextDay", time.Date(2025, 3, 15, 8, 0, 0, 0, sh), testCard, 400},
		{"DayBefore", time.Date(2025, 3, 13, 8, 0, 0, 0, sh), testCard, 800},
		{"Quiet", time.Date(2025, 3, 16, 8, 0, 0, 0, sh), testCard, 0},
		{"OtherCard", endOf14, "6225880100000001", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.RedeemedOn(ctx, tt.card, tt.t, sh)
			if err != nil || got != tt.want {
				t.Errorf("RedeemedOn(%v) = %d, %v; want %d", tt.t, got, err, tt.want)
			}
		})
	}
	t.Run("ErrNoLocation", func(t *testing.T) {
		if _, err := l.RedeemedOn(ctx, testCard, endOf14, nil); agent.ErrorCode(err) != agent.EINVALID {
			t.Errorf("RedeemedOn(nil location) = %v, want EINVALID", err)
		}
	})
}
