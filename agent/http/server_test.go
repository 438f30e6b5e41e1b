package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
	agenthttp "github.com/tillsync/tillsync/agent/http"
)

// newTestServer serves the API over a real ledger file in a temp dir.
func newTestServer(t *testing.T) (*httptest.Server, *bolt.Ledger) {
	t.Helper()
	ledger, err := bolt.Open(filepath.Join(t.TempDir(), "ledger.db"), bolt.Options{StoreID: "s1", AgentID: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ledger.Close(); err != nil {
			t.Error(err)
		}
	})
	n := 0
	svc := &agent.Service{
		StoreID: "s1", AgentID: "a1", Ledger: ledger,
		Now: func() time.Time { return time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC) },
		NewID: func() (string, error) {
			n++
			return "0193a8f0-0000-7000-8000-" + strings.Repeat("0", 11) + string(rune('0'+n%10)), nil
		},
	}
	srv := httptest.NewServer(agenthttp.NewServer(svc, nil, nil, nil).Handler())
	t.Cleanup(srv.Close)
	return srv, ledger
}

func do(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v: %s", method, url, err, raw)
	}
	return resp.StatusCode, out
}

func TestServer_RecordSale(t *testing.T) {
	srv, ledger := newTestServer(t)
	t.Run("OK", func(t *testing.T) {
		code, got := do(t, "POST", srv.URL+"/v1/sales", `{"lane":"lane-1","member_card":"8800123456789",
			"lines":[{"sku":"MILK","quantity_milli":2000,"unit_price_fen":599,"line_total_fen":1198},
			         {"sku":"APPLE","barcode":"2212345012345","quantity_milli":333,"unit_price_fen":1099}],
			"total_fen":1564}`)
		if code != http.StatusCreated {
			t.Fatalf("status %d: %v", code, got)
		}
		// 0.333 kg × 1099 fen = 365.967 → 366 fen, rounded half up.
		if got["total_fen"] != 1564.0 || got["seq"] != 1.0 || got["receipt_no"] == "" {
			t.Errorf("answer %v", got)
		}
		if got["member_card"] != "*********6789" {
			t.Errorf("member card answered as %v, want masked", got["member_card"])
		}
		code, read := do(t, "GET", srv.URL+"/v1/sales/"+got["sale_id"].(string), "")
		if code != http.StatusOK || read["total_fen"] != 1564.0 || len(read["lines"].([]any)) != 2 {
			t.Errorf("read back %d %v", code, read)
		}
	})
	t.Run("OKRetrySameID", func(t *testing.T) {
		body := `{"sale_id":"0193a8f0-1111-7000-8000-000000000001","lane":"lane-2","lines":[{"sku":"BREAD","quantity_milli":1000,"unit_price_fen":450}]}`
		code1, first := do(t, "POST", srv.URL+"/v1/sales", body)
		code2, second := do(t, "POST", srv.URL+"/v1/sales", body)
		if code1 != http.StatusCreated || code2 != http.StatusCreated || first["seq"] != second["seq"] {
			t.Fatalf("retry: %d %v then %d %v", code1, first, code2, second)
		}
		code3, conflict := do(t, "POST", srv.URL+"/v1/sales", strings.Replace(body, "450", "451", 1))
		if code3 != http.StatusConflict {
			t.Errorf("reused id with other content: %d %v, want 409", code3, conflict)
		}
	})
	st, err := ledger.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.LastSeq != 2 {
		t.Errorf("journal holds %d sales, want 2 (a retry must not record twice)", st.LastSeq)
	}
}

func TestServer_RecordSale_Err(t *testing.T) {
	srv, ledger := newTestServer(t)
	tests := []struct {
		name, body, wantMsg string
	}{
		{"ErrBadJSON", `{"lane":"lane-1",`, "invalid JSON"},
		{"ErrEmpty", ``, "empty body"},
		{"ErrUnknownField", `{"lane":"lane-1","discount":5,"lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":1}]}`, "discount"},
		{"ErrTrailing", `{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":1}]} {}`, "data after"},
		{"ErrWrongType", `{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":"lots","unit_price_fen":1}]}`, "quantity_milli"},
		{"ErrFloat", `{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":1.5,"unit_price_fen":1}]}`, "quantity_milli"},
		{"ErrNegativeQuantity", `{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":-1000,"unit_price_fen":100}]}`, "lines[0].quantity_milli"},
		{"ErrNegativePrice", `{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":-1}]}`, "lines[0].unit_price_fen"},
		{"ErrNoLines", `{"lane":"lane-1","lines":[]}`, "at least one line"},
		{"ErrNoLane", `{"lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":1}]}`, "lane"},
		{"ErrWrongLineTotal", `{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":100,"line_total_fen":99}]}`, "computed 100"},
		{"ErrWrongTotal", `{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":100}],"total_fen":1}`, "total_fen"},
		{"ErrBadSaleID", `{"sale_id":"not-a-uuid","lane":"lane-1","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":1}]}`, "sale_id"},
		{"ErrBadCard", `{"lane":"lane-1","member_card":"88 00","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":1}]}`, "member_card"},
		{"ErrOverflow", `{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":9223372036854775807,"unit_price_fen":9223372036854775807}]}`, "out of range"},
		{"ErrTooBig", `{"lane":"` + strings.Repeat("x", 2<<20) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, got := do(t, "POST", srv.URL+"/v1/sales", tt.body)
			if code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %v", code, got)
			}
			e, _ := got["error"].(map[string]any)
			if e["code"] != agent.EINVALID || !strings.Contains(e["message"].(string), tt.wantMsg) {
				t.Errorf("error %v, want code invalid and message containing %q", got, tt.wantMsg)
			}
		})
	}
	st, err := ledger.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.LastSeq != 0 {
		t.Errorf("rejected requests wrote %d journal entries", st.LastSeq)
	}
}

func TestServer_GetSale_ErrNotFound(t *testing.T) {
	srv, _ := newTestServer(t)
	code, got := do(t, "GET", srv.URL+"/v1/sales/0193a8f0-0000-7000-8000-00000000dead", "")
	if code != http.StatusNotFound {
		t.Errorf("status %d %v, want 404", code, got)
	}
}

func TestServer_Status(t *testing.T) {
	srv, _ := newTestServer(t)
	for i := 0; i < 3; i++ {
		if code, got := do(t, "POST", srv.URL+"/v1/sales", `{"lane":"l1","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":100}]}`); code != http.StatusCreated {
			t.Fatalf("sale %d: %d %v", i, code, got)
		}
	}
	code, got := do(t, "GET", srv.URL+"/v1/status", "")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if got["last_seq"] != 3.0 || got["outbox_depth"] != 3.0 || got["last_acked_seq"] != 0.0 || got["connected"] != false {
		t.Errorf("status %v", got)
	}
}

func TestServer_Metrics(t *testing.T) {
	srv, _ := newTestServer(t)
	if code, got := do(t, "POST", srv.URL+"/v1/sales", `{"lane":"l1","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":100}]}`); code != http.StatusCreated {
		t.Fatalf("sale: %d %v", code, got)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tillsync_outbox_depth 1\n", "tillsync_journal_last_seq 1\n", "tillsync_uplink_connected 0\n", "# TYPE tillsync_device_up gauge\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}
