package agent

import (
	"context"
	"time"
)

// Member is what the store knows about a card holder. Stores never hold
// full names, ID numbers, addresses or income (DESIGN §3, privacy).
type Member struct {
	Card       string
	MemberID   string
	MaskedName string // e.g. "张*" or "J*** S***"
	PhoneLast4 string
	Tier       string
	// Balance is the member's available points as central last told the
	// store (at BalanceAt); local movements since then are in the ledger.
	Balance   int64
	BalanceAt time.Time
	// Lots are the member's available points lots from central, for FIFO
	// expiry; their sum is Balance (central's debt shows as Debt).
	Lots []Lot
	Debt int64
	// Blocked cards are refused at the till with BlockReason.
	Blocked     bool
	BlockReason string
	// Staff and test cards earn no points and are excluded from segments.
	Staff bool
}

// Lot is a parcel of points with its own expiry; redemptions spend the
// lot that expires first (FIFO).
type Lot struct {
	ID          string
	Points      int64 // remaining
	EarnedAt    time.Time
	AvailableAt time.Time // pending until then
	ExpiresAt   time.Time // zero: never
	SaleID      string    // the sale that earned it, if any
}

// Members is the store's member cache.
type Members interface {
	// MemberByCard returns the cached member holding card, or an ENOTFOUND
	// *Error for a card the store does not know.
	MemberByCard(ctx context.Context, card string) (*Member, error)
	// MembersVersion is the version of the cache held (0 = none loaded).
	MembersVersion(ctx context.Context) (uint64, error)
}
