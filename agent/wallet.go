package agent

import (
	"slices"
	"time"
)

// Wallet is a member's points as the store sees them: central's last
// snapshot (lots and debt) with the store's local entries replayed on
// top. It is a projection of the ledger (DESIGN §3: a balance is the sum
// of the entries), not a record of its own. Not safe for concurrent use.
type Wallet struct {
	// Lots hold points with their own availability and expiry; spent in
	// FIFO order of expiry (DESIGN §3, expiry in lots).
	Lots []Lot
	// Debt is what debits took beyond every lot: the balance is that far
	// below zero. It is never clamped away (DESIGN §3, returns).
	Debt int64
}

// NewWallet returns the wallet of central's snapshot in m: a copy of its
// lots and debt, so replaying entries never changes the cached member. A
// nil m (a card the store does not know) gives an empty wallet.
func NewWallet(m *Member) *Wallet {
	if m == nil {
		return &Wallet{}
	}
	return &Wallet{Lots: slices.Clone(m.Lots), Debt: m.Debt}
}

// Apply replays one points entry: an Earn adds a lot (pending until
// AvailableAt, expiring at ExpiresAt); a RefundRedeem gives redeemed
// points back as a lot available at once (e.At) with e.ExpiresAt; a Redeem
// debits available points and a ReverseEarn debits the sale's pending
// points first (see Debit), both as of e.At. It returns an EINVALID error,
// changing nothing, for an unknown kind or a credit/debit with the wrong
// sign. A zero-point entry changes nothing.
func (w *Wallet) Apply(e PointsEntry) error {
	switch e.Kind {
	case PointsEarn, PointsRefundRedeem:
		if e.Points < 0 {
			return Errorf(EINVALID, "points entry %s: kind %d is a credit but has %d points", e.ID, e.Kind, e.Points)
		}
		if e.Points == 0 {
			return nil
		}
		l := Lot{ID: e.ID, Points: e.Points, EarnedAt: e.At, AvailableAt: e.AvailableAt, ExpiresAt: e.ExpiresAt, SaleID: e.SaleID}
		if e.Kind == PointsRefundRedeem {
			l.AvailableAt = e.At // points given back were already available
		}
		w.Lots = append(w.Lots, l)
	case PointsRedeem, PointsReverseEarn:
		if e.Points > 0 {
			return Errorf(EINVALID, "points entry %s: kind %d is a debit but has %d points", e.ID, e.Kind, e.Points)
		}
		w.Debit(-e.Points, e.SaleID, e.Kind == PointsReverseEarn, e.At)
	default:
		return Errorf(EINVALID, "points entry %s: unknown kind %d", e.ID, e.Kind)
	}
	return nil
}

// Balance returns every unexpired point, pending or available, minus the
// debt. It may be negative.
func (w *Wallet) Balance(now time.Time) int64 {
	var sum int64
	for _, l := range w.Lots {
		if lotLive(l, now) {
			sum += l.Points
		}
	}
	return sum - w.Debt
}

// Available returns the points the member can spend at now: lots with
// AvailableAt ≤ now that have not expired, minus the debt. Debt is repaid
// by later earnings because it is netted against them here: a member who
// owes 50 and earns 80 can spend 30. It may be negative.
func (w *Wallet) Available(now time.Time) int64 {
	var sum int64
	for _, l := range w.Lots {
		if !now.Before(l.AvailableAt) && lotLive(l, now) {
			sum += l.Points
		}
	}
	return sum - w.Debt
}

// Pending returns the unexpired points not yet available at now (still
// inside the return window).
func (w *Wallet) Pending(now time.Time) int64 {
	var sum int64
	for _, l := range w.Lots {
		if now.Before(l.AvailableAt) && lotLive(l, now) {
			sum += l.Points
		}
	}
	return sum
}

// Debit takes points (> 0; anything else takes nothing) from the wallet as
// of now. With pendingFirst (a return reversing what saleID earned,
// DESIGN §3: a return inside the window cancels pending points first) it
// first takes from saleID's pending lots, then, like a redemption, from
// available lots in FIFO order: earliest ExpiresAt first, never-expiring
// lots last, ties by EarnedAt. Other sales' pending points are never
// touched: they are not the member's to spend yet. Whatever no lot covers
// becomes Debt and is returned as debt (the balance goes negative, never
// clamped); a redemption checked against Available leaves no debt.
func (w *Wallet) Debit(points int64, saleID string, pendingFirst bool, now time.Time) (pendingTaken, debt int64) {
	if points <= 0 {
		return 0, 0
	}
	left := points
	if pendingFirst {
		left = w.take(left, func(l Lot) bool {
			return l.SaleID == saleID && now.Before(l.AvailableAt) && lotLive(l, now)
		})
		pendingTaken = points - left
	}
	left = w.take(left, func(l Lot) bool { return !now.Before(l.AvailableAt) && lotLive(l, now) })
	w.Debt += left
	w.Lots = slices.DeleteFunc(w.Lots, func(l Lot) bool { return l.Points == 0 })
	return pendingTaken, left
}

// take debits up to n points from the lots that ok accepts, in FIFO order,
// and returns what is left to take.
func (w *Wallet) take(n int64, ok func(Lot) bool) int64 {
	var idx []int
	for i, l := range w.Lots {
		if l.Points > 0 && ok(l) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return fifo(w.Lots[a], w.Lots[b]) })
	for _, i := range idx {
		if n == 0 {
			break
		}
		t := min(n, w.Lots[i].Points)
		w.Lots[i].Points -= t
		n -= t
	}
	return n
}

// fifo orders lots for spending: the one expiring first goes first so
// points are lost to expiry as late as possible; lots that never expire
// go last; ties by EarnedAt, then the order held (stable sort).
func fifo(a, b Lot) int {
	switch az, bz := a.ExpiresAt.IsZero(), b.ExpiresAt.IsZero(); {
	case az && !bz:
		return 1
	case !az && bz:
		return -1
	case !az && !bz:
		if c := a.ExpiresAt.Compare(b.ExpiresAt); c != 0 {
			return c
		}
	}
	return a.EarnedAt.Compare(b.EarnedAt)
}
