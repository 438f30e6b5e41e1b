package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pointsCard is a member card of configs/members.example.csv the fault
// tests sell to, with the balance that file gives it.
type pointsCard struct {
	card    string
	opening int64
}

// pointsCards are shared by every agent of a fault test, so sales of
// several stores move one card's points at once: a VIP with plenty to
// redeem, a gold member whose 1800 points run short under concurrent
// redemptions, and a member in debt whose earnings repay it (DESIGN §3).
func pointsCards() []pointsCard {
	return []pointsCard{{"8800123456787", 52000}, {"8800000000017", 1800}, {"8800000000031", -150}}
}

// pointsBarcodes are fixed-price items of configs/catalog.example.csv,
// tobacco (no points) and a double-points item among them.
func pointsBarcodes() []string {
	return []string{"6901234000016", "6901234000023", "6901234000030", "6901234000047",
		"6901234000054", "6901234000078", "6901234000085", "6901234000092", "6901234000108"}
}

// pointsSaleEvery paces each agent's member lane; a member sale is
// several requests, some of which ask central over MQTT.
const pointsSaleEvery = 40 * time.Millisecond

// memberSale is a member sale the test made at a till lane, with the
// points it moved as the receipt (or the agent's stored sale) says.
type memberSale struct {
	id       string
	card     string
	totalFen int64
	earned   int64 // pending points earned: one EARN entry when > 0
	redeemed int64 // points tendered: one REDEEM entry when > 0
}

// pointsBook records the member sales of one agent's lane.
type pointsBook struct {
	mu        sync.Mutex
	confirmed map[string]memberSale
	uncertain map[string]memberSale // commit sent, answer lost
	refused   int                   // points tenders refused (online or offline bound)
}

// pointsRun is the member-sales side of a fault test: one book per agent
// and the opening balances central was given.
type pointsRun struct {
	cards  []pointsCard
	books  []*pointsBook
	opened chan error // the opening adjustments' outcome
}

// newPointsRun starts giving central (through c's CLI, on its database)
// the opening balances the agents' member files hold, so central's totals
// and the stores' caches start equal, and returns a run for n agents.
// The adjustments run in the background, since every CLI start costs a
// second or more on a loaded CI machine; call ready before selling. The
// agents must be given members.example.csv (loadExamplesAll).
func newPointsRun(c *central, n int) *pointsRun {
	r := &pointsRun{cards: pointsCards(), books: make([]*pointsBook, n), opened: make(chan error, 1)}
	for i := range r.books {
		r.books[i] = &pointsBook{confirmed: map[string]memberSale{}, uncertain: map[string]memberSale{}}
	}
	go func() {
		for _, pc := range r.cards {
			args := []string{"points", "adjust", "--card", pc.card, "--points", fmt.Sprint(pc.opening),
				"--reason", "opening balance", "--id", "open-" + pc.card}
			cmd := exec.Command(bins.central, args...)
			cmd.Env = append(os.Environ(), c.env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				r.opened <- fmt.Errorf("tillsync-central %v: %w\n%s", args, err, out)
				return
			}
		}
		r.opened <- nil
	}()
	return r
}

