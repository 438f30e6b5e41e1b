package http_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPI sends arbitrary bodies to every JSON endpoint of the till API:
// whatever arrives, the answer is a coded JSON answer, never a 500 or a
// crash (DESIGN §8 invariant 4).
func FuzzAPI(f *testing.F) {
	for _, seed := range []string{
		`{"lane":"l1","lines":[{"sku":"1001","quantity_milli":1000,"unit_price_fen":1290}]}`,
		`{"data":"6901234000016"}`, `{"data":"8800000000017"}`, `{"data":"2112345012506"}`,
		`{"sku":"1001","quantity_milli":2000}`, `{"card":"8800000000048"}`, `{"reward_id":"thermos"}`,
		`{"kind":"cash","amount_fen":100}`, `{"kind":"points","points":100}`, `{"quantity_milli":-1}`,
		`{"lane":"l1","sale_id":"x","refund":"cash","lines":[{"line_no":1}]}`,
		`{`, `null`, `[]`, `{"data":null}`, `{"data":"\u0000"}`, "\xff\xfe", `{"lines":[{}]}`,
	} {
		f.Add(0, seed)
	}
	srv := newTillServer(f)
	paths := []string{"/v1/sales", "/v1/lanes/l1/scan", "/v1/lanes/l1/items", "/v1/lanes/l1/member",
		"/v1/lanes/l1/rewards", "/v1/lanes/l1/tenders", "/v1/lanes/l1/commit", "/v1/returns"}
	f.Fuzz(func(t *testing.T, which int, body string) {
		path := paths[uint(which)%uint(len(paths))]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		w := httptest.NewRecorder()
		srv.Config.Handler.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusCreated, http.StatusBadRequest, http.StatusNotFound, http.StatusConflict:
		default:
			t.Fatalf("POST %s %q: status %d %s", path, body, w.Code, w.Body)
		}
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("POST %s: answer is not JSON: %q", path, w.Header().Get("Content-Type"))
		}
	})
}
