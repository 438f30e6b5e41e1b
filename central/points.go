package central

import (
	"strings"
	"time"
)

// Points entry kinds as central stores them. The first four are the
// agent's (syncproto.PointsEntry_Kind); the last two exist at central only.
const (
	// PointsEarn: points earned by a sale, pending until AvailableAt.
	PointsEarn = "earn"
	// PointsRedeem: points spent as tender or on a reward (negative).
	PointsRedeem = "redeem"
	// PointsReverseEarn: earned points taken back by a return (negative).
	PointsReverseEarn = "reverse_earn"
	// PointsRefundRedeem: points that paid for returned goods, given back.
	PointsRefundRedeem = "refund_redeem"
	// PointsExpired: the unspent remainder of a lot whose expiry passed
	// (negative), posted by ExpirePoints.
	PointsExpired = "expired"
	// PointsAdjust: a manual correction with a reason, either sign.
	PointsAdjust = "adjust"
	// PointsTransferOut: on a lost card, one lot moved to the card that
	// replaced it (negative, LotID names the lot), or the card's debt
	// moved (positive, no LotID). Posted by ReplaceCard.
	PointsTransferOut = "transfer_out"
	// PointsTransferIn: on the new card, a moved lot (positive, with the
	// lot's AvailableAt and ExpiresAt) or the moved debt (negative).
	PointsTransferIn = "transfer_in"
)

// centralIDPrefix starts every entry id central makes itself. Agents'
// entry ids may not start with it (EventLedger refuses them), so an agent
// can never pre-empt one of central's entries.
const centralIDPrefix = "central:"

// MaxEntryPoints bounds |points| of one entry. No real movement comes near
// it (a trillion points); the bound keeps the sum of a card's entries far
// from int64 overflow whatever an agent sends.
const MaxEntryPoints = 1_000_000_000_000

// ReturnReverseID is the id of the REVERSE_EARN entry central posts for
// the foreign return returnID: derived, so resolving twice posts once.
func ReturnReverseID(returnID string) string { return centralIDPrefix + "ret:" + returnID + ":reverse" }

// ReturnRefundID is the id of the REFUND_REDEEM entry central posts for the
// foreign return returnID.
func ReturnRefundID(returnID string) string { return centralIDPrefix + "ret:" + returnID + ":refund" }

// ExpiryID is the id of the EXPIRED entry of the lot with entry id lotID:
// one lot expires once, however often and on however many instances
// ExpirePoints runs.
func ExpiryID(lotID string) string { return centralIDPrefix + "exp:" + lotID }

// AdjustID is the id of the ADJUST entry of the caller's adjustment id.
func AdjustID(id string) string { return centralIDPrefix + "adj:" + id }

// PointsEntry is one movement of a card's points at central. A card's
// balance is the sum of its entries' Points; each ID is stored once.
type PointsEntry struct {
	ID       string
	Kind     string // one of the Points... kinds
	Points   int64  // signed: credits positive, debits negative
	Card     string // mask it before logging
	MemberID string // "" when the till did not know the member
	SaleID   string // the sale (for a return, the original sale)
	StoreID  string // store and agent that sent it; "" for central's own
	AgentID  string
	// At is the agent's wall time of the event that carried the entry, or
	// the lot's expiry (expired) or central's clock (adjust).
	At          time.Time
	AvailableAt time.Time // earn: end of the pending period; zero = at once
	ExpiresAt   time.Time // earn, refund_redeem: zero = never
	RewardID    string
	// PendingPoints is the part of a reverse_earn taken from the sale's
	// pending points; DebtPoints the part the agent saw go into debt.
	PendingPoints int64
	DebtPoints    int64
	LotID         string // expired: the entry id of the lot that expired
	Reason        string // adjust: why, for the audit trail
}

// credit reports whether e adds a lot (points that can later expire or be
// spent): earnings, points given back, positive adjustments.
func (e *PointsEntry) credit() bool {
	switch e.Kind {
	case PointsEarn, PointsRefundRedeem:
		return e.Points > 0
	case PointsAdjust, PointsTransferIn:
		return e.Points > 0
	}
	return false
}

// pendingCredit reports whether e is a credit still in its return window
// at now: an earning, or a lot moved with its window from a lost card.
func (e *PointsEntry) pendingCredit(now time.Time) bool {
	return (e.Kind == PointsEarn || e.Kind == PointsTransferIn && e.Points > 0) && e.AvailableAt.After(now)
}

// cancelsPending reports whether e takes pending points of its sale: a
// return's reversal, or a pending lot moved off a lost card.
func (e *PointsEntry) cancelsPending() bool {
	return e.Kind == PointsReverseEarn || e.Kind == PointsTransferOut && e.Points < 0
}

