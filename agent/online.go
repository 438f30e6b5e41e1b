package agent

import (
	"context"
	"time"
)

// DefaultOnlineTimeout bounds one online call from the till to central:
// long enough for a round trip over a store's link, short enough that a
// cashier barely notices when HQ does not answer and the till falls back
// to its offline rules (DESIGN §3).
const DefaultOnlineTimeout = 2 * time.Second

// RedeemAuthorization is central's answer to a redemption request.
type RedeemAuthorization struct {
	Approved bool
	// Available is what the card may redeem at central now, after other
	// stores' open reservations.
	Available int64
	ExpiresAt time.Time
}

// Online is central reached over the network (DESIGN §5, rpc topics). Both
// calls fail with an EUNAVAILABLE *Error when central cannot be asked or
// does not answer in time; the till then applies its offline rules.
type Online interface {
	// AuthorizeRedeem asks central to reserve points of card for the sale
	// reservationID (the basket id, which becomes the sale id); asking
	// again for the same reservation replaces its points.
	AuthorizeRedeem(ctx context.Context, card string, points int64, reservationID string) (RedeemAuthorization, error)
	// LookupMember asks central for a card the store does not know; it
	// fails with ENOTFOUND when central does not know it either.
	LookupMember(ctx context.Context, card string) (*Member, error)
}

// onlineTimeout is the till's bound on one online call.
func (t *Till) onlineTimeout() time.Duration {
	if t.OnlineTimeout > 0 {
		return t.OnlineTimeout
	}
	return DefaultOnlineTimeout
}

// authorizeOnline asks central to reserve points for b. It reports
// decided false when central could not be asked or did not answer in
// time, and the caller falls back to the offline bound; a refusal is an
// ECONFLICT *Error naming what central allows.
func (t *Till) authorizeOnline(ctx context.Context, b *Basket, points int64) (decided bool, err error) {
	if t.Online == nil {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, t.onlineTimeout())
	defer cancel()
	a, err := t.Online.AuthorizeRedeem(ctx, b.Card, points, b.ID)
	if err != nil {
		return false, nil // EUNAVAILABLE or worse: the offline bound decides
	}
	if !a.Approved {
		return true, Errorf(ECONFLICT, "central allows this member at most %d points now, %d asked", max(a.Available, 0), points)
	}
	return true, nil
}

// lookupOnline asks central for a card the store does not know; nil when
// central does not know it either or cannot be asked in time.
func (t *Till) lookupOnline(ctx context.Context, card string) *Member {
	if t.Online == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, t.onlineTimeout())
	defer cancel()
	m, err := t.Online.LookupMember(ctx, card)
	if err != nil {
		return nil
	}
	return m
}
