package agent_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
)

// The till is tested over the real bbolt ledger in a temp dir.

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// testClock is a settable clock for the till and ledger.
type testClock struct{ now atomic.Int64 }

func (c *testClock) Now() time.Time      { return time.Unix(0, c.now.Load()).In(shanghai) }
func (c *testClock) Set(t time.Time)     { c.now.Store(t.UnixNano()) }
func (c *testClock) Add(d time.Duration) { c.now.Add(int64(d)) }

type tillFixture struct {
	till   *agent.Till
	ledger *bolt.Ledger
	clock  *testClock
	path   string
}

const (
	skuMilk   = "MILK-1L"  // 599, member 499, barcode 5901234123457
	skuBeer   = "BEER-6"   // 3000, category beverage, ×2 SKU multiplier, barcode 4006381333931
	skuSmokes = "TOBACCO"  // 2500, not points-eligible, barcode 036000291452
	skuApples = "APPLES"   // 1099 per kg, weighed, item code 12345
	skuGift   = "GIFT-MUG" // reward gift, barcode 96385074
	cardGold  = "8800000000017"
	cardLost  = "8800000000024"
	cardNew   = "8800000000999" // matches the pattern, not in the cache
	cardPlain = "8800000000031" // regular tier, no points yet
)

func testPolicy() *agent.Policy {
	return &agent.Policy{
		Version: 1, Location: "Asia/Shanghai",
		EarnPoints: 1, EarnPerFen: 100, Rounding: agent.RoundFloor,
		TierMultipliers:    map[string]int64{"gold": 150},
		ExcludedCategories: []string{"tobacco"},
		ReturnWindowDays:   7, PendingDays: 7,
		Expiry:             agent.ExpiryRule{Kind: agent.ExpiryEndOfNextYear},
		OfflineDailyCap:    500,
		PointsTenderPoints: 100, PointsTenderFen: 100,
		Rewards:        []agent.Reward{{ID: "mug", GiftSKU: skuGift, Name: "Mug", Points: 300}},
		CardPatterns:   []agent.CardPattern{{Name: "club", Prefix: "8800", Length: 13}},
		WeighedLayouts: []agent.WeighedLayout{{Prefix: "21", ItemDigits: 5, ValueDigits: 5, Value: agent.WeighedWeight}},
	}
}

func newTill(t *testing.T) *tillFixture {
	t.Helper()
	ctx := context.Background()
	f := &tillFixture{clock: &testClock{}, path: filepath.Join(t.TempDir(), "ledger.db")}
	f.clock.Set(time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai))
	f.open(t)
	if err := f.ledger.SetPolicy(ctx, testPolicy()); err != nil {
		t.Fatal(err)
	}
	products := []agent.Product{
		{SKU: skuMilk, Barcodes: []string{"05901234123457"}, Name: "Milk", Category: "dairy", PriceFen: 599, MemberPriceFen: 499, PointsEligible: true},
		{SKU: skuBeer, Barcodes: []string{"04006381333931"}, Name: "Beer", Category: "beverage", PriceFen: 3000, PointsEligible: true, PointsMultiplier: 200},
		{SKU: skuSmokes, Barcodes: []string{"00036000291452"}, Name: "Cigarettes", Category: "tobacco", PriceFen: 2500, PointsEligible: true},
		{SKU: skuApples, Name: "Apples", Category: "fruit", PriceFen: 1099, Weighed: true, PointsEligible: true, ItemCode: 12345},
		{SKU: skuGift, Barcodes: []string{"00000096385074"}, Name: "Mug", Category: "gifts", PriceFen: 1500},
	}
	if err := f.ledger.ReplaceCatalog(ctx, 1, products); err != nil {
		t.Fatal(err)
	}
	members := []agent.Member{
		{Card: cardGold, MemberID: "m-1", MaskedName: "张*", Tier: "gold", Balance: 1000,
			Lots: []agent.Lot{{ID: "hq-1", Points: 1000, ExpiresAt: time.Date(2027, 12, 31, 23, 59, 59, 0, shanghai)}}},
		{Card: cardPlain, MemberID: "m-3", MaskedName: "王*", Tier: "regular"},
		{Card: cardLost, MemberID: "m-2", MaskedName: "李*", Tier: "regular", Blocked: true, BlockReason: "reported lost"},
	}
	if err := f.ledger.ReplaceMembers(ctx, 1, members); err != nil {
		t.Fatal(err)
	}
	return f
}

