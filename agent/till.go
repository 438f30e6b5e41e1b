package agent

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// TillStore is everything the till needs from the agent's ledger.
type TillStore interface {
	Ledger
	Catalog
	Members
	Policies
	Baskets
	PointsBook
	Returns
}

// LaneEvent is something that happened at a lane, for live screens.
type LaneEvent struct {
	Lane    string
	Kind    string // "scan", "card", "basket", "sale", "return", "error"
	Basket  *Basket
	Scan    *ScanResult
	Receipt *Receipt
	Return  *ReturnReceipt
	Message string
}

// Lane event kinds.
const (
	EventScan   = "scan"
	EventCard   = "card"
	EventBasket = "basket"
	EventSale   = "sale"
	EventReturn = "return"
	EventError  = "error"
)

// Till runs the lanes' baskets: scan, member card, rewards, tenders,
// commit and returns. Operations on one lane are serialised; lanes run in
// parallel. It is safe for concurrent use.
type Till struct {
	StoreID string
	Store   TillStore
	// Uplink is woken after every commit; nil is allowed.
	Uplink Uplink
	Now    func() time.Time
	NewID  func() (string, error)
	// OnEvent receives lane events; it must not block. Nil is allowed.
	OnEvent func(LaneEvent)
	// EnrollConfig turns enrollment at the till on; nil leaves it off.
	EnrollConfig *EnrollConfig
	// Online reaches central for redemption authorisation and unknown
	// cards; nil keeps the till on its offline rules.
	Online Online
	// OnlineTimeout bounds one online call; 0 is DefaultOnlineTimeout.
	OnlineTimeout time.Duration

	mu           sync.Mutex
	lanes        map[string]*sync.Mutex
	cards        *CardMatcher
	cardsVersion uint64
}

// lane locks lane's mutex and returns its unlock.
func (t *Till) lane(lane string) func() {
	t.mu.Lock()
	if t.lanes == nil {
		t.lanes = map[string]*sync.Mutex{}
	}
	m, ok := t.lanes[lane]
	if !ok {
		m = &sync.Mutex{}
		t.lanes[lane] = m
	}
	t.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (t *Till) emit(e LaneEvent) {
	if t.OnEvent != nil {
		t.OnEvent(e)
	}
}

// policy returns the current policy and a card matcher for it.
func (t *Till) policy(ctx context.Context) (*Policy, *CardMatcher, error) {
	p, err := t.Store.CurrentPolicy(ctx)
	if err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cards == nil || t.cardsVersion != p.Version {
		m, err := NewCardMatcher(p.CardPatterns)
		if err != nil {
			return nil, nil, fmt.Errorf("policy %d card patterns: %w", p.Version, err)
		}
		t.cards, t.cardsVersion = m, p.Version
	}
	return p, t.cards, nil
}

// Basket returns lane's open basket, opening an empty one if there is none.
func (t *Till) Basket(ctx context.Context, lane string) (*Basket, error) {
	if err := checkLane(lane); err != nil {
		return nil, err
	}
	defer t.lane(lane)()
	return t.openBasket(ctx, lane)
}

func checkLane(lane string) error {
	if msg := checkID(lane); msg != "" {
		return Errorf(EINVALID, "lane: %s", msg)
	}
	return nil
}

// openBasket returns the lane's basket or a new empty one (not saved
// until its first change). Call with the lane locked.
func (t *Till) openBasket(ctx context.Context, lane string) (*Basket, error) {
	b, err := t.Store.Basket(ctx, lane)
	if err == nil {
		return b, nil
	}
	if ErrorCode(err) != ENOTFOUND {
		return nil, fmt.Errorf("load basket of lane %s: %w", lane, err)
	}
	id, err := t.NewID()
	if err != nil {
		return nil, fmt.Errorf("new basket id: %w", err)
	}
	return &Basket{ID: id, LaneID: lane, OpenedAt: t.Now(), NextLineNo: 1}, nil
}

// change loads lane's basket, applies f and saves the result durably. If
// f fails, nothing is saved and the basket is unchanged.
func (t *Till) change(ctx context.Context, lane string, f func(*Basket, *Policy) error) (*Basket, error) {
	if err := checkLane(lane); err != nil {
		return nil, err
	}
	defer t.lane(lane)()
	p, _, err := t.policy(ctx)
	if err != nil {
		return nil, err
	}
	b, err := t.openBasket(ctx, lane)
	if err != nil {
		return nil, err
	}
	if err := f(b, p); err != nil {
		return nil, err
	}
	b.Rev++
	if err := t.Store.SaveBasket(ctx, b); err != nil {
		return nil, fmt.Errorf("save basket of lane %s: %w", lane, err)
	}
	t.emit(LaneEvent{Lane: lane, Kind: EventBasket, Basket: b})
	return b, nil
}
