package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// subscriberBuffer is how many events a slow screen may fall behind before
// it is told it lagged (and should reload the basket) instead of blocking
// the till.
const subscriberBuffer = 64

// Hub fans lane events out to Server-Sent Events subscribers. Publish never
// blocks. It is safe for concurrent use.
type Hub struct {
	mu   sync.Mutex
	subs map[chan agent.LaneEvent]string // channel → lane filter ("" = all)
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan agent.LaneEvent]string{}} }

// Publish sends e to every subscriber of its lane; a subscriber whose
// buffer is full misses it and gets a "lagged" event instead.
func (h *Hub) Publish(e agent.LaneEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch, lane := range h.subs {
		if lane != "" && lane != e.Lane {
			continue
		}
		select {
		case ch <- e:
		default:
			select {
			case ch <- agent.LaneEvent{Lane: e.Lane, Kind: "lagged"}:
			default:
			}
		}
	}
}

func (h *Hub) subscribe(lane string) chan agent.LaneEvent {
	ch := make(chan agent.LaneEvent, subscriberBuffer)
	h.mu.Lock()
	h.subs[ch] = lane
	h.mu.Unlock()
	return ch
}

func (h *Hub) unsubscribe(ch chan agent.LaneEvent) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

// handleEvents streams lane events as Server-Sent Events (text/event-stream):
// "event: <kind>" and a JSON "data:" line per event, a comment every 15 s
// to keep proxies from closing an idle stream. ?lane= filters by lane.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, agent.Errorf(agent.EINTERNAL, "streaming unsupported"))
		return
	}
	// The write timeout would cut a long-lived stream.
	if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
		s.logger.Debug("sse: cannot clear write deadline", "err", err)
	}
	ch := s.hub.subscribe(r.URL.Query().Get("lane"))
	defer s.hub.unsubscribe(ch)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": tillsync lane events\n\n")
	flusher.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case e := <-ch:
			b, err := json.Marshal(eventJSON(e))
			if err != nil {
				s.logger.Error("sse: encode event", "kind", e.Kind, "err", err)
				continue
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Kind, b)
		}
		flusher.Flush()
	}
}

// eventJSON is the data of one SSE event; card numbers are masked.
func eventJSON(e agent.LaneEvent) map[string]any {
	out := map[string]any{"lane": e.Lane, "kind": e.Kind}
	if e.Message != "" {
		out["message"] = e.Message
	}
	if e.Basket != nil {
		out["basket"] = toBasketJSON(e.Basket)
	}
	if e.Scan != nil {
		out["scan"] = map[string]any{"gtin": e.Scan.GTIN, "quantity_milli": e.Scan.QuantityMilli}
	}
	if e.Receipt != nil {
		out["receipt"] = toReceiptJSON(e.Receipt)
	}
	if e.Return != nil {
		out["return"] = toReturnJSON(e.Return)
	}
	return out
}