// open (re)opens the ledger and a till over it, closing them at cleanup.
func (f *tillFixture) open(t *testing.T) {
	t.Helper()
	l, err := bolt.Open(f.path, bolt.Options{StoreID: "store-1", AgentID: "agent-1", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	var n atomic.Int64
	f.ledger = l
	f.till = &agent.Till{StoreID: "store-1", Store: l, Now: f.clock.Now, NewID: func() (string, error) {
		return fmt.Sprintf("0193a8f0-0000-7000-8000-%012d", n.Add(1)), nil
	}}
}

func (f *tillFixture) reopen(t *testing.T) {
	t.Helper()
	if err := f.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	f.open(t)
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if agent.ErrorCode(err) != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
}

func (f *tillFixture) scan(t *testing.T, lane string, data ...string) *agent.Basket {
	t.Helper()
	var b *agent.Basket
	for _, d := range data {
		var err error
		if b, _, err = f.till.Scan(context.Background(), lane, d); err != nil {
			t.Fatalf("scan %q: %v", d, err)
		}
	}
	return b
}

func TestTill_MemberSale(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	// Two milks, six beers... scanned as the cashier would, the card from
	// the scanner, apples weighed at 1.250 kg by the scale label.
	b := f.scan(t, "lane-1", "5901234123457", "5901234123457", "]E04006381333931", "2112345012506", cardGold)
	if b.Member == nil || b.Member.Tier != "gold" {
		t.Fatalf("member not attached: %+v", b.Member)
	}
	pb := agent.PriceBasket(b)
	// milk 2 × 499 = 998 (saving 200), beer 3000, apples 1.25 kg × 1099 = 1373.75 → 1374
	if pb.TotalFen != 998+3000+1374 || pb.SavingFen != 200 || len(pb.Lines) != 3 {
		t.Fatalf("priced %+v", pb)
	}
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 10000}))
	r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
	if r.Sale.ChangeFen != 10000-5372 {
		t.Errorf("change %d", r.Sale.ChangeFen)
	}
	// Earn: (998 + 3000×2 + 1374) fen = 8372 → 83.72 yuan × gold 1.5 = 125.58 → 125 (floor).
	if r.PointsEarned != 125 {
		t.Errorf("points earned %d, want 125", r.PointsEarned)
	}
	if r.Pending != 125 || r.Available != 1000 || r.Balance != 1125 || r.MaskedName != "张*" {
		t.Errorf("receipt points: balance %d available %d pending %d name %q", r.Balance, r.Available, r.Pending, r.MaskedName)
	}
	if _, err := f.ledger.Basket(ctx, "lane-1"); agent.ErrorCode(err) != agent.ENOTFOUND {
		t.Errorf("basket still open after commit: %v", err)
	}
	got := must[*agent.Sale](t)(f.ledger.Sale(ctx, r.Sale.ID))
	if len(got.Points) != 1 || got.Points[0].Points != 125 || got.Points[0].Kind != agent.PointsEarn {
		t.Errorf("committed points %+v", got.Points)
	}
}

func TestTill_Scan_Err(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	before := f.scan(t, "lane-1", "5901234123457")
	for _, tt := range []struct{ data, code string }{
		{"5901234123458", agent.EINVALID},  // check digit
		{"4006381333948", agent.ENOTFOUND}, // valid EAN-13 not in the catalog
		{"", agent.EINVALID},
		{"59012\x0034123457", agent.EINVALID},
	} {
		_, _, err := f.till.Scan(ctx, "lane-1", tt.data)
		wantCode(t, err, tt.code)
	}
	after := must[*agent.Basket](t)(f.till.Basket(ctx, "lane-1"))
	if after.Rev != before.Rev || len(after.Lines) != 1 {
		t.Errorf("a failed scan changed the basket: rev %d → %d", before.Rev, after.Rev)
	}
}

func TestTill_Cards(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	f.scan(t, "lane-1", "5901234123457")
	_, err := f.till.AttachCard(ctx, "lane-1", cardLost)
	wantCode(t, err, agent.ECONFLICT)
	b := must[*agent.Basket](t)(f.till.AttachCard(ctx, "lane-1", cardNew))
	if b.Card != cardNew || b.Member != nil {
		t.Fatalf("unknown card: %+v", b)
	}
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 499}))
	r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
	if !r.UnknownCard || r.PointsEarned != 4 || r.Sale.MemberCard != cardNew {
		t.Errorf("unknown-card sale: %+v earned %d", r.Sale, r.PointsEarned)
	}
}

