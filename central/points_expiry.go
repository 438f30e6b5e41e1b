package central

import (
	"cmp"
	"slices"
	"time"
)

// lot is points that can be spent or expire, in ExpireLots' replay.
type lot struct {
	e    PointsEntry
	left int64
	done bool // expired: nothing more to spend or expire
}

// ExpireLots returns the expired entries to post for one card as of now,
// given every entry of the card. It replays the card's entries in time
// order (At, then id): a credit first repays any debt, and the rest becomes
// a lot; a debit takes from the lots live at its time — a reversal from
// its sale's pending lots first — in FIFO order (earliest expiry first,
// never-expiring last, then oldest), like the agent's wallet; what no lot
// covers is debt. At each lot's expiry (before entries of the same instant,
// since a lot is dead from its ExpiresAt on) its remainder expires: the
// stored expired entry when there is one, else a new one if the expiry is
// not after now. So only the unspent remainder of a lot expires, and
// posting the result and calling again returns nothing.
//
// A debit that reaches central after its lot's expiry was posted finds
// the lot gone and becomes debt: the store spent points central already
// expired, and the member owes them.
func ExpireLots(entries []PointsEntry, now time.Time) []PointsEntry {
	es := slices.Clone(entries)
	slices.SortFunc(es, func(a, b PointsEntry) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	posted := map[string]int64{} // lot id → points its stored expired entry took
	for _, e := range es {
		if e.Kind == PointsExpired {
			posted[e.LotID] += -e.Points
		}
	}
	var lots []*lot
	var debt int64
	var out []PointsEntry
	// expire ends the lots whose expiry is at or before until: with the
	// stored expired entry when there is one, else with a new one when the
	// expiry is not after now (a lot expiring later stays live).
	expire := func(until time.Time) {
		for _, l := range lots {
			if l.done || l.e.ExpiresAt.IsZero() || l.e.ExpiresAt.After(until) {
				continue
			}
			if p, ok := posted[l.e.ID]; ok {
				debt += max(0, p-l.left)
			} else if l.e.ExpiresAt.After(now) {
				continue
			} else {
				// Posted even when nothing is left (0 points): it marks
				// the lot done, so later runs need not replay its card.
				out = append(out, expiredEntry(l.e, l.left))
			}
			l.left, l.done = 0, true
		}
	}
	for _, e := range es {
		// A lot is dead from its ExpiresAt on: expire what ends at or
		// before this entry's time first.
		expire(e.At)
		switch {
		case e.Kind == PointsExpired:
			// Taken into account at its lot's expiry.
		case e.Kind == PointsTransferOut:
			debt = transferOut(lots, debt, e)
		case e.credit():
			repaid := min(debt, e.Points)
			debt -= repaid
			lots = append(lots, &lot{e: e, left: e.Points - repaid})
		case e.Points < 0:
			debt += debit(lots, -e.Points, e)
		}
	}
	expire(now)
	return out
}

// debit takes n points from the live lots for debit entry d and returns
// what no lot covered.
func debit(lots []*lot, n int64, d PointsEntry) int64 {
	live := slices.DeleteFunc(slices.Clone(lots), func(l *lot) bool { return l.left <= 0 })
	slices.SortStableFunc(live, func(a, b *lot) int { return fifo(a.e, b.e) })
	if d.Kind == PointsReverseEarn {
		// The sale's pending lots go first (DESIGN §3: a return inside
		// the window cancels pending points first).
		slices.SortStableFunc(live, func(a, b *lot) int {
			return cmpBool(pendingOf(b.e, d), pendingOf(a.e, d))
		})
	} else {
		// Other debits spend available points only; pending lots are not
		// the member's to spend yet.
		live = slices.DeleteFunc(live, func(l *lot) bool { return l.e.AvailableAt.After(d.At) })
	}
	for _, l := range live {
		if n == 0 {
			break
		}
		if d.Kind == PointsReverseEarn && l.e.AvailableAt.After(d.At) && !pendingOf(l.e, d) {
			continue // another sale's pending points
		}
		t := min(n, l.left)
		l.left -= t
		n -= t
	}
	return n
}

// pendingOf reports whether lot entry l is pending at reversal d's time
// and earned by d's sale.
func pendingOf(l, d PointsEntry) bool {
	return l.Kind == PointsEarn && l.SaleID == d.SaleID && l.AvailableAt.After(d.At)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// fifo orders lots for spending as the agent's wallet does: the one
// expiring first goes first, never-expiring lots last, ties oldest first.
func fifo(a, b PointsEntry) int {
	az, bz := a.ExpiresAt.IsZero(), b.ExpiresAt.IsZero()
	switch {
	case az && !bz:
		return 1
	case !az && bz:
		return -1
	case !az && !bz:
		if c := a.ExpiresAt.Compare(b.ExpiresAt); c != 0 {
			return c
		}
	}
	return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
}

func expiredEntry(l PointsEntry, points int64) PointsEntry {
	return PointsEntry{ID: ExpiryID(l.ID), Kind: PointsExpired, Points: -points, Card: l.Card,
		MemberID: l.MemberID, SaleID: l.SaleID, At: l.ExpiresAt.UTC(), LotID: l.ID}
}

// transferOut applies a transfer_out entry of a lost card to its replay
// and returns the debt after it: a moved lot empties exactly that lot
// (pending or not; what the lot no longer holds becomes debt), moved debt
// is repaid.
func transferOut(lots []*lot, debt int64, e PointsEntry) int64 {
	if e.Points > 0 {
		return debt - min(debt, e.Points)
	}
	n := -e.Points
	for _, l := range lots {
		if l.e.ID == e.LotID && !l.done {
			t := min(n, l.left)
			l.left -= t
			n -= t
			break
		}
	}
	return debt + n
}
