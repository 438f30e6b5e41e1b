package central

import (
	"context"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// DefaultReservationTTL is how long an approved redemption holds a card's
// points when RedeemRequest.TTL is zero: long enough for a cashier to
// finish the tender, short enough that an abandoned basket frees the
// points the same visit.
const DefaultReservationTTL = 15 * time.Minute

// Reservations answers the stores' online calls (DESIGN §3 Redeeming:
// online, central authorises). Implementations are safe for concurrent
// use, also by several central processes sharing one database: the
// decision for one card is serialised in the database, never in memory
// (DESIGN §7).
type Reservations interface {
	// AuthorizeRedeem decides req as DecideRedeem does, in one transaction
	// serialised per card, and stores the resulting reservation (or, when
	// refused, removes req's reservation). An unknown card is refused with
	// nothing available, not an error. It fails with EINVALID for a bad
	// request and with an internal error when nothing was committed.
	AuthorizeRedeem(ctx context.Context, req RedeemRequest, now time.Time) (Authorization, error)
	// LookupMember returns central's view of card as of now; Found is
	// false for a card with no ledger entry and no enrollment. It never
	// fails for an unknown card.
	LookupMember(ctx context.Context, card string, now time.Time) (MemberLookup, error)
}

// RedeemRequest asks to reserve Points of Card for the sale ReservationID.
type RedeemRequest struct {
	ReservationID string // the agent's sale (basket) id
	Card          string // mask it before logging
	Points        int64  // positive
	StoreID       string // who asked, for the audit trail
	AgentID       string
	// TTL is how long an approved reservation holds the points; zero
	// means DefaultReservationTTL.
	TTL time.Duration
}

// Validate returns an EINVALID *Error naming the first bad field of r.
func (r RedeemRequest) Validate() error {
	switch {
	case !validID(r.ReservationID, maxIDLen):
		return Errorf(EINVALID, "reservation id must be 1 to %d characters without NUL", maxIDLen)
	case !validID(r.Card, maxIDLen):
		return Errorf(EINVALID, "card must be 1 to %d characters without NUL", maxIDLen)
	case r.Points <= 0 || r.Points > MaxEntryPoints:
		return Errorf(EINVALID, "points must be 1 to %d", int64(MaxEntryPoints))
	case !validText(r.StoreID) || !validText(r.AgentID):
		return Errorf(EINVALID, "store and agent ids must be at most %d characters without NUL", maxIDLen)
	case r.TTL < 0:
		return Errorf(EINVALID, "reservation ttl %s is negative", r.TTL)
	}
	return nil
}

// Reservation is points of a card held at central for one sale until the
// sale's redemption reaches central or ExpiresAt passes.
type Reservation struct {
	ID        string // the sale id (RedeemAuthorize.reservation_id)
	Card      string
	Points    int64
	StoreID   string
	AgentID   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Open reports whether r still holds points as of now: not expired, and
// no REDEEM entry of its sale among entries (the card's ledger). The
// caller passes the entries it computes the balance from, so a
// redemption is counted either in the balance or in the reservation,
// never in both and never in neither.
func (r Reservation) Open(entries []PointsEntry, now time.Time) bool {
	if !now.Before(r.ExpiresAt) {
		return false
	}
	for i := range entries {
		if entries[i].Kind == PointsRedeem && entries[i].SaleID == r.ID {
			return false
		}
	}
	return true
}

// Authorization is central's answer to a RedeemRequest.
type Authorization struct {
	Approved      bool
	ReservationID string
	// Available is what the card may redeem now: its available balance
	// less other sales' open reservations (and before this one), never
	// below zero.
	Available int64
	// ExpiresAt is when an approved reservation lapses; zero when refused.
	ExpiresAt time.Time
}

// Proto is a's wire form.
func (a Authorization) Proto() *syncproto.RedeemAuthorization {
	return &syncproto.RedeemAuthorization{Approved: a.Approved, Available: a.Available,
		ReservationId: a.ReservationID, ExpiresAtMs: unixMilli(a.ExpiresAt)}
}

// RedeemDecision is what a store writes for one RedeemRequest.
type RedeemDecision struct {
	Authorization Authorization
	// Hold is the reservation to store under its id, replacing any
	// earlier one of that id; nil when refused (then the id's reservation,
	// if any, is removed).
	Hold *Reservation
	// Drop lists the card's stored reservations that no longer hold
	// points (expired or redeemed) and can be deleted.
	Drop []string
}

// DecideRedeem is the authorisation rule, pure so every store applies it
// alike: available = the card's Available(now) from entries − the points
// of the card's OTHER open reservations in held; approve iff req.Points ≤
// available. A reservation with req's id is replaced, not added to, so a
// retried or changed request is idempotent. entries are all of the card's
// ledger entries (nil for an unknown card) and held all its stored
// reservations, both read in the transaction that writes the decision.
func DecideRedeem(req RedeemRequest, entries []PointsEntry, held []Reservation, now time.Time) RedeemDecision {
	available := CardBalance(req.Card, "", entries, now).Available
	var d RedeemDecision
	for _, r := range held {
		switch {
		case !r.Open(entries, now):
			d.Drop = append(d.Drop, r.ID)
		case r.ID != req.ReservationID:
			available -= r.Points
		}
	}
	available = max(0, available)
	d.Authorization = Authorization{ReservationID: req.ReservationID, Available: available}
	if req.Points > available {
		return d
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = DefaultReservationTTL
	}
	d.Authorization.Approved = true
	d.Authorization.ExpiresAt = now.Add(ttl).UTC()
	d.Hold = &Reservation{ID: req.ReservationID, Card: req.Card, Points: req.Points,
		StoreID: req.StoreID, AgentID: req.AgentID, CreatedAt: now.UTC(), ExpiresAt: d.Authorization.ExpiresAt}
	return d
}

// MemberLookup is central's view of a card for a store that does not
// know it. It carries display data only (DESIGN §3 privacy).
type MemberLookup struct {
	Found    bool // the card has ledger entries or an enrollment
	Card     string
	MemberID string
	// Balance is the card's available points as of BalanceAt; Debt how
	// far its total is below zero.
	Balance   int64
	BalanceAt time.Time
	Debt      int64
	// Blocked and BlockReason come from the latest card_blocks snapshot;
	// a blocked card is reported even when not Found.
	Blocked     bool
	BlockReason string
	// MaskedName, PhoneLast4 (the member master's) and Tier: display
	// data only (Apply).
	MaskedName, PhoneLast4, Tier string
}

// LookupFrom builds card's lookup from its balance (nil when the card is
// unknown) and the latest card blocks (nil when none were published).
func LookupFrom(card string, b *Balance, blocks *syncproto.CardBlocksContent, now time.Time) MemberLookup {
	m := MemberLookup{Card: card, BalanceAt: now.UTC()}
	if b != nil {
		// Balance and Debt are separate on the wire (MemberRecord): the
		// points the member has, and how far below zero the card is.
		m.Found, m.MemberID, m.Balance, m.Debt = true, b.MemberID, max(b.Available, 0), b.Debt
	}
	for _, blk := range blocks.GetBlocked() {
		if blk.GetCard() == card {
			m.Blocked, m.BlockReason = true, blk.GetReason()
			break
		}
	}
	return m
}

// Proto is m's wire form: a member record when the card is found or
// blocked, none otherwise.
func (m MemberLookup) Proto() *syncproto.MemberLookupResult {
	res := &syncproto.MemberLookupResult{Found: m.Found}
	if m.Found || m.Blocked {
		res.Member = &syncproto.MemberRecord{Card: m.Card, MemberId: m.MemberID, Balance: m.Balance,
			BalanceAtMs: m.BalanceAt.UnixMilli(), Debt: m.Debt, Blocked: m.Blocked, BlockReason: m.BlockReason,
			MaskedName: m.MaskedName, PhoneLast4: m.PhoneLast4, Tier: m.Tier}
	}
	return res
}

// unixMilli is t in Unix milliseconds, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