func TestTill_OfflineRedemptionCap(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	f.scan(t, "lane-1", cardGold, "4006381333931", "4006381333931") // 6000 fen
	// The cap is 500 points a day: 600 is refused, 500 is taken exactly.
	_, err := f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderPoints, Points: 600})
	wantCode(t, err, agent.ECONFLICT)
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderPoints, Points: 500}))
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderBankCard, AmountFen: 5500, Reference: "T-1"}))
	r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
	if r.PointsRedeemed != 500 || r.Available != 500 {
		t.Errorf("redeemed %d, available %d", r.PointsRedeemed, r.Available)
	}
	// Same day, another lane: the cap is used up.
	f.scan(t, "lane-2", cardGold, "4006381333931")
	_, err = f.till.AddTender(ctx, "lane-2", agent.Tender{Kind: agent.TenderPoints, Points: 100})
	wantCode(t, err, agent.ECONFLICT)
	// Next day the cap is back, bounded by the balance left (500).
	f.clock.Add(24 * time.Hour)
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-2", agent.Tender{Kind: agent.TenderPoints, Points: 500}))
}

func TestTill_ReturnAfterRedemption(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	f.scan(t, "lane-1", cardGold, "4006381333931", "4006381333931", "5901234123457") // 6000 + 499
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderPoints, Points: 500}))
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 6000}))
	r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
	earned := r.PointsEarned
	if earned <= 0 {
		t.Fatalf("earned %d", earned)
	}
	beerLine := r.Sale.Lines[0]
	// Return one of the two beers inside the window.
	rr := must[*agent.ReturnReceipt](t)(f.till.Return(ctx, agent.ReturnInput{LaneID: "lane-1", SaleID: r.Sale.ID, Refund: agent.TenderCash,
		Lines: []agent.ReturnLineInput{{LineNo: beerLine.No, QuantityMilli: 1000}}}))
	if rr.Return.RefundFen != 3000 || rr.PointsReversed <= 0 || rr.PointsRefunded <= 0 || rr.MoneyFen >= 3000 {
		t.Errorf("partial return: %+v", rr)
	}
	// The rest of the beer line, then the milk: everything is back.
	rr2 := must[*agent.ReturnReceipt](t)(f.till.Return(ctx, agent.ReturnInput{LaneID: "lane-1", SaleID: r.Sale.ID, Refund: agent.TenderCash,
		Lines: []agent.ReturnLineInput{{LineNo: beerLine.No}, {LineNo: r.Sale.Lines[1].No}}}))
	if got := rr.PointsReversed + rr2.PointsReversed; got != earned {
		t.Errorf("reversed %d in all, earned %d: returns must net the sale's points to zero", got, earned)
	}
	if got := rr.PointsRefunded + rr2.PointsRefunded; got != 500 {
		t.Errorf("points refunded %d in all, 500 paid", got)
	}
	if got := rr.Return.RefundFen + rr2.Return.RefundFen; got != r.Sale.TotalFen {
		t.Errorf("refunded %d fen in all, sale was %d", got, r.Sale.TotalFen)
	}
	if rr2.Balance != 1000 {
		t.Errorf("balance after a full return %d, want the 1000 before the sale", rr2.Balance)
	}
	// Nothing is left to return.
	_, err := f.till.Return(ctx, agent.ReturnInput{LaneID: "lane-1", SaleID: r.Sale.ID, Refund: agent.TenderCash,
		Lines: []agent.ReturnLineInput{{LineNo: beerLine.No, QuantityMilli: 1}}})
	wantCode(t, err, agent.ECONFLICT)
}

func TestTill_ReturnAfterWindowMakesDebt(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	// Four beers: 12000 fen × SKU ×2 = 240 points, pending for 7 days.
	f.scan(t, "lane-1", cardPlain, "4006381333931", "4006381333931", "4006381333931", "4006381333931")
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 12000}))
	r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
	if r.PointsEarned != 240 || r.Available != 0 || r.Pending != 240 {
		t.Fatalf("earned %d available %d pending %d", r.PointsEarned, r.Available, r.Pending)
	}
	// Inside the window the points cannot be spent.
	f.scan(t, "lane-2", cardPlain, "5901234123457")
	_, err := f.till.AddTender(ctx, "lane-2", agent.Tender{Kind: agent.TenderPoints, Points: 100})
	wantCode(t, err, agent.ECONFLICT)
	if err := f.till.Cancel(ctx, "lane-2"); err != nil {
		t.Fatal(err)
	}
	// Past the window they are available (but unknown to central, so the
	// offline bound still refuses them) and the return reverses them from
	// available points; nothing is pending any more.
	f.clock.Add(8 * 24 * time.Hour)
	rr := must[*agent.ReturnReceipt](t)(f.till.Return(ctx, agent.ReturnInput{LaneID: "lane-1", SaleID: r.Sale.ID, Refund: agent.TenderCash,
		Lines: []agent.ReturnLineInput{{LineNo: 1, QuantityMilli: 2000}}}))
	if rr.PointsReversed != 120 || rr.Balance != 120 || rr.Available != 120 || rr.Pending != 0 {
		t.Errorf("after return: reversed %d balance %d available %d pending %d", rr.PointsReversed, rr.Balance, rr.Available, rr.Pending)
	}
	entries := must[[]agent.PointsEntry](t)(f.ledger.LocalEntries(ctx, cardPlain))
	last := entries[len(entries)-1]
	if last.Kind != agent.PointsReverseEarn || last.PendingPoints != 0 || last.DebtPoints != 0 {
		t.Errorf("reversal entry %+v", last)
	}
}

