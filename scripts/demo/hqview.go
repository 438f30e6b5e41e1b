package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"time"
)

// hqSales is central's sales per store (GET /v1/reports/sales-by-store).
func (h *hq) sales() (map[string]storeSales, error) {
	var out struct {
		Stores []storeSales `json:"stores"`
	}
	if err := h.http.do(context.Background(), "GET", "/v1/reports/sales-by-store", nil, &out); err != nil {
		return nil, fmt.Errorf("sales by store at HQ: %w", err)
	}
	m := map[string]storeSales{}
	for _, s := range out.Stores {
		m[s.StoreID] = s
	}
	return m, nil
}

type storeSales struct {
	StoreID  string `json:"store_id"`
	Sales    int64  `json:"sales"`
	TotalFen int64  `json:"total_fen"`
}

// presence is which stores central sees online (GET /v1/stores).
func (h *hq) presence() (map[string]bool, error) {
	var out struct {
		Stores []struct {
			StoreID      string `json:"store_id"`
			AgentsOnline int    `json:"agents_online"`
		} `json:"stores"`
	}
	if err := h.http.do(context.Background(), "GET", "/v1/stores", nil, &out); err != nil {
		return nil, fmt.Errorf("stores at HQ: %w", err)
	}
	m := map[string]bool{}
	for _, s := range out.Stores {
		m[s.StoreID] = s.AgentsOnline > 0
	}
	return m, nil
}

// agentSync is how much of one agent's journal central holds (GET /v1/agents).
type agentSync struct {
	AgentID           string `json:"agent_id"`
	Events            int64  `json:"events"`
	MaxSeq            uint64 `json:"max_seq"`
	ContiguousThrough uint64 `json:"contiguous_through"`
	Missing           uint64 `json:"missing"`
}

func (h *hq) agents() (map[string]agentSync, error) {
	var out struct {
		Agents []agentSync `json:"agents"`
	}
	if err := h.http.do(context.Background(), "GET", "/v1/agents", nil, &out); err != nil {
		return nil, fmt.Errorf("agents at HQ: %w", err)
	}
	m := map[string]agentSync{}
	for _, a := range out.Agents {
		m[a.AgentID] = a
	}
	return m, nil
}

func (h *hq) quarantined() (int, error) {
	var out struct {
		Events []struct{} `json:"events"`
	}
	if err := h.http.do(context.Background(), "GET", "/v1/quarantine", nil, &out); err != nil {
		return 0, fmt.Errorf("quarantine at HQ: %w", err)
	}
	return len(out.Events), nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in to the dashboard as the demo's user, so that h.http may
// read the member routes, which need a session.
func (h *hq) login() error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	h.http.client = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := h.http.client.Get(h.http.base + "/dashboard/login")
	if err != nil {
		return fmt.Errorf("dashboard login form: %w", err)
	}
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("dashboard login form: %w", err)
	}
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("dashboard login form has no csrf field")
	}
	resp, err = h.http.client.PostForm(h.http.base+"/dashboard/login",
		url.Values{"user": {h.user}, "password": {h.password}, "csrf": {string(m[1])}})
	if err != nil {
		return fmt.Errorf("dashboard login: %w", err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/dashboard/" {
		return fmt.Errorf("dashboard login refused (%s)", resp.Status)
	}
	return nil
}

// balance is a card's points at central (GET /v1/cards/{card}/balance).
type balance struct {
	Total   int64 `json:"total"`
	Entries int64 `json:"entries"`
}

func (h *hq) balance(card string) (balance, error) {
	var b balance
	err := h.http.do(context.Background(), "GET", "/v1/cards/"+card+"/balance", nil, &b)
	return b, err
}
