package agent

import (
	"context"
	"fmt"
)

// Due returns what is left to pay on b: total minus tenders (negative
// when cash exceeds it: the change).
func Due(b *Basket) int64 {
	due := PriceBasket(b).TotalFen
	for _, t := range b.Tenders {
		due -= t.AmountFen
	}
	return due
}

// redeemedPoints is the points b spends: rewards plus points tenders.
func redeemedPoints(b *Basket) int64 {
	n := PriceBasket(b).RewardPoints
	for _, t := range b.Tenders {
		n += t.Points
	}
	return n
}

// AddTender takes a payment. Cash may exceed what is due (change is
// given); a bank-card payment needs the terminal's reference and may not
// exceed what is due; points pay in whole units of the policy's rate and
// are bounded by what the member may redeem offline.
func (t *Till) AddTender(ctx context.Context, lane string, in Tender) (*Basket, error) {
	return t.change(ctx, lane, func(b *Basket, p *Policy) error {
		if activeLines(b) == 0 {
			return Errorf(EINVALID, "the basket is empty")
		}
		due := Due(b)
		switch in.Kind {
		case TenderCash:
			if in.AmountFen <= 0 || in.AmountFen > MaxUnitPriceFen {
				return Errorf(EINVALID, "cash amount_fen %d is out of range", in.AmountFen)
			}
			in.Points, in.Reference = 0, ""
		case TenderBankCard:
			switch {
			case in.AmountFen <= 0 || in.AmountFen > due:
				return Errorf(EINVALID, "bank card amount_fen %d must be 1 to %d (what is due)", in.AmountFen, due)
			case in.Reference == "" || len(in.Reference) > maxIDLen || !idPattern.MatchString(in.Reference):
				return Errorf(EINVALID, "bank card payment needs the terminal reference (letters, digits, '.', '_', '-')")
			}
			in.Points = 0
		case TenderPoints:
			if err := t.pointsTender(ctx, b, p, &in, due); err != nil {
				return err
			}
		default:
			return Errorf(EINVALID, "tender kind must be cash, bank_card or points")
		}
		b.Tenders = append(b.Tenders, in)
		return nil
	})
}

func (t *Till) pointsTender(ctx context.Context, b *Basket, p *Policy, in *Tender, due int64) error {
	if b.Card == "" {
		return Errorf(EINVALID, "scan the member's card before paying with points")
	}
	if in.Points <= 0 {
		return Errorf(EINVALID, "points must be positive")
	}
	fen, err := p.PointsToFen(in.Points)
	if err != nil {
		return err
	}
	if fen > due {
		return Errorf(EINVALID, "%d points pay %d fen but only %d fen is due; use at most %d points", in.Points, fen, due, p.FenToPoints(due))
	}
	if err := t.checkRedeemable(ctx, b, p, redeemedPoints(b)+in.Points); err != nil {
		return err
	}
	in.AmountFen, in.Reference = fen, ""
	return nil
}

// checkRedeemable fails with ECONFLICT when the basket's card may not
// redeem points in total now. Central decides when it answers in time: it
// reserves the points for this basket, so two stores cannot spend them
// twice (DESIGN §3). Otherwise the offline bound decides.
func (t *Till) checkRedeemable(ctx context.Context, b *Basket, p *Policy, points int64) error {
	if decided, err := t.authorizeOnline(ctx, b, points); decided {
		return err
	}
	bound, err := t.redeemable(ctx, b.Card, p)
	if err != nil {
		return err
	}
	if points > bound {
		return Errorf(ECONFLICT, "the member can redeem at most %d points now (offline limit), %d asked", bound, points)
	}
	return nil
}

// redeemable is what card may still redeem offline today.
func (t *Till) redeemable(ctx context.Context, card string, p *Policy) (int64, error) {
	m, err := t.Store.MemberByCard(ctx, card)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return 0, fmt.Errorf("look up card %s: %w", MaskCard(card), err)
	}
	if err != nil {
		m = nil // unknown card: no known balance, nothing to redeem
	}
	local, err := t.Store.LocalEntries(ctx, card)
	if err != nil {
		return 0, fmt.Errorf("points of card %s: %w", MaskCard(card), err)
	}
	now := t.Now()
	today, err := t.Store.RedeemedOn(ctx, card, now, p.Loc())
	if err != nil {
		return 0, fmt.Errorf("redeemed today by card %s: %w", MaskCard(card), err)
	}
	return OfflineRedeemable(p, m, local, today, now), nil
}
