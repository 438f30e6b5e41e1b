package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Expected earnings of one bag of rice (riceCode, 4990 fen, grocery) under
// configs/policy.yaml: earn_points 1 per earn_per_fen 100, floor, times
// the tier multiplier in hundredths (vip: 200). The multiplier applies
// before rounding (agent Policy.Earn).
const (
	riceFen        = 4990
	riceBasePoints = riceFen * 1 / 100         // 49
	riceVIPPoints  = riceFen * 1 * 200 / 10000 // 99
)

// tierFillers is how many other members buy once: with the default
// pyramid (VIP the top 1 %), a hundred classified members make one VIP.
const tierFillers = 99

type tierReceipt struct {
	PointsEarned int64 `json:"points_earned_pending"`
	Member       *struct {
		Tier string `json:"tier"`
	} `json:"member"`
}

// riceSale sells one bag of rice to card on lane, paid in cash, and
// returns the receipt.
func (a *agentProc) riceSale(t *testing.T, lane, card string) tierReceipt {
	t.Helper()
	base := a.api + "/v1/lanes/" + lane
	tillPost(t, base+"/scan", map[string]string{"data": riceCode}, http.StatusOK, nil)
	tillPost(t, base+"/scan", map[string]string{"data": card}, http.StatusOK, nil)
	var b basketView
	if code, err := getJSON(base+"/basket", &b); err != nil || code != http.StatusOK {
		t.Fatalf("basket: %d %v", code, err)
	}
	tillPost(t, base+"/tenders", map[string]any{"kind": "cash", "amount_fen": b.DueFen}, http.StatusOK, nil)
	var raw json.RawMessage
	tillPost(t, base+"/commit", map[string]any{}, http.StatusCreated, &raw)
	var r tierReceipt
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("receipt: %v: %s", err, raw)
	}
	return r
}

// memberTier scans card alone on lane, reads the tier the till shows and
// cancels the basket.
func (a *agentProc) memberTier(t *testing.T, lane, card string) string {
	t.Helper()
	base := a.api + "/v1/lanes/" + lane
	var b basketView
	tillPost(t, base+"/scan", map[string]string{"data": card}, http.StatusOK, &b)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, base+"/basket", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("cancel basket: %v", err)
	}
	if err := resp.Body.Close(); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("cancel basket: %d %v", resp.StatusCode, err)
	}
	if b.Member == nil {
		return ""
	}
	return b.Member.Tier
}

// TestTier_VIPEndToEnd: a member's spend at a store makes them VIP when
// HQ classifies; the tier reaches the store with the member records, and
// the next sale there earns at the VIP multiplier.
func TestTier_VIPEndToEnd(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	addr := freeAddr(t)
	a := &agentProc{api: "http://" + addr, storeID: "store-1", agentID: "store-1-a1", dir: dir,
		env: agentEnv(dir, "store-1", "store-1-a1", addr, c.brokerURL)}
	a.loadExamples(t)
	a.launch(t)
	waitFor(t, syncTimeout, "the agent to connect", func() bool { return a.status(t).Connected })

	// The member (gold in the example cache) buys twice, so a repeat
	// customer and not a one-off; a hundred others buy once (key 0).
	const vip = spendCard
	for range 2 {
		a.riceSale(t, "lane-1", vip)
	}
	for i := range tierFillers {
		card := fmt.Sprintf("88003%08d", i+1)
		if r := a.riceSale(t, "lane-2", card); r.PointsEarned != riceBasePoints {
			t.Fatalf("filler %d earned %d; want %d", i, r.PointsEarned, riceBasePoints)
		}
	}
	a.waitSynced(t)
	waitFor(t, syncTimeout, "the member's sales at central", func() bool {
		available, ok := c.cardAvailable(t, vip)
		return ok && available >= 0 // central holds the card's entries
	})

	out := centralCLI(t, c, "classify")
	if !strings.Contains(out, "tiers:") {
		t.Fatalf("classify printed no tiers:\n%s", out)
	}
	if out := centralCLI(t, c, "tiers", "show", "--card", vip); !strings.Contains(out, "tier vip since") {
		t.Fatalf("tier at central after classify:\n%s", out)
	}
	if out := centralCLI(t, c, "tiers", "show", "--card", "8800300000001"); !strings.Contains(out, "tier regular since") {
		t.Fatalf("a one-off buyer's tier at central:\n%s", out)
	}
	waitFor(t, syncTimeout, "the till to show the member as vip", func() bool {
		return a.memberTier(t, "lane-3", vip) == "vip"
	})
	r := a.riceSale(t, "lane-4", vip)
	if r.Member == nil || r.Member.Tier != "vip" || r.PointsEarned != riceVIPPoints {
		t.Fatalf("the VIP's next sale earned %d as %+v; want %d as vip", r.PointsEarned, r.Member, riceVIPPoints)
	}
}