// ready waits until central holds the opening balances.
func (r *pointsRun) ready(t *testing.T) {
	t.Helper()
	select {
	case err := <-r.opened:
		if err != nil {
			t.Fatalf("opening balances: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("timed out after 2m waiting for the opening balances")
	}
}

// loadExamplesAll does what loadExamples does for every stopped agent,
// the agents at once, since each CLI start costs a second or more on a
// loaded CI machine.
func loadExamplesAll(t *testing.T, agents []*agentProc) {
	t.Helper()
	dir := configsDir(t)
	errs := make([]error, len(agents))
	var wg sync.WaitGroup
	for i, a := range agents {
		wg.Go(func() {
			for _, args := range [][]string{
				{"catalog", "load", filepath.Join(dir, "catalog.example.csv")},
				{"members", "load", filepath.Join(dir, "members.example.csv")},
				{"policy", "load", filepath.Join(dir, "policy.yaml")},
			} {
				cmd := exec.Command(bins.agent, args...)
				cmd.Env = append(os.Environ(), a.env...)
				if out, err := cmd.CombinedOutput(); err != nil {
					errs[i] = fmt.Errorf("%s: tillsync-agent %v: %w\n%s", a.agentID, args, err, out)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sellUntil makes member sales on lane of agent i, one every
// pointsSaleEvery at most, until ctx ends. Every other sale of a card
// with points offers some as tender. It runs on its own goroutine, so it
// reports with t.Errorf only. A sale under way when ctx ends is finished:
// ctx is not passed to its requests, so cancelling makes no commit
// uncertain.
func (r *pointsRun) sellUntil(ctx context.Context, t *testing.T, a *agentProc, i int, lane string) {
	tick := time.NewTicker(pointsSaleEvery)
	defer tick.Stop()
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pc := r.cards[(k+i)%len(r.cards)]
		var redeem int64
		if pc.opening > 0 && k%2 == 0 {
			redeem = 100 * int64(1+randInt(t, 2)) // 1 or 2 yuan: less than any item costs
		}
		r.books[i].sell(t, a, lane, pc.card, redeem)
	}
}

// laneReq is one till request of a member sale.
func laneReq(method, url string, body any) (int, []byte, error) {
	if method == http.MethodPost {
		return postJSON(context.Background(), url, body)
	}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil, nil
}

// sell scans one to three items and card on lane, offers redeem points
// as tender when redeem > 0, pays the rest in cash and commits, and
// records what was committed. A request that got no answer before the
// commit leaves nothing committed: the basket is cancelled. A commit
// without an answer is recorded as uncertain and settled afterwards.
func (b *pointsBook) sell(t *testing.T, a *agentProc, lane, card string, redeem int64) {
	base := a.api + "/v1/lanes/" + lane
	cancelBasket := func() {
		if _, _, err := laneReq(http.MethodDelete, base+"/basket", nil); err != nil {
			t.Logf("%s: cancel basket of %s: %v", a.agentID, lane, err)
		}
	}
	codes := pointsBarcodes()
	var basket basketView
	var due struct {
		DueFen int64 `json:"due_fen"`
	}
	scans := []string{card}
	for n := 1 + randInt(t, 3); n > 0; n-- {
		scans = append(scans, codes[randInt(t, len(codes))])
	}
	for _, data := range scans {
		if !b.step(t, a, base+"/scan", map[string]string{"data": data}, &basket, &due) {
			cancelBasket()
			return
		}
	}
	if redeem > 0 {
		code, raw, err := laneReq(http.MethodPost, base+"/tenders", map[string]any{"kind": "points", "points": redeem})
		switch {
		case err != nil:
			cancelBasket()
			return
		case code == http.StatusConflict: // central or the offline bound refused: pay cash
			b.mu.Lock()
			b.refused++
			b.mu.Unlock()
			redeem = 0
		case code != http.StatusOK || json.Unmarshal(raw, &due) != nil:
			t.Errorf("%s: points tender of %d: %d %s", a.agentID, redeem, code, raw)
			cancelBasket()
			return
		}
	}
	if due.DueFen > 0 && !b.step(t, a, base+"/tenders", map[string]any{"kind": "cash", "amount_fen": due.DueFen}, nil, nil) {
		cancelBasket()
		return
	}
	b.commit(t, a, base, memberSale{id: basket.BasketID, card: card, redeemed: redeem}, cancelBasket)
}

// step posts one basket change and decodes the basket into the non-nil
// outs; false when it got no answer or an unexpected one (reported).
func (b *pointsBook) step(t *testing.T, a *agentProc, url string, body any, outs ...any) bool {
	code, raw, err := laneReq(http.MethodPost, url, body)
	if err != nil {
		return false
	}
	if code != http.StatusOK {
		t.Errorf("%s: POST %s %v: %d %s", a.agentID, url, body, code, raw)
		return false
	}
	for _, out := range outs {
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Errorf("%s: POST %s: %v: %s", a.agentID, url, err, raw)
				return false
			}
		}
	}
	return true
}

// commit commits the paid basket s.id and records the receipt's points.
func (b *pointsBook) commit(t *testing.T, a *agentProc, base string, s memberSale, cancelBasket func()) {
	code, raw, err := laneReq(http.MethodPost, base+"/commit", map[string]any{})
	if err != nil {
		b.mu.Lock()
		b.uncertain[s.id] = s
		b.mu.Unlock()
		cancelBasket() // if the commit did not land, the next sale starts clean
		return
	}
	if code == http.StatusConflict { // central refused the redemption at commit time
		b.mu.Lock()
		b.refused++
		b.mu.Unlock()
		cancelBasket()
		return
	}
	var rc struct {
		Sale struct {
			SaleID   string `json:"sale_id"`
			TotalFen int64  `json:"total_fen"`
		} `json:"sale"`
		PointsEarned   int64 `json:"points_earned_pending"`
		PointsRedeemed int64 `json:"points_redeemed"`
	}
	if code != http.StatusCreated || json.Unmarshal(raw, &rc) != nil {
		t.Errorf("%s: commit: %d %s", a.agentID, code, raw)
		cancelBasket()
		return
	}
	if rc.Sale.SaleID != s.id || rc.PointsRedeemed != s.redeemed {
		t.Errorf("%s: receipt of basket %s redeemed %d: %s", a.agentID, s.id, s.redeemed, raw)
	}
	s.id, s.totalFen, s.earned, s.redeemed = rc.Sale.SaleID, rc.Sale.TotalFen, rc.PointsEarned, rc.PointsRedeemed
	b.mu.Lock()
	b.confirmed[s.id] = s
	b.mu.Unlock()
}

// settle looks up agent i's member sales whose commit answer was lost (a
// stored sale was committed, with the points its lines earned; a missing
// one was not), then records every confirmed member sale in book, so
// checkExactlyOnce counts them with the plain sales.
func (r *pointsRun) settle(t *testing.T, a *agentProc, i int, book *ledgerBook) {
	t.Helper()
	b := r.books[i]
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, s := range b.uncertain {
		var got struct {
			TotalFen int64 `json:"total_fen"`
			Lines    []struct {
				PointsEarned int64 `json:"points_earned"`
			} `json:"lines"`
		}
		code, err := getJSON(a.api+"/v1/sales/"+id, &got)
		switch {
		case err == nil && code == http.StatusOK:
			s.totalFen = got.TotalFen
			for _, l := range got.Lines {
				s.earned += l.PointsEarned // the lines share the sale's points exactly
			}
			b.confirmed[id] = s
		case err == nil && code == http.StatusNotFound:
		default:
			t.Fatalf("%s: look up member sale %s: %d %v", a.agentID, id, code, err)
		}
		delete(b.uncertain, id)
	}
	for _, s := range b.confirmed {
		book.record(sale{ID: s.id, TotalFen: s.totalFen}, confirmed)
	}
}

// cardWant is what central must hold for one card.
type cardWant struct {
	total, entries   int64
	sales, redeeming int
}

// want sums, per card, the opening balance and the points every confirmed
// member sale moved: one entry for the opening balance, one EARN entry
// per sale that earned, one REDEEM entry per sale that redeemed.
func (r *pointsRun) want() map[string]cardWant {
	out := map[string]cardWant{}
	for _, pc := range r.cards {
		w := cardWant{total: pc.opening}
		if pc.opening != 0 {
			w.entries = 1
		}
		out[pc.card] = w
	}
	for _, b := range r.books {
		b.mu.Lock()
		for _, s := range b.confirmed {
			w := out[s.card]
			w.total += s.earned - s.redeemed
			w.sales++
			if s.earned > 0 {
				w.entries++
			}
			if s.redeemed > 0 {
				w.entries++
				w.redeeming++
			}
			out[s.card] = w
		}
		b.mu.Unlock()
	}
	return out
}

// check asserts DESIGN §8 invariant 2 at central c once every agent's
// outbox has drained (checkExactlyOnce): each card's total is its opening
// balance plus the points of its confirmed sales, from exactly the
// expected number of entries (no entry lost or applied twice under
// duplicates, reconnects or two centrals), and the cached balance behind
// GET /v1/debtors agrees with that sum.
func (r *pointsRun) check(t *testing.T, c *central) {
	t.Helper()
	want := r.want()
	deadline := time.Now().Add(30 * time.Second)
	var redeeming, refused int
	for _, b := range r.books {
		refused += b.refused
	}
	for _, pc := range r.cards {
		w := want[pc.card]
		redeeming += w.redeeming
		if w.sales == 0 {
			t.Errorf("card %s: no confirmed member sale; the check tested nothing", pc.card)
		}
		got, ok := r.waitBalance(c, pc.card, w, deadline)
		t.Logf("card %s: %d sales (%d redeeming): central total %d from %d entries, want %d from %d",
			centralMask(pc.card), w.sales, w.redeeming, got.Total, got.Entries, w.total, w.entries)
		if !ok {
			t.Errorf("card %s at central: total %d from %d entries, want opening %d + sales = %d from %d entries",
				centralMask(pc.card), got.Total, got.Entries, pc.opening, w.total, w.entries)
		}
	}
	t.Logf("member sales: %d redeemed points, %d points tenders refused", redeeming, refused)
	if redeeming == 0 {
		t.Errorf("no member sale redeemed points; the check tested no REDEEM entry")
	}
	r.checkDebtors(t, c, want)
}

type cardBalance struct {
	Total   int64 `json:"total"`
	Entries int64 `json:"entries"`
}

// waitBalance polls central's balance of card until it is w or deadline
// passes. Once the outboxes drained central has acked, so it holds every
// entry already; the wait only covers a reader that lags its writer.
func (r *pointsRun) waitBalance(c *central, card string, w cardWant, deadline time.Time) (cardBalance, bool) {
	var got cardBalance
	for {
		code, err := getJSON(c.http+"/v1/cards/"+card+"/balance", &got)
		if err == nil && code == http.StatusOK && got.Total == w.total && got.Entries == w.entries {
			return got, true
		}
		if time.Now().After(deadline) {
			return got, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkDebtors: a card is listed as a debtor exactly when its sum of
// entries is negative, with that sum as its cached balance.
func (r *pointsRun) checkDebtors(t *testing.T, c *central, want map[string]cardWant) {
	t.Helper()
	var out struct {
		Debtors []struct {
			Card    string `json:"card"`
			Balance int64  `json:"balance"`
		} `json:"debtors"`
	}
	if code, err := getJSON(c.http+"/v1/debtors?limit=1000", &out); err != nil || code != http.StatusOK {
		t.Fatalf("central debtors: %d %v", code, err)
	}
	for _, pc := range r.cards {
		w := want[pc.card]
		listed, balance := false, int64(0)
		for _, d := range out.Debtors {
			if d.Card == centralMask(pc.card) {
				listed, balance = true, d.Balance
			}
		}
		if listed != (w.total < 0) || (listed && balance != w.total) {
			t.Errorf("card %s: debtor listed %v with cached balance %d; its entries sum to %d",
				centralMask(pc.card), listed, balance, w.total)
		}
	}
}

// centralMask masks card as central shows it (central.MaskCard: all but the
// last four digits starred), for log lines and matching its listings.
func centralMask(card string) string {
	return strings.Repeat("*", len(card)-4) + card[len(card)-4:]
}
