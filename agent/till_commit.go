package agent

import (
	"context"
	"fmt"
	"time"
)

// Receipt is what the till prints and shows after a commit.
type Receipt struct {
	Sale           *Sale
	SavingFen      int64 // member prices
	PointsEarned   int64 // pending until the return window passes
	PointsRedeemed int64
	// The member's points as this store knows them after the sale.
	Balance, Available, Pending int64
	MaskedName                  string
	Tier                        string
	// UnknownCard: the store did not know the card; HQ resolves the points.
	UnknownCard bool
}

// Commit tenders lane's basket: it checks the basket is paid, prices it,
// computes the points it earns and redeems, and commits the sale, its
// points entries and its journal event in one durable transaction, which
// also closes the basket. Nothing is written when it fails.
func (t *Till) Commit(ctx context.Context, lane string) (*Receipt, error) {
	if err := checkLane(lane); err != nil {
		return nil, err
	}
	defer t.lane(lane)()
	p, _, err := t.policy(ctx)
	if err != nil {
		return nil, err
	}
	b, err := t.Store.Basket(ctx, lane)
	if ErrorCode(err) == ENOTFOUND || (err == nil && activeLines(b) == 0) {
		return nil, Errorf(EINVALID, "lane %s has nothing to commit: scan goods first", lane)
	}
	if err != nil {
		return nil, fmt.Errorf("load basket of lane %s: %w", lane, err)
	}
	if due := Due(b); due > 0 {
		return nil, Errorf(EINVALID, "%d fen is still due: take a tender first", due)
	}
	if b.Card != "" {
		defer t.lockCard(b.Card)()
	}
	sale, err := t.buildSale(ctx, b, p)
	if err != nil {
		return nil, err
	}
	if err := t.Store.CommitSale(ctx, sale); err != nil {
		return nil, fmt.Errorf("commit sale: %w", err)
	}
	if t.Uplink != nil {
		t.Uplink.Notify()
	}
	r, err := t.receipt(ctx, sale, b.Member)
	if err != nil {
		return nil, err
	}
	t.emit(LaneEvent{Lane: lane, Kind: EventSale, Receipt: r})
	return r, nil
}

// lockCard serialises redemptions of one card across lanes, so two lanes
// cannot both pass the offline bound with the same points.
func (t *Till) lockCard(card string) func() {
	return t.lane("card:" + card)
}

// buildSale turns a paid basket into the sale to commit.
func (t *Till) buildSale(ctx context.Context, b *Basket, p *Policy) (*Sale, error) {
	pb := PriceBasket(b)
	now := t.Now()
	s := &Sale{
		ID: b.ID, StoreID: t.StoreID, LaneID: b.LaneID, WallTime: now, Lines: pb.Lines,
		TotalFen: pb.TotalFen, MemberCard: b.Card, MemberSavingFen: pb.SavingFen,
		Tenders: b.Tenders, ChangeFen: -Due(b), PolicyVersion: p.Version,
	}
	if cash := cashTendered(b); s.ChangeFen > cash {
		return nil, Errorf(EINVALID, "change of %d fen exceeds the cash taken (%d fen): remove a card or points tender", s.ChangeFen, cash)
	}
	if v, err := t.Store.CatalogVersion(ctx); err == nil {
		s.CatalogVersion = v
	}
	if b.Card == "" {
		return s, nil
	}
	if b.Member != nil {
		s.MemberID, s.Tier = b.Member.MemberID, b.Member.Tier
	}
	redeem := redeemedPoints(b)
	if redeem > 0 {
		if err := t.checkRedeemable(ctx, b, p, redeem); err != nil {
			return nil, err
		}
	}
	entries, err := t.redeemEntries(b, s, now)
	if err != nil {
		return nil, err
	}
	earn, err := t.earnEntry(b, s, p)
	if err != nil {
		return nil, err
	}
	if earn != nil {
		entries = append(entries, *earn)
	}
	s.Points = entries
	return s, nil
}

