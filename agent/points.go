package agent

import (
	"context"
	"time"
)

// PointsKind is the kind of a points movement.
type PointsKind int

// Points movements (syncproto.PointsEntry_Kind has the same values).
const (
	PointsEarn         PointsKind = 1 // earned by a sale, pending until AvailableAt
	PointsRedeem       PointsKind = 2 // spent as tender or on a reward (negative)
	PointsReverseEarn  PointsKind = 3 // earned points taken back by a return (negative)
	PointsRefundRedeem PointsKind = 4 // points that paid for returned goods, given back
)

// PointsEntry is one movement of a member's points. A member's balance is
// the sum of their entries; a stored balance is only a cache of that sum.
type PointsEntry struct {
	ID          string
	Kind        PointsKind
	Points      int64 // signed: credits positive, debits negative
	Card        string
	MemberID    string
	SaleID      string // the sale (or, for a return, the original sale)
	At          time.Time
	AvailableAt time.Time // PointsEarn: end of the pending period
	ExpiresAt   time.Time // PointsEarn, PointsRefundRedeem: zero = never
	RewardID    string
	// PendingPoints is the part of a PointsReverseEarn taken from pending
	// points; DebtPoints the part of a debit no points covered (the
	// balance goes that far below zero, DESIGN §3: never clamped).
	PendingPoints int64
	DebtPoints    int64
}

// PointsBook is the store's record of local points movements per card.
type PointsBook interface {
	// LocalEntries returns every points entry the store recorded for card
	// since central's last balance for it, oldest first.
	LocalEntries(ctx context.Context, card string) ([]PointsEntry, error)
	// RedeemedOn returns the points card redeemed at this store on the day
	// (in loc) containing t, as a positive number.
	RedeemedOn(ctx context.Context, card string, t time.Time, loc *time.Location) (int64, error)
}
