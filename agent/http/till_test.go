package http_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
)

// newTillServer serves the till API over a real ledger loaded with the
// example catalog, members and policy from configs/.
func newTillServer(t testing.TB) *httptest.Server { return newTillServerWith(t, nil) }

// newTillServerWith is newTillServer with setup run on the till and its
// ledger before serving (the fixture of tillscreen_test.go).
func newTillServerWith(t testing.TB, setup func(*agent.Till, *bolt.Ledger)) *httptest.Server {
	t.Helper()
	f := newScreenFixture(t, nil)
	if setup != nil {
		setup(f.till, f.ledger)
	}
	return f.serve(t, nil)
}

func TestTillAPI_Sale(t *testing.T) {
	srv := newTillServer(t)
	lane := srv.URL + "/v1/lanes/lane-1"
	for _, data := range []string{"6901234000016", "8800000000017"} {
		if code, got := do(t, "POST", lane+"/scan", `{"data":"`+data+`"}`); code != http.StatusOK {
			t.Fatalf("scan %s: %d %v", data, code, got)
		}
	}
	code, b := do(t, "GET", lane+"/basket", "")
	if code != http.StatusOK || b["total_fen"] != 1150.0 || b["member_saving_fen"] != 140.0 {
		t.Fatalf("basket %d %v", code, b)
	}
	if m := b["member"].(map[string]any); m["card"] != "*********0017" || m["tier"] != "gold" {
		t.Errorf("member shown as %v", m)
	}
	if code, got := do(t, "POST", lane+"/tenders", `{"kind":"cash","amount_fen":2000}`); code != http.StatusOK || got["due_fen"] != -850.0 {
		t.Fatalf("tender %d %v", code, got)
	}
	code, r := do(t, "POST", lane+"/commit", `{}`)
	if code != http.StatusCreated || r["change_fen"] != 850.0 || r["points_earned_pending"].(float64) <= 0 {
		t.Fatalf("commit %d %v", code, r)
	}
	sale := r["sale"].(map[string]any)
	code, rr := do(t, "POST", srv.URL+"/v1/returns", `{"lane":"lane-1","sale_id":"`+sale["sale_id"].(string)+`","refund":"cash","lines":[{"line_no":1}]}`)
	if code != http.StatusCreated || rr["refund_fen"] != 1150.0 {
		t.Fatalf("return %d %v", code, rr)
	}
	code, again := do(t, "POST", srv.URL+"/v1/returns", `{"lane":"lane-1","sale_id":"`+sale["sale_id"].(string)+`","refund":"cash","lines":[{"line_no":1}]}`)
	if code != http.StatusConflict {
		t.Errorf("second return of the same line: %d %v, want 409", code, again)
	}
}

func TestTillAPI_Err(t *testing.T) {
	srv := newTillServer(t)
	lane := srv.URL + "/v1/lanes/lane-1"
	tests := []struct {
		name, method, url, body string
		code                    int
		msg                     string
	}{
		{"ErrCheckDigit", "POST", lane + "/scan", `{"data":"6901234000017"}`, 400, "check digit"},
		{"ErrUnknownBarcode", "POST", lane + "/scan", `{"data":"5901234123457"}`, 404, "unknown barcode"},
		{"ErrBlockedCard", "POST", lane + "/member", `{"card":"8800000000048"}`, 409, "blocked"},
		{"ErrBadLane", "POST", srv.URL + "/v1/lanes/lane%201/scan", `{"data":"6901234000016"}`, 400, "lane"},
		{"ErrUnknownField", "POST", lane + "/scan", `{"data":"6901234000016","qty":2}`, 400, "qty"},
		{"ErrTenderKind", "POST", lane + "/tenders", `{"kind":"cheque","amount_fen":1}`, 400, "cash, bank_card or points"},
		{"ErrNothingToCommit", "POST", lane + "/commit", `{}`, 400, "nothing to commit"},
		{"ErrLineNo", "DELETE", lane + "/lines/zero", ``, 400, "line number"},
		{"ErrUnknownSale", "POST", srv.URL + "/v1/returns", `{"lane":"lane-1","sale_id":"x","refund":"cash","lines":[{"line_no":1}]}`, 404, "unknown"},
		{"ErrReward", "POST", lane + "/rewards", `{"reward_id":"nope"}`, 404, "reward"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, got := do(t, tt.method, tt.url, tt.body)
			e, _ := got["error"].(map[string]any)
			if code != tt.code || e == nil || !strings.Contains(e["message"].(string), tt.msg) {
				t.Errorf("%d %v, want %d with a message containing %q", code, got, tt.code, tt.msg)
			}
		})
	}
}

func TestTillAPI_Events(t *testing.T) {
	srv := newTillServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/events?lane=lane-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	go func() {
		do(t, "POST", srv.URL+"/v1/lanes/lane-2/scan", `{"data":"6901234000016"}`) // other lane: filtered out
		do(t, "POST", srv.URL+"/v1/lanes/lane-1/scan", `{"data":"6901234000016"}`)
	}()
	sc := bufio.NewScanner(resp.Body)
	var events []string
	for sc.Scan() && len(events) < 2 {
		line := sc.Text()
		if strings.HasPrefix(line, "event: ") {
			events = append(events, strings.TrimPrefix(line, "event: "))
		}
		if strings.HasPrefix(line, "data: ") && !strings.Contains(line, `"lane":"lane-1"`) {
			t.Errorf("event of another lane: %s", line)
		}
	}
	if len(events) != 2 || events[0] != agent.EventBasket || events[1] != agent.EventScan {
		t.Errorf("events %v, want basket then scan", events)
	}
}
