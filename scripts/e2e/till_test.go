package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// configsDir is the repository's configs/ folder (example catalog,
// members and policy files).
func configsDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the source directory")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "configs")
}

// loadExamples loads the example catalog, members and policy into the
// stopped agent's ledger with the CLI, as a store manager would.
func (a *agentProc) loadExamples(t testing.TB) {
	t.Helper()
	dir := configsDir(t)
	for _, args := range [][]string{
		{"catalog", "load", filepath.Join(dir, "catalog.example.csv")},
		{"members", "load", filepath.Join(dir, "members.example.csv")},
		{"policy", "load", filepath.Join(dir, "policy.yaml")},
	} {
		cmd := exec.Command(bins.agent, args...)
		cmd.Env = append(os.Environ(), a.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tillsync-agent %v: %v\n%s", args, err, out)
		}
	}
}

// tillPost posts body to the agent and decodes the answer into out.
func tillPost(t testing.TB, url string, body any, wantCode int, out any) {
	t.Helper()
	code, raw, err := postJSON(context.Background(), url, body)
	if err != nil || code != wantCode {
		t.Fatalf("POST %s: %d %v %s", url, code, err, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("POST %s: %v: %s", url, err, raw)
		}
	}
}

type basketView struct {
	BasketID string `json:"basket_id"`
	Rev      int64  `json:"rev"`
	TotalFen int64  `json:"total_fen"`
	DueFen   int64  `json:"due_fen"`
	Lines    []struct {
		SKU string `json:"sku"`
	} `json:"lines"`
	Member *struct {
		Tier string `json:"tier"`
	} `json:"member"`
}

// TestTill_SurvivesKill: an open basket and a committed member sale both
// survive kill -9 of the agent, and the sale with its points reaches central.
func TestTill_SurvivesKill(t *testing.T) {
	dir := t.TempDir()
	c := startCentral(t, centralOpts{dir: dir})
	addr := freeAddr(t)
	a := &agentProc{api: "http://" + addr, storeID: "store-1", agentID: "store-1-a1", dir: dir,
		env: agentEnv(dir, "store-1", "store-1-a1", addr, c.brokerURL)}
	a.loadExamples(t)
	a.launch(t)
	lane := a.api + "/v1/lanes/lane-1"

	var b basketView
	for _, data := range []string{"6901234000016", "6901234000016", "8800000000017", "2112345012506"} {
		tillPost(t, lane+"/scan", map[string]string{"data": data}, http.StatusOK, &b)
	}
	if len(b.Lines) != 2 || b.Member == nil || b.Member.Tier != "gold" {
		t.Fatalf("basket before the kill: %+v", b)
	}
	a.kill(t)
	a.launch(t)
	var after basketView
	if code, err := getJSON(lane+"/basket", &after); err != nil || code != http.StatusOK {
		t.Fatalf("basket after restart: %d %v", code, err)
	}
	if after.BasketID != b.BasketID || after.Rev != b.Rev || after.TotalFen != b.TotalFen || after.Member == nil {
		t.Fatalf("basket after kill -9: %+v, before %+v", after, b)
	}
	tillPost(t, lane+"/tenders", map[string]any{"kind": "cash", "amount_fen": after.DueFen + 1000}, http.StatusOK, nil)
	var receipt struct {
		Sale struct {
			SaleID   string `json:"sale_id"`
			TotalFen int64  `json:"total_fen"`
		} `json:"sale"`
		ChangeFen    int64 `json:"change_fen"`
		PointsEarned int64 `json:"points_earned_pending"`
	}
	tillPost(t, lane+"/commit", map[string]any{}, http.StatusCreated, &receipt)
	if receipt.ChangeFen != 1000 || receipt.PointsEarned <= 0 || receipt.Sale.TotalFen != b.TotalFen {
		t.Errorf("receipt %+v", receipt)
	}
	a.kill(t)
	a.checkLedger(t)
	a.launch(t)
	if code, err := getJSON(a.api+"/v1/sales/"+receipt.Sale.SaleID, nil); err != nil || code != http.StatusOK {
		t.Fatalf("committed sale after kill -9: %d %v", code, err)
	}
	waitFor(t, syncTimeout, "the sale to reach central", func() bool {
		code, err := getJSON(c.http+"/v1/sales/"+receipt.Sale.SaleID, nil)
		return err == nil && code == http.StatusOK
	})
}
