package agent_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// TestPoints_Properties drives 200 random members through 50 operations
// each (sales earning points and paying with points, reward redemptions,
// partial and full returns, refunds, time passing across pending periods,
// expiry dates and day boundaries) at a store that cannot reach central,
// and checks after every step that:
//
//  1. the wallet's balance is the initial lots − debt + Σ applied entries
//     − points lost to expiry (nothing created, nothing clamped), and the
//     same entries replayed through Apply give the same wallet;
//  2. cumulative reversals never exceed what a sale earned, refunds never
//     exceed what it redeemed, and a full return nets both to exactly 0;
//  3. redemptions up to OfflineRedeemable never exceed the DESIGN §3 bound
//     min(last known balance − local pending redemptions, cap − redeemed
//     today), never overdraw the wallet, and each day's total stays ≤ cap.
//
// The seed is fixed so a failure names a sequence that reproduces.
func TestPoints_Properties(t *testing.T) {
	var st ptStats
	for seq := range 200 {
		s := newPtSim(t, rand.New(rand.NewPCG(20261124, uint64(seq))))
		s.seq, s.st = seq, &st
		for op := range 50 {
			desc := s.step()
			if err := s.check(); err != nil {
				t.Fatalf("sequence %d, op %d (%s): %v\npolicy %+v", seq, op, desc, err, s.p)
			}
		}
		st.expired += s.expired
	}
	// The counts show the random walk reaches the edges the properties
	// are about (they change only when the generator does).
	t.Logf("%+v", st)
	if st.fullReturns == 0 || st.debts == 0 || st.expired == 0 || st.capReached == 0 || st.pendingTaken == 0 {
		t.Errorf("the random walk missed an edge: %+v", st)
	}
}

// ptStats counts the edges the random walk reached.
type ptStats struct {
	sales, redemptions, returns, fullReturns int
	pendingTaken, debts, capReached          int
	expired                                  int64
}

// ptSim is one member's life at one offline store.
type ptSim struct {
	t      *testing.T
	rng    *rand.Rand
	p      *agent.Policy
	m      *agent.Member // central's last snapshot: the store is offline
	w      *agent.Wallet // the till's wallet, debited directly
	replay *agent.Wallet // the same entries replayed through Apply
	now    time.Time
	local  []agent.PointsEntry
	sales  []*ptSale
	n      int
	seq    int
	st     *ptStats

	base, entries, expired int64            // property 1
	today                  int64            // property 3: redeemed today
	perDay                 map[string]int64 // property 3: redeemed per day
}

// ptSale is a sale and what its returns have done so far.
type ptSale struct {
	id                 string
	at                 time.Time
	lines              []agent.EarnLine
	returned           []bool
	earned, redeemed   int64
	eligFen, totalFen  int64
	retElig, retFen    int64
	reversed, refunded int64
}

func newPtSim(t *testing.T, rng *rand.Rand) *ptSim {
	pending := []int{0, 3, 7}[rng.IntN(3)]
	p := &agent.Policy{Location: "Asia/Shanghai", EarnPoints: 1, EarnPerFen: 100,
		PendingDays: pending, ReturnWindowDays: max(pending+7*rng.IntN(2), 7),
		Expiry: []agent.ExpiryRule{{Kind: agent.ExpiryNever}, {Kind: agent.ExpiryAfterDays, Days: 10},
			{Kind: agent.ExpiryEndOfMonth}, {Kind: agent.ExpiryEndOfYear}}[rng.IntN(4)],
		OfflineDailyCap:    []int64{300, 2_000, 1_000_000}[rng.IntN(3)],
		PointsTenderPoints: 10, PointsTenderFen: 5,
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 20, 8, 0, 0, 0, ptShanghai(t)).Add(time.Duration(rng.IntN(24*14)) * time.Hour)
	m := &agent.Member{Card: "8800000000001"}
	for i := range rng.IntN(5) {
		l := agent.Lot{ID: fmt.Sprintf("c%d", i), Points: 1 + rng.Int64N(3_000), AvailableAt: now.AddDate(0, 0, -30)}
		if rng.IntN(2) == 0 {
			l.ExpiresAt = now.AddDate(0, 0, 1+rng.IntN(60))
		}
		m.Lots = append(m.Lots, l)
		m.Balance += l.Points
	}
	if rng.IntN(5) == 0 {
		m.Debt = 1 + rng.Int64N(500)
	}
	return &ptSim{t: t, rng: rng, p: p, m: m, w: agent.NewWallet(m), replay: agent.NewWallet(m), now: now,
		base: m.Balance - m.Debt, perDay: map[string]int64{}}
}

func (s *ptSim) step() string {
	switch r := s.rng.IntN(100); {
	case r < 30:
		return s.advance()
	case r < 65:
		return s.sale()
	case r < 80:
		return s.reward()
	default:
		return s.ret()
	}
}

