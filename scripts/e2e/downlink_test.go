package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/curve25519"
)

// downlinkBarcode is a product every catalog of the test sells.
const downlinkBarcode = "6901234000016"

// publishCatalog publishes a one-product catalog with price as the next
// catalog version through central's CLI, as HQ would.
func publishCatalog(t *testing.T, c *central, dir string, price int) {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("catalog-%d.csv", price))
	csv := "sku,barcodes,name,category,price_fen,member_price_fen,weighed,points_eligible,points_multiplier,item_code\n" +
		fmt.Sprintf("SOY-500,%s,酱油 500ml,condiments,%d,,false,true,,\n", downlinkBarcode, price)
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	centralCLI(t, c, "catalog", "publish", path)
}

// centralCLI runs a tillsync-central command on c's database.
func centralCLI(t *testing.T, c *central, args ...string) string {
	t.Helper()
	cmd := exec.Command(bins.central, args...)
	cmd.Env = append(os.Environ(), c.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tillsync-central %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// streamVersion reads the version of stream the agent holds.
func (a *agentProc) streamVersion(t *testing.T, stream string) uint64 {
	t.Helper()
	var st struct {
		Versions map[string]uint64 `json:"versions"`
	}
	if code, err := getJSON(a.api+"/v1/status", &st); err != nil || code != http.StatusOK {
		return 0
	}
	return st.Versions[stream]
}

func (a *agentProc) waitVersion(t *testing.T, stream string, v uint64) {
	t.Helper()
	waitFor(t, syncTimeout, fmt.Sprintf("%s to hold %s version %d", a.agentID, stream, v), func() bool {
		return a.streamVersion(t, stream) == v
	})
}

// scanPrice scans the test product on a fresh lane and returns its price.
func (a *agentProc) scanPrice(t *testing.T, lane string) int64 {
	t.Helper()
	var b basketView
	tillPost(t, a.api+"/v1/lanes/"+lane+"/scan", map[string]string{"data": downlinkBarcode}, http.StatusOK, &b)
	return b.TotalFen
}

func logCount(t *testing.T, path, s string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read log: %v", err)
	}
	return strings.Count(string(b), s)
}

// TestDownlink_CatalogAndBlocks: HQ's catalog reaches every store; a store
// offline through three versions catches up by delta, one offline past the
// delta window by a snapshot; a card blocked at HQ is refused at the till.
func TestDownlink_CatalogAndBlocks(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	a1 := startAgent(t, dir, "store-1", "store-1-a1", c.brokerURL)
	a2 := startAgent(t, dir, "store-2", "store-2-a1", c.brokerURL)

	// The policy comes from HQ too: the tills need one to sell.
	centralCLI(t, c, "policy", "publish", filepath.Join(configsDir(t), "policy.yaml"))
	publishCatalog(t, c, dir, 1000)
	a1.waitVersion(t, "policy", 1)
	a2.waitVersion(t, "policy", 1)
	a1.waitVersion(t, "catalog", 1)
	a2.waitVersion(t, "catalog", 1)
	if p := a1.scanPrice(t, "lane-1"); p != 1000 {
		t.Fatalf("price at store 1 = %d; want 1000", p)
	}

	// Offline through three versions: deltas.
	a2.stop(t)
	for _, price := range []int{1100, 1200, 1300} {
		publishCatalog(t, c, dir, price)
	}
	a1.waitVersion(t, "catalog", 4)
	a2.launch(t)
	a2.waitVersion(t, "catalog", 4)
	// The ledger logs an apply just after its commit, which the status
	// may show first.
	waitFor(t, syncTimeout, "store 2 to log its deltas", func() bool { return logCount(t, a2.log, "catalog delta applied") >= 3 })
	if n := logCount(t, a2.log, "catalog delta applied"); n != 3 {
		t.Errorf("store 2 applied %d deltas on catching up; want 3", n)
	}
	if logContains(t, a2.log, "catalog replaced") {
		t.Errorf("store 2 got a snapshot for a gap of three versions")
	}

	// Offline past the delta window (10): one snapshot.
	a2.stop(t)
	for price := 2000; price < 2012; price++ {
		publishCatalog(t, c, dir, price)
	}
	a2.launch(t)
	a2.waitVersion(t, "catalog", 16)
	waitFor(t, syncTimeout, "store 2 to log its snapshot", func() bool { return logContains(t, a2.log, "catalog replaced") })
	if !logContains(t, a2.log, "catalog replaced") || logContains(t, a2.log, "catalog delta applied") {
		t.Errorf("store 2 did not catch up past the window by one snapshot")
	}
	if p := a2.scanPrice(t, "lane-1"); p != 2011 {
		t.Fatalf("price at store 2 after catching up = %d; want 2011", p)
	}

	// A card blocked at HQ is refused at every till, even where the store
	// never knew the member.
	const card = "8800000000017"
	centralCLI(t, c, "cards", "block", card, "--reason", "reported lost")
	a1.waitVersion(t, "card_blocks", 1)
	a2.waitVersion(t, "card_blocks", 1)
	code, body, err := postJSON(t.Context(), a2.api+"/v1/lanes/lane-2/scan", map[string]string{"data": card})
	if err != nil || code != http.StatusConflict || !strings.Contains(string(body), "reported lost") {
		t.Fatalf("blocked card at store 2: %d %v %s; want 409 with the reason", code, err, body)
	}
	centralCLI(t, c, "cards", "unblock", card)
	a1.waitVersion(t, "card_blocks", 2)
	tillPost(t, a1.api+"/v1/lanes/lane-3/scan", map[string]string{"data": card}, http.StatusOK, nil)
}

// TestDownlink_MembersAndEnrollment: central's key and an enrollment block
// assigned at HQ let the till enroll (neither is in the agent's config);
// the new member reaches central, and an adjustment made at HQ reaches the
// store's member cache: the till's next receipt shows it available.
func TestDownlink_MembersAndEnrollment(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	a := startAgent(t, dir, "store-1", "store-1-a1", c.brokerURL)
	centralCLI(t, c, "policy", "publish", filepath.Join(configsDir(t), "policy.yaml"))
	publishCatalog(t, c, dir, 1000)
	a.waitVersion(t, "catalog", 1)
	a.waitVersion(t, "policy", 1)

	var pub, priv [32]byte
	if _, err := rand.Read(priv[:]); err != nil {
		t.Fatal(err)
	}
	curve25519.ScalarBaseMult(&pub, &priv)
	centralCLI(t, c, "keys", "publish", "--public-key", base64.StdEncoding.EncodeToString(pub[:]))
	centralCLI(t, c, "enroll", "assign", "--store", "store-1", "--prefix", "8800000000", "--first", "1", "--last", "99")
	overlap := exec.Command(bins.central, "enroll", "assign", "--store", "store-2", "--prefix", "8800000000", "--first", "50", "--last", "60")
	overlap.Env = append(os.Environ(), c.env...)
	if out, err := overlap.CombinedOutput(); err == nil || !strings.Contains(string(out), "collides") {
		t.Fatalf("assigning store-2 a block overlapping store-1's: %v %s; want refused", err, out)
	}

	var enrolled struct {
		Card string `json:"card"`
	}
	waitFor(t, syncTimeout, "the till to enroll with HQ's key and block", func() bool {
		code, body, err := postJSON(t.Context(), a.api+"/v1/enrollments",
			map[string]string{"lane": "lane-1", "name": "张三", "phone": "13912345678"})
		return err == nil && code == http.StatusCreated && json.Unmarshal(body, &enrolled) == nil
	})
	if !strings.HasPrefix(enrolled.Card, "880000000001") {
		t.Fatalf("enrolled card %q; want the first number of HQ's block", enrolled.Card)
	}
	// The enrollment reaches central, which sends the store its member
	// record; then HQ adjusts the member's points.
	waitFor(t, syncTimeout, "the store's first member records", func() bool {
		return logContains(t, a.log, "member records applied")
	})
	applied := logCount(t, a.log, "member records applied")
	centralCLI(t, c, "points", "adjust", "--card", enrolled.Card, "--points", "500", "--reason", "welcome gift", "--id", "welcome-1")
	waitFor(t, syncTimeout, "the adjustment's member record at the store", func() bool {
		return logCount(t, a.log, "member records applied") > applied
	})

	lane := a.api + "/v1/lanes/lane-2"
	var b basketView
	tillPost(t, lane+"/scan", map[string]string{"data": downlinkBarcode}, http.StatusOK, &b)
	tillPost(t, lane+"/member", map[string]string{"card": enrolled.Card}, http.StatusOK, &b)
	if b.Member == nil {
		t.Fatalf("basket %+v: the enrolled card is not recognised", b)
	}
	tillPost(t, lane+"/tenders", map[string]any{"kind": "cash", "amount_fen": b.DueFen}, http.StatusOK, &b)
	var receipt struct {
		Points struct {
			Available int64 `json:"available"`
		} `json:"points"`
	}
	tillPost(t, lane+"/commit", map[string]any{}, http.StatusCreated, &receipt)
	if receipt.Points.Available != 500 {
		t.Fatalf("points available at the till after HQ's +500 = %d; want 500", receipt.Points.Available)
	}
}
