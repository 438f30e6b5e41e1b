package e2e

import (
	"net"
	"net/http"
	"testing"
	"time"
)

type centralAgent struct {
	AgentID           string `json:"agent_id"`
	StoreID           string `json:"store_id"`
	Events            int64  `json:"events"`
	MaxSeq            uint64 `json:"max_seq"`
	ContiguousThrough uint64 `json:"contiguous_through"`
}

type centralStore struct {
	StoreID  string `json:"store_id"`
	Sales    int64  `json:"sales"`
	TotalFen int64  `json:"total_fen"`
}

func (c *central) agent(t testing.TB, id string) (centralAgent, bool) {
	t.Helper()
	var out struct {
		Agents []centralAgent `json:"agents"`
	}
	if code, err := getJSON(c.http+"/v1/agents", &out); err != nil || code != http.StatusOK {
		t.Logf("central agents: %d %v", code, err)
		return centralAgent{}, false
	}
	for _, a := range out.Agents {
		if a.AgentID == id {
			return a, true
		}
	}
	return centralAgent{}, false
}

func (c *central) store(t testing.TB, id string) centralStore {
	t.Helper()
	var out struct {
		Stores []centralStore `json:"stores"`
	}
	if code, err := getJSON(c.http+"/v1/reports/sales-by-store", &out); err != nil || code != http.StatusOK {
		t.Fatalf("central sales by store: %d %v", code, err)
	}
	for _, s := range out.Stores {
		if s.StoreID == id {
			return s
		}
	}
	return centralStore{StoreID: id}
}

// checkExactlyOnce waits until the agent's outbox is empty and then checks
// DESIGN §8 invariant 1 for it: central holds every journal entry of the
// agent once and with no gap, every sale the test had confirmed is there
// with its total, and the store's count and sum equal the test's book
// (this test runs one agent per store).
func checkExactlyOnce(t testing.TB, c *central, a *agentProc, book *ledgerBook) {
	t.Helper()
	waitFor(t, syncTimeout, a.agentID+" outbox to drain", func() bool {
		st := a.status(t)
		return st.OutboxDepth == 0 && st.LastSeq > 0
	})
	st := a.status(t)
	n, fen := book.total()
	if st.LastSeq != uint64(n) {
		t.Errorf("agent journal holds %d sales, the test confirmed %d", st.LastSeq, n)
	}
	ca, ok := c.agent(t, a.agentID)
	if !ok {
		t.Fatalf("central does not know agent %s", a.agentID)
	}
	if ca.Events != int64(st.LastSeq) || ca.MaxSeq != st.LastSeq || ca.ContiguousThrough != st.LastSeq {
		t.Errorf("central holds %+v for agent %s, want exactly seqs 1..%d", ca, a.agentID, st.LastSeq)
	}
	cs := c.store(t, a.storeID)
	if cs.Sales != int64(n) || cs.TotalFen != fen {
		t.Errorf("central has %d sales totalling %d fen for %s, the till confirmed %d totalling %d", cs.Sales, cs.TotalFen, a.storeID, n, fen)
	}
	book.mu.Lock()
	defer book.mu.Unlock()
	for id, s := range book.confirmed {
		var got struct {
			TotalFen int64  `json:"total_fen"`
			StoreID  string `json:"store_id"`
		}
		code, err := getJSON(c.http+"/v1/sales/"+id, &got)
		if err != nil || code != http.StatusOK || got.TotalFen != s.TotalFen || got.StoreID != a.storeID {
			t.Errorf("sale %s at central: %d %v %+v, want total %d", id, code, err, got, s.TotalFen)
		}
	}
}

func netSplit(addr string) (string, string, error) { return net.SplitHostPort(addr) }

func dialable(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	return conn.Close() == nil
}