// advance moves the clock 0–3 days, booking the points of lots that
// expire on the way (property 1) and resetting the day's redemptions.
func (s *ptSim) advance() string {
	next := s.now.Add(time.Duration(s.rng.IntN(3*24*60)) * time.Minute)
	for _, l := range s.w.Lots {
		if ptLive(l, s.now) && !ptLive(l, next) {
			s.expired += l.Points
		}
	}
	if s.dayKey(next) != s.dayKey(s.now) {
		s.today = 0
	}
	s.now = next
	return "advance to " + next.Format(time.RFC3339)
}

func ptLive(l agent.Lot, now time.Time) bool { return l.ExpiresAt.IsZero() || now.Before(l.ExpiresAt) }

func (s *ptSim) dayKey(t time.Time) string { return t.In(s.p.Loc()).Format(time.DateOnly) }

// apply records e locally, in both wallets and in the property-1 sum.
func (s *ptSim) apply(e agent.PointsEntry, viaDebit bool) {
	s.t.Helper()
	s.n++
	e.ID, e.Card, e.At = fmt.Sprintf("e%d", s.n), s.m.Card, s.now
	if !viaDebit {
		if err := s.w.Apply(e); err != nil {
			s.fatalf("Apply(%+v): %v", e, err)
		}
	}
	if err := s.replay.Apply(e); err != nil {
		s.fatalf("replay Apply(%+v): %v", e, err)
	}
	s.local = append(s.local, e)
	s.entries += e.Points
}

// sale rings up 1–4 lines, pays part with points when the offline bound
// allows, and earns pending points on the rest.
func (s *ptSim) sale() string {
	sl := &ptSale{id: fmt.Sprintf("s%d", len(s.sales)), at: s.now}
	for range 1 + s.rng.IntN(4) {
		l := agent.EarnLine{SKU: "A", Category: "x", AmountFen: 1 + s.rng.Int64N(20_000),
			Eligible: s.rng.IntN(5) != 0, Multiplier: []int64{0, 100, 200}[s.rng.IntN(3)]}
		sl.lines = append(sl.lines, l)
		sl.totalFen += l.AmountFen
		if l.Eligible {
			sl.eligFen += l.AmountFen
		}
	}
	sl.returned = make([]bool, len(sl.lines))
	var paidFen int64
	if s.rng.IntN(2) == 0 {
		units := min(s.bound()/s.p.PointsTenderPoints, sl.totalFen/s.p.PointsTenderFen)
		pts := s.rng.Int64N(units+1) * s.p.PointsTenderPoints
		fen, err := s.p.PointsToFen(pts)
		if err != nil {
			s.fatalf("PointsToFen(%d): %v", pts, err)
		}
		if pts > 0 {
			s.redeem(pts, sl.id)
		}
		sl.redeemed, paidFen = pts, fen
	}
	res := s.p.Earn(agent.EarnInput{Lines: sl.lines, PointsTenderFen: paidFen, At: s.now})
	sl.earned = res.Points
	if res.Points > 0 {
		s.apply(agent.PointsEntry{Kind: agent.PointsEarn, Points: res.Points, SaleID: sl.id,
			AvailableAt: s.p.PendingUntil(s.now), ExpiresAt: s.p.ExpiresAt(s.now)}, false)
	}
	s.sales = append(s.sales, sl)
	s.st.sales++
	return fmt.Sprintf("sale %s: %d fen, %d points paid %d fen, earned %d", sl.id, sl.totalFen, sl.redeemed, paidFen, sl.earned)
}

// reward takes a gift for up to the offline bound.
func (s *ptSim) reward() string {
	pts := s.rng.Int64N(s.bound() + 1)
	if pts > 0 {
		s.redeem(pts, "")
	}
	return fmt.Sprintf("reward for %d points", pts)
}

// redeem spends pts (already within the bound) and checks property 3.
func (s *ptSim) redeem(pts int64, saleID string) {
	s.t.Helper()
	if b := s.bound(); pts > b {
		s.fatalf("redeeming %d over the bound %d", pts, b)
	}
	pending, debt := s.w.Debit(pts, saleID, false, s.now)
	if pending != 0 || debt != 0 {
		s.fatalf("redemption of %d within the offline bound took %d pending and overdrew %d", pts, pending, debt)
	}
	s.apply(agent.PointsEntry{Kind: agent.PointsRedeem, Points: -pts, SaleID: saleID}, true)
	s.today += pts
	s.perDay[s.dayKey(s.now)] += pts
	s.st.redemptions++
	if s.today == s.p.OfflineDailyCap {
		s.st.capReached++
	}
}

