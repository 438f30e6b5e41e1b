package http_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/bolt"
	"golang.org/x/crypto/nacl/box"
)

// newEnrollServer is newTillServer with an enrollment block; with key,
// enrollment is on (central's key pair is made here).
func newEnrollServer(t *testing.T, key bool) *httptest.Server {
	t.Helper()
	return newTillServerWith(t, func(till *agent.Till, ledger *bolt.Ledger) {
		if err := ledger.SetEnrollBlock(context.Background(), "8800", 1, 99999999); err != nil {
			t.Fatal(err)
		}
		if key {
			pub, _, err := box.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			till.EnrollConfig = &agent.EnrollConfig{CentralKey: pub}
		}
	})
}

func TestEnrollAPI(t *testing.T) {
	srv := newEnrollServer(t, true)
	lane := srv.URL + "/v1/lanes/lane-1"
	// An anonymous purchase of 298 yuan (baby formula), paid in cash.
	if code, got := do(t, "POST", lane+"/scan", `{"data":"6901234000115"}`); code != http.StatusOK {
		t.Fatalf("scan: %d %v", code, got)
	}
	if code, got := do(t, "POST", lane+"/tenders", `{"kind":"cash","amount_fen":30000}`); code != http.StatusOK {
		t.Fatalf("tender: %d %v", code, got)
	}
	code, rc := do(t, "POST", lane+"/commit", `{}`)
	if code != http.StatusCreated {
		t.Fatalf("commit: %d %v", code, rc)
	}
	saleID := rc["sale"].(map[string]any)["sale_id"].(string)
	body := `{"lane":"lane-1","name":"张三","phone":"13812345678","income_bracket":"3000-8000","marketing_opt_out":true,"qualifying_sale_id":"` + saleID + `"}`
	code, got := do(t, "POST", srv.URL+"/v1/enrollments", body)
	if code != http.StatusCreated || got["card"] != "8800000000013" || got["member_id"] != "S-s1-8800000000013" ||
		got["masked_name"] != "张*" || got["phone_last4"] != "5678" || got["points_credited_pending"] != 298.0 {
		t.Fatalf("enroll: %d %v", code, got)
	}
	if code, b := do(t, "POST", lane+"/member", `{"card":"8800000000013"}`); code != http.StatusOK || b["member"].(map[string]any)["known"] != true {
		t.Errorf("new card at the till: %d %v", code, b)
	}
	if code, again := do(t, "POST", srv.URL+"/v1/enrollments", body); code != http.StatusConflict {
		t.Errorf("second enrollment on the same sale: %d %v, want 409", code, again)
	}
	code, next := do(t, "POST", srv.URL+"/v1/enrollments", `{"lane":"lane-2","name":"李四","phone":"13900001111"}`)
	if code != http.StatusCreated || next["card"] != "8800000000021" || next["points_credited_pending"] != 0.0 {
		t.Errorf("next enrollment: %d %v", code, next)
	}
}

func TestEnrollAPI_Err(t *testing.T) {
	srv := newEnrollServer(t, true)
	off := newEnrollServer(t, false)
	tests := []struct {
		name, url, body string
		code            int
		msg             string
	}{
		{"ErrOff", off.URL, `{"lane":"l1","name":"张三","phone":"13812345678"}`, 503, "no central key configured"},
		{"ErrName", srv.URL, `{"lane":"l1","name":"","phone":"13812345678"}`, 400, "name is required"},
		{"ErrPhone", srv.URL, `{"lane":"l1","name":"张三","phone":"12"}`, 400, "phone"},
		{"ErrIDNumber", srv.URL, `{"lane":"l1","name":"张三","phone":"13812345678","id_number":"11010519491231002X"}`, 400, "does not collect ID numbers"},
		{"ErrBracket", srv.URL, `{"lane":"l1","name":"张三","phone":"13812345678","income_bracket":"lots"}`, 400, "income bracket"},
		{"ErrUnknownSale", srv.URL, `{"lane":"l1","name":"张三","phone":"13812345678","qualifying_sale_id":"nope"}`, 404, "not in this store's records"},
		{"ErrUnknownField", srv.URL, `{"lane":"l1","name":"张三","phone":"13812345678","address":"x"}`, 400, "address"},
		{"ErrLane", srv.URL, `{"lane":"l 1","name":"张三","phone":"13812345678"}`, 400, "lane"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, got := do(t, "POST", tt.url+"/v1/enrollments", tt.body)
			e, _ := got["error"].(map[string]any)
			if code != tt.code || e == nil || !strings.Contains(e["message"].(string), tt.msg) {
				t.Errorf("%d %v, want %d with a message containing %q", code, got, tt.code, tt.msg)
			}
			if msg, _ := e["message"].(string); strings.Contains(msg, "13812345678") || strings.Contains(msg, "张三") {
				t.Errorf("error message %q quotes a personal field", msg)
			}
		})
	}
}
