package central

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// MaxStatsSaleFen bounds the total of a sale the statistics count (ten
// billion yuan). No till sells that much at once; the bound keeps a
// garbage sale from overflowing a card's int64 sums (a PostgreSQL overflow
// would fail every batch behind it). Such a sale is still stored.
const MaxStatsSaleFen = 1_000_000_000_000

// maxStatsCategoryLen bounds a category the statistics keep; a longer one, or
// one with a NUL (PostgreSQL text cannot hold it), counts as no category.
const maxStatsCategoryLen = 128

// Item kinds of an ItemActivity.
const (
	ItemCategory = "category"
	ItemSKU      = "sku"
)

// CardActivity is the change to one card's lifetime statistics.
type CardActivity struct {
	Card string
	// FirstMS and LastMS are the wall times (Unix ms) of the earliest and
	// latest sale in the change; HasPurchase is false when it holds none
	// (returns or points only), and then they are meaningless.
	HasPurchase    bool
	FirstMS        int64
	LastMS         int64
	Visits         int64
	SpendFen       int64
	LargestFen     int64
	PointsEarned   int64
	PointsRedeemed int64
}

// MonthActivity is the change to one card's bucket of one month.
type MonthActivity struct {
	Card       string
	Month      int // yyyymm
	Visits     int64
	SpendFen   int64
	LargestFen int64
}

// ItemActivity is the change to one card's bucket of one category or SKU
// in one month.
type ItemActivity struct {
	Card          string
	Month         int
	Kind          string // ItemCategory or ItemSKU
	Key           string
	Purchases     int64
	QuantityMilli int64
	SpendFen      int64
}

type monthKey struct {
	card  string
	month int
}

type itemKey struct {
	card  string
	month int
	kind  string
	key   string
}

// ActivityChange is what a transaction's applied events do to member
// statistics, merged by row so each row is written once (sums add, first
// and last purchase and largest sale are min and max, so merging in any
// order gives the same rows). The zero value is empty and ready to use;
// it is not safe for concurrent use.
type ActivityChange struct {
	// Zone is the chain's calendar: sales fall into the months of their
	// wall time in it. nil means UTC.
	Zone *time.Location

	cards  map[string]*CardActivity
	months map[monthKey]*MonthActivity
	items  map[itemKey]*ItemActivity
}

// Empty reports whether the change writes nothing.
func (c *ActivityChange) Empty() bool {
	return len(c.cards) == 0 && len(c.months) == 0 && len(c.items) == 0
}

// AddSale adds a sale applied for the first time. An anonymous sale, or
// one over MaxStatsSaleFen, changes nothing.
func (c *ActivityChange) AddSale(sc *syncproto.SaleCommitted) {
	if !StatsCounted(sc) {
		return
	}
	card, at, total := sc.GetMemberCard(), sc.GetAgentWallTimeMs(), sc.GetTotalFen()
	month := MonthOf(time.UnixMilli(at).In(c.zone()))
	ca := c.card(card)
	if !ca.HasPurchase || at < ca.FirstMS {
		ca.FirstMS = at
	}
	if !ca.HasPurchase || at > ca.LastMS {
		ca.LastMS = at
	}
	ca.HasPurchase = true
	ca.Visits++
	ca.SpendFen += total
	ca.LargestFen = max(ca.LargestFen, total)
	m := c.month(card, month)
	m.Visits++
	m.SpendFen += total
	m.LargestFen = max(m.LargestFen, total)
	// A sale counts once per category and SKU however many lines it has.
	seen := map[itemKey]bool{}
	for _, l := range sc.GetLines() {
		for _, k := range lineKeys(card, month, l.GetSku(), l.GetCategory()) {
			it := c.item(k)
			it.QuantityMilli += l.GetQuantityMilli()
			it.SpendFen += l.GetLineTotalFen()
			if !seen[k] {
				seen[k] = true
				it.Purchases++
			}
		}
	}
}

// StatsCounted reports whether sc counts in member statistics: a sale
// with a member card and a total within MaxStatsSaleFen.
func StatsCounted(sc *syncproto.SaleCommitted) bool {
	return sc.GetMemberCard() != "" && sc.GetTotalFen() <= MaxStatsSaleFen
}

// AddReturn adds rc, a return of sale, resolved for the first time: each
// returned line's refund lowers the spend of the sale's card in the sale's
// month, of the line's category and of its SKU. refunded holds what earlier
// returns of the sale took per line (by line_no) and is updated: refunds
// are capped at what is left of each line's total, so a line never goes
// below zero and the capped sum does not depend on the returns' order.
// Lines the sale does not have, and a sale StatsCounted refuses, change
// nothing.
func (c *ActivityChange) AddReturn(sale *syncproto.SaleCommitted, rc *syncproto.ReturnCommitted, refunded map[uint32]int64) {
	if !StatsCounted(sale) {
		return
	}
	card := sale.GetMemberCard()
	month := MonthOf(time.UnixMilli(sale.GetAgentWallTimeMs()).In(c.zone()))
	var total int64
	for _, rl := range rc.GetLines() {
		l := saleLine(sale, rl.GetOriginalLineNo())
		if l == nil || rl.GetRefundFen() <= 0 {
			continue
		}
		fen := min(rl.GetRefundFen(), l.GetLineTotalFen()-refunded[l.GetLineNo()])
		if fen <= 0 {
			continue
		}
		refunded[l.GetLineNo()] += fen
		total += fen
		for _, k := range lineKeys(card, month, l.GetSku(), l.GetCategory()) {
			c.item(k).SpendFen -= fen
		}
	}
	if total == 0 {
		return
	}
	c.card(card).SpendFen -= total
	c.month(card, month).SpendFen -= total
}