// bound returns OfflineRedeemable after checking it against the DESIGN §3
// formula computed here from the snapshot and the local entries.
func (s *ptSim) bound() int64 {
	s.t.Helper()
	known := s.m.Balance - s.m.Debt
	for _, l := range s.m.Lots {
		if !ptLive(l, s.now) {
			known -= l.Points
		}
	}
	for _, e := range s.local {
		switch e.Kind {
		case agent.PointsRedeem:
			known += e.Points
		case agent.PointsReverseEarn:
			known += e.Points + e.PendingPoints
		case agent.PointsRefundRedeem:
			if e.ExpiresAt.IsZero() || s.now.Before(e.ExpiresAt) {
				known += e.Points
			}
		}
	}
	want := max(0, min(known, s.p.OfflineDailyCap-s.today))
	got := agent.OfflineRedeemable(s.p, s.m, s.local, s.today, s.now)
	if got != want {
		s.fatalf("OfflineRedeemable = %d, the DESIGN bound is %d", got, want)
	}
	return got
}

// ret brings back some (or all the rest) of a sale still inside its
// return window: its earned points are reversed pending-first and the
// points that paid for it are refunded, both pro rata.
func (s *ptSim) ret() string {
	var open []*ptSale
	for _, sl := range s.sales {
		if slices.Contains(sl.returned, false) && s.p.InReturnWindow(sl.at, s.now) {
			open = append(open, sl)
		}
	}
	if len(open) == 0 {
		return "no return possible"
	}
	sl := open[s.rng.IntN(len(open))]
	all, took := s.rng.IntN(3) == 0, false
	for i, l := range sl.lines {
		if sl.returned[i] || !(all || s.rng.IntN(2) == 0 || (!took && i == len(sl.lines)-1)) {
			continue
		}
		sl.returned[i], took = true, true
		sl.retFen += l.AmountFen
		if l.Eligible {
			sl.retElig += l.AmountFen
		}
	}
	if !took { // the last line was already back: take the first still out
		i := slices.Index(sl.returned, false)
		sl.returned[i] = true
		sl.retFen += sl.lines[i].AmountFen
		if sl.lines[i].Eligible {
			sl.retElig += sl.lines[i].AmountFen
		}
	}
	rev := agent.ReversePoints(sl.earned, sl.eligFen, sl.retElig, sl.reversed)
	if rev > 0 {
		pending, debt := s.w.Debit(rev, sl.id, true, s.now)
		if pending > 0 {
			s.st.pendingTaken++
		}
		if debt > 0 {
			s.st.debts++
		}
		s.apply(agent.PointsEntry{Kind: agent.PointsReverseEarn, Points: -rev, SaleID: sl.id, PendingPoints: pending, DebtPoints: debt}, true)
		sl.reversed += rev
	}
	ref := agent.RefundRedeemedPoints(sl.redeemed, sl.totalFen, sl.retFen, sl.refunded)
	if ref > 0 {
		s.apply(agent.PointsEntry{Kind: agent.PointsRefundRedeem, Points: ref, SaleID: sl.id, ExpiresAt: s.p.ExpiresAt(s.now)}, false)
		sl.refunded += ref
	}
	s.st.returns++
	if !slices.Contains(sl.returned, false) {
		s.st.fullReturns++
	}
	return fmt.Sprintf("return on %s: reversed %d of %d, refunded %d of %d", sl.id, sl.reversed, sl.earned, sl.refunded, sl.redeemed)
}

// check verifies the three properties after a step.
func (s *ptSim) check() error {
	want := s.base + s.entries - s.expired
	if got := s.w.Balance(s.now); got != want {
		return fmt.Errorf("property 1: Balance = %d, want initial %d + entries %d - expired %d = %d", got, s.base, s.entries, s.expired, want)
	}
	w, r := s.w, s.replay
	if w.Balance(s.now) != r.Balance(s.now) || w.Available(s.now) != r.Available(s.now) || w.Pending(s.now) != r.Pending(s.now) || w.Debt != r.Debt {
		return fmt.Errorf("property 1: replayed wallet %+v differs from %+v", r, w)
	}
	if w.Debt < 0 || w.Pending(s.now) < 0 || w.Available(s.now) > w.Balance(s.now) {
		return fmt.Errorf("wallet out of shape at %s: %+v", s.now, w)
	}
	for _, sl := range s.sales {
		if sl.reversed > sl.earned || sl.refunded > sl.redeemed {
			return fmt.Errorf("property 2: sale %s reversed %d of %d, refunded %d of %d", sl.id, sl.reversed, sl.earned, sl.refunded, sl.redeemed)
		}
		if !slices.Contains(sl.returned, false) && (sl.earned-sl.reversed != 0 || sl.redeemed-sl.refunded != 0) {
			return fmt.Errorf("property 2: fully returned sale %s nets %d earned, %d redeemed", sl.id, sl.earned-sl.reversed, sl.refunded-sl.redeemed)
		}
	}
	for d, n := range s.perDay {
		if n > s.p.OfflineDailyCap {
			return fmt.Errorf("property 3: %d points redeemed on %s, cap %d", n, d, s.p.OfflineDailyCap)
		}
	}
	return nil
}

func (s *ptSim) fatalf(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("sequence %d: "+format, append([]any{s.seq}, args...)...)
}
