package agent

import (
	"context"
	"fmt"
)

// MaxBasketLines bounds an open basket (a sale holds at most MaxLines).
const MaxBasketLines = MaxLines

// Scan handles scanner data at lane: a membership card attaches the
// member, a product barcode adds a line. A bad or unknown barcode is an
// error for the cashier and leaves the basket unchanged.
func (t *Till) Scan(ctx context.Context, lane, data string) (*Basket, *ScanResult, error) {
	p, cards, err := t.policy(ctx)
	if err != nil {
		return nil, nil, err
	}
	res, err := ResolveScan(ctx, t.Store, p, cards, data)
	if err != nil {
		t.emit(LaneEvent{Lane: lane, Kind: EventError, Message: ErrorMessage(err)})
		return nil, nil, err
	}
	if res.Kind == ScanCard {
		b, err := t.AttachCard(ctx, lane, res.Card)
		return b, &res, err
	}
	b, err := t.change(ctx, lane, func(b *Basket, _ *Policy) error {
		return addProduct(b, res.Product, res.GTIN, res.QuantityMilli, res.FixedTotalFen)
	})
	if err == nil {
		t.emit(LaneEvent{Lane: lane, Kind: EventScan, Scan: &res, Basket: b})
	}
	return b, &res, err
}

// AddSKU adds quantityMilli of the product sku (keyed in by the cashier).
func (t *Till) AddSKU(ctx context.Context, lane, sku string, quantityMilli int64) (*Basket, error) {
	if quantityMilli <= 0 || quantityMilli > MaxQuantityMilli {
		return nil, Errorf(EINVALID, "quantity_milli %d is out of range (1 to %d)", quantityMilli, MaxQuantityMilli)
	}
	prod, err := t.Store.ProductBySKU(ctx, sku)
	if err != nil {
		return nil, err
	}
	return t.change(ctx, lane, func(b *Basket, _ *Policy) error {
		return addProduct(b, prod, "", quantityMilli, 0)
	})
}

// addProduct adds a line, or adds to the quantity of an identical counted
// line so a cashier scanning three cans sees one line of 3.
func addProduct(b *Basket, prod *Product, gtin string, qty, fixedTotal int64) error {
	if !prod.Weighed && fixedTotal == 0 {
		for i := range b.Lines {
			l := &b.Lines[i]
			if !l.Voided && l.SKU == prod.SKU && l.RewardID == "" && l.FixedTotalFen == 0 && !l.Weighed {
				if l.QuantityMilli+qty > MaxQuantityMilli {
					return Errorf(EINVALID, "line %d would exceed %d units", l.No, MaxQuantityMilli/1000)
				}
				l.QuantityMilli += qty
				return nil
			}
		}
	}
	if activeLines(b) >= MaxBasketLines {
		return Errorf(EINVALID, "the basket already has %d lines; commit it and start another", MaxBasketLines)
	}
	b.Lines = append(b.Lines, BasketLine{
		No: b.NextLineNo, SKU: prod.SKU, Barcode: gtin, Name: prod.Name, Category: prod.Category,
		QuantityMilli: qty, UnitPriceFen: prod.PriceFen, MemberPriceFen: prod.MemberPriceFen,
		Weighed: prod.Weighed, FixedTotalFen: fixedTotal,
		PointsEligible: prod.PointsEligible, PointsMultiplier: prod.PointsMultiplier,
	})
	b.NextLineNo++
	return nil
}

func activeLines(b *Basket) int {
	n := 0
	for _, l := range b.Lines {
		if !l.Voided {
			n++
		}
	}
	return n
}

// findLine returns the live line numbered no, or an ENOTFOUND *Error.
func findLine(b *Basket, no int) (*BasketLine, error) {
	for i := range b.Lines {
		if b.Lines[i].No == no && !b.Lines[i].Voided {
			return &b.Lines[i], nil
		}
	}
	return nil, Errorf(ENOTFOUND, "line %d is not in the basket", no)
}