func cashTendered(b *Basket) int64 {
	var n int64
	for _, t := range b.Tenders {
		if t.Kind == TenderCash {
			n += t.AmountFen
		}
	}
	return n
}

// redeemEntries records one redemption per reward line and one for the
// points tender.
func (t *Till) redeemEntries(b *Basket, s *Sale, now time.Time) ([]PointsEntry, error) {
	var out []PointsEntry
	add := func(points int64, reward string) error {
		id, err := t.NewID()
		if err != nil {
			return fmt.Errorf("new points entry id: %w", err)
		}
		out = append(out, PointsEntry{ID: id, Kind: PointsRedeem, Points: -points, Card: b.Card,
			MemberID: s.MemberID, SaleID: s.ID, At: now, RewardID: reward})
		return nil
	}
	for _, l := range b.Lines {
		if !l.Voided && l.RewardID != "" {
			if err := add(l.RewardPoints, l.RewardID); err != nil {
				return nil, err
			}
		}
	}
	var tendered int64
	for _, tn := range b.Tenders {
		tendered += tn.Points
	}
	if tendered > 0 {
		if err := add(tendered, ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// earnEntry computes the sale's earned points (pending), sharing them out
// over the lines for returns; nil when the sale earns none.
func (t *Till) earnEntry(b *Basket, s *Sale, p *Policy) (*PointsEntry, error) {
	var pointsFen int64
	for _, tn := range b.Tenders {
		if tn.Kind == TenderPoints {
			pointsFen += tn.AmountFen
		}
	}
	staff := b.Member != nil && b.Member.Staff
	res := p.Earn(EarnInput{Lines: earnLines(s.Lines), Tier: s.Tier, Staff: staff, PointsTenderFen: pointsFen, At: s.WallTime})
	if res.Points <= 0 {
		return nil, nil
	}
	for i := range s.Lines {
		s.Lines[i].PointsEarned = res.PerLine[i]
	}
	id, err := t.NewID()
	if err != nil {
		return nil, fmt.Errorf("new points entry id: %w", err)
	}
	return &PointsEntry{ID: id, Kind: PointsEarn, Points: res.Points, Card: b.Card, MemberID: s.MemberID,
		SaleID: s.ID, At: s.WallTime, AvailableAt: p.PendingUntil(s.WallTime), ExpiresAt: p.ExpiresAt(s.WallTime)}, nil
}

// receipt builds what the customer is shown after s was committed.
func (t *Till) receipt(ctx context.Context, s *Sale, m *Member) (*Receipt, error) {
	r := &Receipt{Sale: s, SavingFen: s.MemberSavingFen}
	for _, e := range s.Points {
		switch e.Kind {
		case PointsEarn:
			r.PointsEarned += e.Points
		case PointsRedeem:
			r.PointsRedeemed -= e.Points
		}
	}
	if s.MemberCard == "" {
		return r, nil
	}
	if m == nil {
		r.UnknownCard = true
	} else {
		r.MaskedName, r.Tier = m.MaskedName, m.Tier
	}
	w, err := t.wallet(ctx, s.MemberCard)
	if err != nil {
		return nil, err
	}
	now := t.Now()
	r.Balance, r.Available, r.Pending = w.Balance(now), w.Available(now), w.Pending(now)
	return r, nil
}

// wallet replays card's points as the store knows them: central's last
// snapshot plus every local entry since.
func (t *Till) wallet(ctx context.Context, card string) (*Wallet, error) {
	m, err := t.Store.MemberByCard(ctx, card)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return nil, fmt.Errorf("look up card %s: %w", MaskCard(card), err)
	}
	if err != nil {
		m = nil
	}
	w := NewWallet(m)
	local, err := t.Store.LocalEntries(ctx, card)
	if err != nil {
		return nil, fmt.Errorf("points of card %s: %w", MaskCard(card), err)
	}
	for _, e := range local {
		if err := w.Apply(e); err != nil {
			return nil, fmt.Errorf("replay points of card %s: %w", MaskCard(card), err)
		}
	}
	return w, nil
}