// AddPoints adds a ledger entry stored for the first time to its card's
// points earned or redeemed; other kinds change nothing.
func (c *ActivityChange) AddPoints(e PointsEntry) {
	switch e.Kind {
	case PointsEarn, PointsReverseEarn:
		c.card(e.Card).PointsEarned += e.Points
	case PointsRedeem, PointsRefundRedeem:
		c.card(e.Card).PointsRedeemed -= e.Points
	}
}

// Cards returns the card changes in card byte order, the order rows are
// written in (one lock order for every transaction).
func (c *ActivityChange) Cards() []CardActivity {
	out := make([]CardActivity, 0, len(c.cards))
	for _, a := range c.cards {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b CardActivity) int { return strings.Compare(a.Card, b.Card) })
	return out
}

// Months returns the month changes ordered by card, then month.
func (c *ActivityChange) Months() []MonthActivity {
	out := make([]MonthActivity, 0, len(c.months))
	for _, m := range c.months {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b MonthActivity) int {
		return cmp.Or(strings.Compare(a.Card, b.Card), cmp.Compare(a.Month, b.Month))
	})
	return out
}

// Items returns the changes of kind (ItemCategory or ItemSKU) ordered by
// card, month, then key.
func (c *ActivityChange) Items(kind string) []ItemActivity {
	var out []ItemActivity
	for _, it := range c.items {
		if it.Kind == kind {
			out = append(out, *it)
		}
	}
	slices.SortFunc(out, func(a, b ItemActivity) int {
		return cmp.Or(strings.Compare(a.Card, b.Card), cmp.Compare(a.Month, b.Month), strings.Compare(a.Key, b.Key))
	})
	return out
}

func (c *ActivityChange) card(card string) *CardActivity {
	if c.cards == nil {
		c.cards = map[string]*CardActivity{}
	}
	a := c.cards[card]
	if a == nil {
		a = &CardActivity{Card: card}
		c.cards[card] = a
	}
	return a
}

func (c *ActivityChange) month(card string, month int) *MonthActivity {
	if c.months == nil {
		c.months = map[monthKey]*MonthActivity{}
	}
	k := monthKey{card, month}
	m := c.months[k]
	if m == nil {
		m = &MonthActivity{Card: card, Month: month}
		c.months[k] = m
	}
	return m
}

func (c *ActivityChange) item(k itemKey) *ItemActivity {
	if c.items == nil {
		c.items = map[itemKey]*ItemActivity{}
	}
	it := c.items[k]
	if it == nil {
		it = &ItemActivity{Card: k.card, Month: k.month, Kind: k.kind, Key: k.key}
		c.items[k] = it
	}
	return it
}

// lineKeys are the item buckets a line counts in: its SKU, and its
// category when it has a storable one.
func lineKeys(card string, month int, sku, category string) []itemKey {
	var keys []itemKey
	if sku != "" {
		keys = append(keys, itemKey{card, month, ItemSKU, sku})
	}
	if category != "" && len(category) <= maxStatsCategoryLen && !strings.ContainsRune(category, 0) {
		keys = append(keys, itemKey{card, month, ItemCategory, category})
	}
	return keys
}

// StatsReturn returns the original sale id of ev when ev is a return the
// statistics track (one with a storable original sale id), else "".
func StatsReturn(ev *syncproto.Event) string {
	id := ev.GetReturnCommitted().GetOriginalSaleId()
	if ev.GetReturnCommitted() == nil || !validID(id, maxIDLen) {
		return ""
	}
	return id
}

// AddStoredReturn decodes the stored payloads of a return event and of its
// original sale's event and adds the return (AddReturn). It fails when a
// payload does not decode to the kind expected (a store holds only
// payloads it checked).
func (c *ActivityChange) AddStoredReturn(returnPayload, salePayload []byte, refunded map[uint32]int64) error {
	var ret, sale syncproto.Event
	if err := proto.Unmarshal(returnPayload, &ret); err != nil || ret.GetReturnCommitted() == nil {
		return fmt.Errorf("stored return event does not decode to a return (%v)", err)
	}
	if err := proto.Unmarshal(salePayload, &sale); err != nil || sale.GetSaleCommitted() == nil {
		return fmt.Errorf("stored sale event does not decode to a sale (%v)", err)
	}
	c.AddReturn(sale.GetSaleCommitted(), ret.GetReturnCommitted(), refunded)
	return nil
}

// zone is c.Zone, UTC when unset.
func (c *ActivityChange) zone() *time.Location {
	if c.Zone == nil {
		return time.UTC
	}
	return c.Zone
}
