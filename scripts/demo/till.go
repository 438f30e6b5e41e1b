package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// api is a JSON client of one agent's till API or central's HTTP API.
type api struct {
	base   string
	client *http.Client
}

// apiError is an error answer: its HTTP status and the product's message.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func newAPI(base string) *api {
	return &api{base: base, client: &http.Client{Timeout: 30 * time.Second}}
}

// do sends body (nil: none) as JSON and decodes a 2xx answer into out
// (nil: discarded). Other answers are *apiError.
func (a *api) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil {
			e.Error.Message = string(data)
		}
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// basket is the part of an open basket the cashier looks at.
type basket struct {
	Rev      int64 `json:"rev"`
	TotalFen int64 `json:"total_fen"`
	DueFen   int64 `json:"due_fen"`
	Lines    []struct {
		LineNo int `json:"line_no"`
	} `json:"lines"`
	Member *struct {
		Known bool `json:"known"`
	} `json:"member"`
}

// receipt is a committed sale as the till answers it.
type receipt struct {
	Sale struct {
		SaleID   string `json:"sale_id"`
		TotalFen int64  `json:"total_fen"`
		Lines    []struct {
			LineNo int `json:"line_no"`
		} `json:"lines"`
	} `json:"sale"`
	PointsEarned   int64 `json:"points_earned_pending"`
	PointsRedeemed int64 `json:"points_redeemed"`
}

// returnReceipt is a recorded return.
type returnReceipt struct {
	ReturnID       string `json:"return_id"`
	RefundFen      int64  `json:"refund_fen"`
	PointsReversed int64  `json:"points_reversed"`
	PointsRefunded int64  `json:"points_refunded"`
}

// agentStatus is an agent's GET /v1/status.
type agentStatus struct {
	Connected   bool              `json:"connected"`
	LastSeq     uint64            `json:"last_seq"`
	OutboxDepth uint64            `json:"outbox_depth"`
	OldestAge   int64             `json:"oldest_unsynced_age_seconds"`
	Versions    map[string]uint64 `json:"versions"`
	Devices     []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"devices"`
}
