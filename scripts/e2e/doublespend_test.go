package e2e

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

const (
	spendCard = "8800000000017" // 1800 points in members.example.csv
	riceCode  = "6901234000030" // 4990 fen in catalog.example.csv
)

// cardAvailable reads central's available points of card: the sum of its
// entries less points still pending (the sales here earn some).
func (c *central) cardAvailable(t *testing.T, card string) (available int64, ok bool) {
	t.Helper()
	var b struct {
		Available int64 `json:"available"`
	}
	code, err := getJSON(c.http+"/v1/cards/"+card+"/balance", &b)
	return b.Available, err == nil && code == http.StatusOK
}

// pointsTender scans rice and the card on lane and offers points as
// tender; it returns the HTTP status of the tender.
func (a *agentProc) pointsTender(t *testing.T, lane string, points int64) int {
	t.Helper()
	base := a.api + "/v1/lanes/" + lane
	tillPost(t, base+"/scan", map[string]string{"data": riceCode}, http.StatusOK, nil)
	tillPost(t, base+"/scan", map[string]string{"data": spendCard}, http.StatusOK, nil)
	code, _, err := postJSON(context.Background(), base+"/tenders", map[string]any{"kind": "points", "points": points})
	if err != nil {
		t.Fatalf("points tender at %s: %v", a.agentID, err)
	}
	return code
}

// payAndCommit pays the rest of lane's basket in cash and commits it.
func (a *agentProc) payAndCommit(t *testing.T, lane string) {
	t.Helper()
	base := a.api + "/v1/lanes/" + lane
	var b basketView
	if code, err := getJSON(base+"/basket", &b); err != nil || code != http.StatusOK {
		t.Fatalf("basket of %s: %d %v", a.agentID, code, err)
	}
	tillPost(t, base+"/tenders", map[string]any{"kind": "cash", "amount_fen": b.DueFen}, http.StatusOK, nil)
	tillPost(t, base+"/commit", map[string]any{}, http.StatusCreated, nil)
}

func (a *agentProc) waitSynced(t *testing.T) {
	t.Helper()
	waitFor(t, syncTimeout, a.agentID+" to sync", func() bool {
		st := a.status(t)
		return st.Connected && st.LastAckedSeq == st.LastSeq
	})
}

// TestDoubleSpend: one member redeems at two stores at once. Online,
// central reserves the points and refuses the second store; offline, both
// stores redeem within their offline bound, and central flags the
// overdraft once the sales arrive.
func TestDoubleSpend(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	centralCLI(t, c, "points", "adjust", "--card", spendCard, "--points", "1800", "--reason", "opening balance", "--id", "open-1")
	var agents []*agentProc
	for _, id := range []struct{ store, agent string }{{"store-1", "store-1-a1"}, {"store-2", "store-2-a1"}} {
		addr := freeAddr(t)
		a := &agentProc{api: "http://" + addr, storeID: id.store, agentID: id.agent, dir: dir,
			env: agentEnv(dir, id.store, id.agent, addr, c.brokerURL)}
		a.loadExamples(t)
		a.launch(t)
		agents = append(agents, a)
	}
	for _, a := range agents {
		waitFor(t, syncTimeout, a.agentID+" to connect", func() bool { return a.status(t).Connected })
	}

	// Online: both stores ask for 1000 of the 1800 points at once.
	codes := make([]int, len(agents))
	var wg sync.WaitGroup
	for i, a := range agents {
		wg.Go(func() { codes[i] = a.pointsTender(t, "lane-1", 1000) })
	}
	wg.Wait()
	approved := -1
	for i, code := range codes {
		switch code {
		case http.StatusOK:
			if approved >= 0 {
				t.Fatalf("both stores were allowed 1000 of 1800 points online: %v", codes)
			}
			approved = i
		case http.StatusConflict:
		default:
			t.Fatalf("points tender answered %v", codes)
		}
	}
	if approved < 0 {
		t.Fatalf("neither store was allowed to redeem online: %v", codes)
	}
	agents[approved].payAndCommit(t, "lane-1")
	agents[approved].waitSynced(t)
	waitFor(t, syncTimeout, "central to hold the redemption", func() bool {
		available, ok := c.cardAvailable(t, spendCard)
		return ok && available == 800
	})

	// Offline: central and its broker are gone; each store redeems what its
	// own bound allows: the store that redeemed knows 800 are left, the
	// other still believes its cached 1800.
	c.kill(t)
	for _, a := range agents {
		waitFor(t, syncTimeout, a.agentID+" to notice it is offline", func() bool { return !a.status(t).Connected })
	}
	spender, other := agents[approved], agents[1-approved]
	if code := spender.pointsTender(t, "lane-2", 900); code != http.StatusConflict {
		t.Fatalf("offline store redeemed 900 of the 800 it knows are left: %d", code)
	}
	for _, step := range []struct {
		a      *agentProc
		lane   string
		points int64
	}{{spender, "lane-3", 800}, {other, "lane-2", 1800}} {
		if code := step.a.pointsTender(t, step.lane, step.points); code != http.StatusOK {
			t.Fatalf("%s offline tender of %d: %d", step.a.agentID, step.points, code)
		}
		step.a.payAndCommit(t, step.lane)
	}

	c.proc = start(t, dir, c.name, bins.central, c.env, "run")
	waitFor(t, 60*time.Second, "central to serve again", func() bool { return healthy(c.http) })
	for _, a := range agents {
		a.waitSynced(t)
	}
	// 1800 − 1000 − 800 − 1800: an overdraft of 1800, within the bound of
	// the daily cap (5000) times the two stores, and flagged.
	waitFor(t, syncTimeout, "central to hold every redemption", func() bool {
		available, ok := c.cardAvailable(t, spendCard)
		return ok && available == -1800
	})
	var flags struct {
		Overdrafts []struct {
			StoreID string `json:"store_id"`
		} `json:"overdrafts"`
	}
	if code, err := getJSON(c.http+"/v1/overdrafts", &flags); err != nil || code != http.StatusOK || len(flags.Overdrafts) == 0 {
		t.Fatalf("overdrafts: %d %v %+v; want the offline redemptions flagged", code, err, flags)
	}
}
