package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain_CommitLatency runs the agent's Main with the uplink off and
// checks the wiring: every sale the API commits is observed once in
// tillsync_sale_commit_duration_seconds, and /readyz answers.
func TestMain_CommitLatency(t *testing.T) {
	c := DefaultConfig()
	c.Ledger.Path = filepath.Join(t.TempDir(), "ledger.db")
	c.API.Listen = "127.0.0.1:0"
	c.Uplink.Mode = UplinkOff
	m := NewMain(c)
	m.Logger = slog.New(slog.DiscardHandler)
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	base := "http://" + m.Server.Addr()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	for i := 0; i < 3; i++ {
		resp, err := http.Post(base+"/v1/sales", "application/json",
			strings.NewReader(`{"lane":"lane-1","lines":[{"sku":"A","quantity_milli":1000,"unit_price_fen":100}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.Body.Close(); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("sale %d: status %d", i, resp.StatusCode)
		}
	}
	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		"# TYPE tillsync_sale_commit_duration_seconds histogram\n",
		"tillsync_sale_commit_duration_seconds_count 3\n",
		`tillsync_sale_commit_duration_seconds_bucket{le="+Inf"} 3` + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	// No policy is loaded: the till would refuse baskets, so not ready.
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "no loyalty policy loaded") {
		t.Errorf("readyz = %d %s, want 503 without a policy", code, body)
	}
}
