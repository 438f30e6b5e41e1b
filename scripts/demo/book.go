package main

import "sync"

// book is what the tills told the cashiers: every committed sale and
// return, per store, and what each member card earned and spent. The
// summary checks HQ against it. Safe for concurrent use.
type book struct {
	mu       sync.Mutex
	stores   map[string]*storeBook
	cards    map[string]*cardBook
	rejected int // scans and swipes the till did not take
}

type storeBook struct {
	Sales, Returns, DuringOutage int
	TotalFen                     int64
	saleIDs                      map[string]int
	recent                       []pastSale // sales a return may refer to
}

// pastSale is a recent sale of a store and the card it was made with.
type pastSale struct{ ID, Card string }

type cardBook struct {
	Earned, Redeemed, Reversed, Refunded int64
}

func newBook() *book {
	return &book{stores: map[string]*storeBook{}, cards: map[string]*cardBook{}}
}

func (b *book) store(id string) *storeBook {
	s := b.stores[id]
	if s == nil {
		s = &storeBook{saleIDs: map[string]int{}}
		b.stores[id] = s
	}
	return s
}

func (b *book) card(c string) *cardBook {
	cb := b.cards[c]
	if cb == nil {
		cb = &cardBook{}
		b.cards[c] = cb
	}
	return cb
}

// sale records a committed sale; card is "" for a sale without a member.
func (b *book) sale(store, card string, r *receipt, offline bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.store(store)
	s.Sales++
	s.TotalFen += r.Sale.TotalFen
	s.saleIDs[r.Sale.SaleID]++
	if offline {
		s.DuringOutage++
	}
	if len(s.recent) >= 50 {
		s.recent = s.recent[1:]
	}
	s.recent = append(s.recent, pastSale{ID: r.Sale.SaleID, Card: card})
	if card != "" {
		c := b.card(card)
		c.Earned += r.PointsEarned
		c.Redeemed += r.PointsRedeemed
	}
}

// returned records a return of one of the store's sales.
func (b *book) returned(store, card string, rr *returnReceipt) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.store(store).Returns++
	if card != "" {
		c := b.card(card)
		c.Reversed += rr.PointsReversed
		c.Refunded += rr.PointsRefunded
	}
}

// takeRecent removes and returns the store's i-th recent sale (i taken
// modulo their number); ok is false when there is none.
func (b *book) takeRecent(store string, i int) (pastSale, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.store(store)
	if len(s.recent) == 0 {
		return pastSale{}, false
	}
	i %= len(s.recent)
	p := s.recent[i]
	s.recent = append(s.recent[:i], s.recent[i+1:]...)
	return p, true
}

func (b *book) reject() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rejected++
}

// counts returns a store's sales so far and their total.
func (b *book) counts(store string) (sales int, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.store(store)
	return s.Sales, s.TotalFen
}
