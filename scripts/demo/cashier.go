package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

// lane is one till: its scanner and card reader (the master sides of the
// pseudo-terminals the agent's serial drivers read) and its till API.
type lane struct {
	store, id    string
	till         *api
	scanner, msr *os.File
	offline      func() bool // the store's link to HQ is cut
}

// cashier rings up customers at one lane, deterministically from its
// seed: scans into the scanner, swipes on the card reader, tenders and
// commits through the till API, and now and then takes a return.
type cashier struct {
	lane  *lane
	cat   *Catalog
	ms    *Membership
	book  *book
	r     *rand.Rand
	speed float64
	// regulars is how many members (by weight, among the first) shop
	// during the demo; 0: all of them.
	regulars int
	rev      int64 // the basket revision last seen
}

// pause sleeps d scaled by the demo's speed.
func (c *cashier) pause(d time.Duration) {
	time.Sleep(time.Duration(float64(d) * (0.5 + c.r.Float64()) / c.speed))
}

// run serves customers until ctx ends; a customer being served when it
// ends is finished first, so no request is cut off half way.
func (c *cashier) run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := c.customer(); err != nil {
			return fmt.Errorf("%s: %w", c.lane.id, err)
		}
		if c.r.IntN(25) == 0 {
			if err := c.takeReturn(); err != nil {
				return fmt.Errorf("%s: return: %w", c.lane.id, err)
			}
		}
		c.pause(1500 * time.Millisecond)
	}
	return nil
}

// customer rings up one basket from first scan to receipt.
func (c *cashier) customer() error {
	b, err := c.basket()
	if err != nil {
		return err
	}
	if len(b.Lines) > 0 || b.Member != nil {
		if err := c.lane.till.do(context.Background(), "DELETE", c.path("/basket"), nil, nil); err != nil {
			return fmt.Errorf("cancel a left-over basket: %w", err)
		}
	}
	var m *Member
	items := 1 + c.r.IntN(8)
	if c.r.IntN(100) < 55 {
		m = c.ms.Pick(c.r, c.regulars)
		items = 2 + min(int(m.weight), 12) + c.r.IntN(6)
	}
	swipeAt := -1
	if m != nil {
		swipeAt = 0
		if c.r.IntN(10) < 3 {
			swipeAt = items
		}
	}
	for i := 0; i <= items; i++ {
		if i == swipeAt {
			if err := c.swipe(m.Card); err != nil {
				return err
			}
		}
		if i == items {
			break
		}
		code := c.pickItem()
		for n := 1 + c.r.IntN(10)/9; n > 0; n-- { // one in ten twice
			if err := c.scan(code); err != nil {
				return err
			}
			c.pause(250 * time.Millisecond)
		}
	}
	return c.checkout(m)
}

// pickItem is the barcode of the next item: one in seven a scale label
// (mostly weight labels, some price labels), otherwise a packaged good,
// the popular ones more often.
func (c *cashier) pickItem() string {
	if c.r.IntN(7) == 0 && len(c.cat.Weighed) > 0 {
		p := c.cat.Products[c.cat.Weighed[c.r.IntN(len(c.cat.Weighed))]]
		grams := int64(150 + c.r.IntN(2350))
		if c.r.IntN(10) < 3 {
			// The scale prices the weight rounded half up, as the
			// wire contract's line total does (central/event.go).
			return priceLabel(p.ItemCode, min(max((p.PriceFen*grams+500)/1000, 1), 99999))
		}
		return weightLabel(p.ItemCode, grams)
	}
	u := c.r.Float64()
	i := int(u * u * float64(len(c.cat.Packaged)))
	return c.cat.Products[c.cat.Packaged[i]].Barcode
}

func (c *cashier) path(p string) string { return "/v1/lanes/" + c.lane.id + p }

func (c *cashier) basket() (*basket, error) {
	var b basket
	if err := c.lane.till.do(context.Background(), "GET", c.path("/basket"), nil, &b); err != nil {
		return nil, fmt.Errorf("read basket: %w", err)
	}
	c.rev = b.Rev
	return &b, nil
}

// scan writes code into the scanner and waits for the basket to change.
func (c *cashier) scan(code string) error {
	return c.device(c.lane.scanner, scannerFrame(code), func(b *basket, before int64) bool { return b.Rev > before })
}

// swipe swipes card on the card reader and waits for the member.
func (c *cashier) swipe(card string) error {
	return c.device(c.lane.msr, swipe(card, c.r.IntN(2) == 0), func(b *basket, _ int64) bool { return b.Member != nil })
}

// device writes frame into a device and polls the basket until done; a
// read the till did not take within 10 s is counted as rejected.
func (c *cashier) device(f *os.File, frame string, done func(b *basket, before int64) bool) error {
	before := c.rev
	if _, err := f.WriteString(frame); err != nil {
		return fmt.Errorf("write to %s: %w", f.Name(), err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(15 * time.Millisecond) {
		b, err := c.basket()
		if err != nil {
			return err
		}
		if done(b, before) {
			return nil
		}
	}
	c.book.reject()
	return nil
}

// checkout pays (points first, now and then, for a member) and commits.
func (c *cashier) checkout(m *Member) error {
	ctx := context.Background()
	b, err := c.basket()
	if err != nil {
		return err
	}
	if len(b.Lines) == 0 {
		return nil // every scan was rejected: nothing to sell
	}
	if m != nil && m.Points >= 500 && c.r.IntN(5) == 0 {
		pts := min(int64(500*(1+c.r.IntN(4))), b.DueFen/100*100)
		if pts > 0 {
			err := c.lane.till.do(ctx, "POST", c.path("/tenders"), map[string]any{"kind": "points", "points": pts}, nil)
			if err != nil && !isRefusal(err) {
				return fmt.Errorf("points tender: %w", err)
			}
			if b, err = c.basket(); err != nil {
				return err
			}
		}
	}
	if b.DueFen > 0 {
		tender := map[string]any{"kind": "bank_card", "amount_fen": b.DueFen, "reference": fmt.Sprintf("T%08d", c.r.IntN(1e8))}
		if c.r.IntN(2) == 0 {
			tender = map[string]any{"kind": "cash", "amount_fen": (b.DueFen + 999) / 1000 * 1000}
		}
		if err := c.lane.till.do(ctx, "POST", c.path("/tenders"), tender, nil); err != nil {
			return fmt.Errorf("tender: %w", err)
		}
	}
	offline := c.lane.offline()
	var rc receipt
	if err := c.lane.till.do(ctx, "POST", c.path("/commit"), map[string]any{}, &rc); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	card := ""
	if m != nil {
		card = m.Card
	}
	c.book.sale(c.lane.store, card, &rc, offline)
	return nil
}

// takeReturn returns the first line of one of the store's recent sales
// for cash (the shopper brings the receipt).
func (c *cashier) takeReturn() error {
	p, ok := c.book.takeRecent(c.lane.store, c.r.IntN(50))
	if !ok {
		return nil
	}
	var rr returnReceipt
	err := c.lane.till.do(context.Background(), "POST", "/v1/returns", map[string]any{
		"lane": c.lane.id, "sale_id": p.ID, "refund": "cash", "lines": []map[string]any{{"line_no": 1}},
	}, &rr)
	if isRefusal(err) {
		return nil
	} else if err != nil {
		return err
	}
	c.book.returned(c.lane.store, p.Card, &rr)
	return nil
}

// isRefusal reports whether err is the till refusing (4xx), which a
// cashier takes in stride, rather than a fault.
func isRefusal(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status/100 == 4
}