// SetQuantity changes a counted line's quantity. Weighed lines and lines
// priced by their barcode are re-scanned instead.
func (t *Till) SetQuantity(ctx context.Context, lane string, lineNo int, quantityMilli int64) (*Basket, error) {
	if quantityMilli <= 0 || quantityMilli > MaxQuantityMilli {
		return nil, Errorf(EINVALID, "quantity_milli %d is out of range (1 to %d); void the line to remove it", quantityMilli, MaxQuantityMilli)
	}
	return t.change(ctx, lane, func(b *Basket, _ *Policy) error {
		l, err := findLine(b, lineNo)
		if err != nil {
			return err
		}
		switch {
		case l.FixedTotalFen > 0:
			return Errorf(EINVALID, "line %d is priced by its barcode; void it and scan again", lineNo)
		case l.RewardID != "":
			return Errorf(EINVALID, "line %d is a reward; void it and redeem again", lineNo)
		}
		l.QuantityMilli = quantityMilli
		return nil
	})
}

// VoidLine removes a line (it keeps its number, marked voided).
func (t *Till) VoidLine(ctx context.Context, lane string, lineNo int) (*Basket, error) {
	return t.change(ctx, lane, func(b *Basket, _ *Policy) error {
		l, err := findLine(b, lineNo)
		if err != nil {
			return err
		}
		l.Voided = true
		return nil
	})
}

// AttachCard attaches the member holding card. A blocked card is refused
// with its reason. A card the store does not know is attached anyway: the
// sale records its points against the card number for HQ to resolve.
func (t *Till) AttachCard(ctx context.Context, lane, card string) (*Basket, error) {
	if card == "" || len(card) > maxCardLen || !cardPattern.MatchString(card) {
		return nil, Errorf(EINVALID, "card number must be 1 to %d letters or digits", maxCardLen)
	}
	m, err := t.Store.MemberByCard(ctx, card)
	if ErrorCode(err) == ENOTFOUND {
		// A card the store does not know: central may (a member of
		// another store); if it cannot answer in time the sale goes on.
		if cm := t.lookupOnline(ctx, card); cm != nil {
			m, err = cm, nil
		}
	}
	switch {
	case err != nil && ErrorCode(err) != ENOTFOUND:
		return nil, fmt.Errorf("look up card %s: %w", MaskCard(card), err)
	case err == nil && m.Blocked:
		t.emit(LaneEvent{Lane: lane, Kind: EventError, Message: "card blocked"})
		return nil, Errorf(ECONFLICT, "card %s is blocked (%s): ask for the member's new card", MaskCard(card), m.BlockReason)
	case err != nil:
		m = nil // unknown card: HQ resolves it
	}
	b, err := t.change(ctx, lane, func(b *Basket, _ *Policy) error {
		if len(b.Tenders) > 0 {
			return Errorf(EINVALID, "tenders were already taken; cancel them before changing the member")
		}
		b.Card, b.Member = card, m
		return nil
	})
	if err == nil {
		t.emit(LaneEvent{Lane: lane, Kind: EventCard, Basket: b})
	}
	return b, err
}

// RedeemReward adds a reward's gift for its points. The points are checked
// against what the member may redeem at commit and here.
func (t *Till) RedeemReward(ctx context.Context, lane, rewardID string) (*Basket, error) {
	return t.change(ctx, lane, func(b *Basket, p *Policy) error {
		r, ok := p.Reward(rewardID)
		if !ok {
			return Errorf(ENOTFOUND, "reward %q is not in the rewards catalog", rewardID)
		}
		if b.Card == "" {
			return Errorf(EINVALID, "scan the member's card before redeeming a reward")
		}
		prod, err := t.Store.ProductBySKU(ctx, r.GiftSKU)
		if err != nil {
			return fmt.Errorf("reward %s gift: %w", r.ID, err)
		}
		if err := t.checkRedeemable(ctx, b, p, redeemedPoints(b)+r.Points); err != nil {
			return err
		}
		b.Lines = append(b.Lines, BasketLine{
			No: b.NextLineNo, SKU: prod.SKU, Name: r.Name, Category: prod.Category, QuantityMilli: 1000,
			RewardID: r.ID, RewardPoints: r.Points,
		})
		b.NextLineNo++
		return nil
	})
}

// Cancel drops lane's open basket.
func (t *Till) Cancel(ctx context.Context, lane string) error {
	if err := checkLane(lane); err != nil {
		return err
	}
	defer t.lane(lane)()
	b, err := t.Store.Basket(ctx, lane)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.Store.DeleteBasket(ctx, lane, b.ID); err != nil {
		return fmt.Errorf("cancel basket of lane %s: %w", lane, err)
	}
	t.emit(LaneEvent{Lane: lane, Kind: EventBasket, Basket: &Basket{LaneID: lane}})
	return nil
}