// Balance is a card's points at central as of a time. Total is the sum of
// the card's entries (DESIGN §8.2); Pending the part earned but still in
// the return window; Available = Total − Pending, negative when the card
// owes points; Debt = max(0, −Total).
type Balance struct {
	Card      string
	MemberID  string // "" for a card no enrollment or entry linked yet
	Total     int64
	Available int64
	Pending   int64
	Debt      int64
	Entries   int64 // number of entries summed
	AsOf      time.Time
}

// CardBalance computes the balance of card from all of its entries as of
// now. Pending is derived here, at query time, so no background job moves
// points from pending to available: earn entries whose AvailableAt is
// after now, less the pending part of the reversals of those same sales
// (a return inside the window cancels pending points first, DESIGN §3).
func CardBalance(card, memberID string, entries []PointsEntry, now time.Time) Balance {
	b := Balance{Card: card, MemberID: memberID, AsOf: now.UTC(), Entries: int64(len(entries))}
	pendingBySale := map[string]int64{}
	for _, e := range entries {
		b.Total += e.Points
		if e.pendingCredit(now) {
			pendingBySale[e.SaleID] += e.Points
		}
	}
	for _, e := range entries {
		if e.cancelsPending() && pendingBySale[e.SaleID] > 0 {
			pendingBySale[e.SaleID] -= min(e.PendingPoints, pendingBySale[e.SaleID])
		}
	}
	for _, p := range pendingBySale {
		b.Pending += max(0, p)
	}
	b.Available = b.Total - b.Pending
	b.Debt = max(0, -b.Total)
	return b
}

// Debtor is a card whose balance is negative: an explicit debt that later
// earnings repay, never clamped (DESIGN §3).
type Debtor struct {
	Card     string
	MemberID string
	Balance  int64 // negative
	Debt     int64 // −Balance
}

// OverdraftFlag records a redemption that left its card's balance at
// central negative — a redemption over the offline bound (DESIGN §3).
//
// The rule, decided in the transaction that applies the batch so every
// instance agrees: a REDEEM entry applied for the first time is flagged
// when, after the whole batch is applied, the sum of its card's entries is
// negative. The flag's key is the entry id, so a redelivery (which applies
// nothing) flags nothing again. Whether a card is flagged depends on what
// central held when the redemption arrived: an earning synced later does
// not remove the flag, it records that the store redeemed points central
// could not yet see.
type OverdraftFlag struct {
	EntryID      string
	Card         string
	SaleID       string
	StoreID      string
	AgentID      string
	Points       int64 // the redemption, negative
	BalanceAfter int64 // the card's balance after the batch, negative
	FlaggedAt    time.Time
}

// Adjustment is a manual correction of a card's points. ID is the
// caller's idempotency key: posting one ID twice posts one entry.
type Adjustment struct {
	ID     string
	Card   string
	Points int64 // non-zero, either sign
	Reason string
	At     time.Time
}

// AdjustmentEntry checks a and returns its ledger entry, or an EINVALID
// *Error naming the bad field.
func AdjustmentEntry(a Adjustment) (PointsEntry, error) {
	switch {
	case !validID(a.ID, maxIDLen):
		return PointsEntry{}, Errorf(EINVALID, "adjustment id must be 1 to %d characters without NUL", maxIDLen)
	case !validID(a.Card, maxIDLen):
		return PointsEntry{}, Errorf(EINVALID, "card must be 1 to %d characters without NUL", maxIDLen)
	case a.Points == 0 || a.Points > MaxEntryPoints || a.Points < -MaxEntryPoints:
		return PointsEntry{}, Errorf(EINVALID, "points must be non-zero and within ±%d", int64(MaxEntryPoints))
	case strings.TrimSpace(a.Reason) == "" || len(a.Reason) > 500 || strings.ContainsRune(a.Reason, 0):
		return PointsEntry{}, Errorf(EINVALID, "an adjustment needs a reason of at most 500 characters")
	}
	return PointsEntry{ID: AdjustID(a.ID), Kind: PointsAdjust, Points: a.Points, Card: a.Card,
		At: a.At.UTC(), Reason: a.Reason}, nil
}

// ExpireResult is what one ExpirePoints run posted.
type ExpireResult struct {
	Cards   int   // cards with at least one lot expired now
	Entries int   // expired entries posted
	Points  int64 // points expired, positive
}

// UnresolvedReturn is a return of another store's sale whose original sale
// central has not received yet; it is resolved in the transaction that
// applies that sale.
type UnresolvedReturn struct {
	ReturnID       string
	OriginalSaleID string
	StoreID        string
	AgentID        string
	Seq            uint64
}

// validID reports whether s is a non-empty id of at most n bytes with no
// NUL (PostgreSQL text cannot hold one).
func validID(s string, n int) bool {
	return s != "" && len(s) <= n && !strings.ContainsRune(s, 0)
}