func TestTill_ReturnReversesPendingFirst(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	f.scan(t, "lane-1", cardPlain, "4006381333931", "4006381333931")
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 6000}))
	r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
	rr := must[*agent.ReturnReceipt](t)(f.till.Return(ctx, agent.ReturnInput{LaneID: "lane-1", SaleID: r.Sale.ID, Refund: agent.TenderCash,
		Lines: []agent.ReturnLineInput{{LineNo: 1, QuantityMilli: 1000}}}))
	entries := must[[]agent.PointsEntry](t)(f.ledger.LocalEntries(ctx, cardPlain))
	last := entries[len(entries)-1]
	if rr.PointsReversed != 60 || last.PendingPoints != 60 || rr.Pending != 60 || rr.Balance != 60 {
		t.Errorf("reversed %d (pending %d) → balance %d pending %d", rr.PointsReversed, last.PendingPoints, rr.Balance, rr.Pending)
	}
}

func TestTill_BasketSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	f.scan(t, "lane-1", cardGold, "5901234123457", "2112345012506")
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 500}))
	before := must[*agent.Basket](t)(f.till.Basket(ctx, "lane-1"))
	f.reopen(t)
	after := must[*agent.Basket](t)(f.till.Basket(ctx, "lane-1"))
	if after.ID != before.ID || after.Rev != before.Rev || len(after.Lines) != 2 || after.Card != cardGold || len(after.Tenders) != 1 {
		t.Errorf("basket after restart %+v, before %+v", after, before)
	}
}

func TestTill_BasketOps(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	f.scan(t, "lane-1", "5901234123457", "036000291452")
	b := must[*agent.Basket](t)(f.till.SetQuantity(ctx, "lane-1", 1, 3000))
	if b.Lines[0].QuantityMilli != 3000 {
		t.Errorf("quantity %d", b.Lines[0].QuantityMilli)
	}
	b = must[*agent.Basket](t)(f.till.VoidLine(ctx, "lane-1", 2))
	if pb := agent.PriceBasket(b); len(pb.Lines) != 1 || pb.TotalFen != 3*599 {
		t.Errorf("after void %+v", pb)
	}
	_, err := f.till.VoidLine(ctx, "lane-1", 2)
	wantCode(t, err, agent.ENOTFOUND)
	_, err = f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderBankCard, AmountFen: 99999, Reference: "T"})
	wantCode(t, err, agent.EINVALID)
	_, err = f.till.Commit(ctx, "lane-1")
	wantCode(t, err, agent.EINVALID) // nothing tendered
	_, err = f.till.RedeemReward(ctx, "lane-1", "mug")
	wantCode(t, err, agent.EINVALID) // no card
	if err := f.till.Cancel(ctx, "lane-1"); err != nil {
		t.Fatal(err)
	}
	b = must[*agent.Basket](t)(f.till.Basket(ctx, "lane-1"))
	if len(b.Lines) != 0 {
		t.Errorf("basket after cancel %+v", b)
	}
}

func TestTill_RedeemReward(t *testing.T) {
	ctx := context.Background()
	f := newTill(t)
	f.scan(t, "lane-1", cardGold, "5901234123457")
	b := must[*agent.Basket](t)(f.till.RedeemReward(ctx, "lane-1", "mug"))
	if pb := agent.PriceBasket(b); pb.RewardPoints != 300 || pb.TotalFen != 499 {
		t.Errorf("reward basket %+v", pb)
	}
	_, err := f.till.RedeemReward(ctx, "lane-1", "mug") // 600 > cap 500
	wantCode(t, err, agent.ECONFLICT)
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 499}))
	r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
	if r.PointsRedeemed != 300 || r.Available != 700 {
		t.Errorf("redeemed %d available %d", r.PointsRedeemed, r.Available)
	}
}
