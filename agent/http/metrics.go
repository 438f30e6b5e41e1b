package http

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// handleMetrics serves the agent's gauges and counters in the Prometheus
// text exposition format (version 0.0.4), written directly: a dozen
// series do not need a client library.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	st, err := s.service.Status(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var b strings.Builder
	metric := func(name, help, typ string, samples ...string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, s := range samples {
			fmt.Fprintf(&b, "%s%s\n", name, s)
		}
	}
	metric("tillsync_uplink_connected", "1 when the agent is connected to the broker.", "gauge", " "+boolValue(st.Connected))
	metric("tillsync_journal_last_seq", "Highest committed journal sequence number.", "gauge", fmt.Sprintf(" %d", st.LastSeq))
	metric("tillsync_outbox_acked_seq", "Highest sequence number acknowledged by central with none missing below it.", "gauge", fmt.Sprintf(" %d", st.LastAckedSeq))
	metric("tillsync_outbox_depth", "Committed events central has not acknowledged.", "gauge", fmt.Sprintf(" %d", st.OutboxDepth))
	metric("tillsync_outbox_oldest_age_seconds", "Age of the oldest unacknowledged event.", "gauge", fmt.Sprintf(" %d", int64(st.OldestUnsynced.Seconds())))
	var up, scans, cards []string
	for _, d := range s.devicesJSON() {
		labels := fmt.Sprintf(`{lane=%q,device=%q,kind=%q}`, d.Lane, d.ID, d.Kind)
		up = append(up, labels+" "+boolValue(d.State == "online"))
		scans = append(scans, fmt.Sprintf("%s %d", labels, d.Scans))
		cards = append(cards, fmt.Sprintf("%s %d", labels, d.Cards))
	}
	metric("tillsync_device_up", "1 when the device is online.", "gauge", up...)
	metric("tillsync_device_scans_total", "Barcodes read by the device.", "counter", scans...)
	metric("tillsync_device_cards_total", "Cards read by the device.", "counter", cards...)
	if h := s.commitLatency; h != nil {
		const name = "tillsync_sale_commit_duration_seconds"
		fmt.Fprintf(&b, "# HELP %s Time a sale's durable ledger commit took, as the till waited for it.\n# TYPE %s histogram\n", name, name)
		for _, smp := range h.samples() {
			fmt.Fprintf(&b, "%s%s\n", name, smp)
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if _, err := fmt.Fprint(w, b.String()); err != nil {
		s.logger.Debug("metrics: client went away", "err", err)
	}
}

func boolValue(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// CommitBuckets are the upper bounds of the sale commit latency histogram:
// an fsync on a store machine's SSD takes about a millisecond, on a
// spinning disk or a busy SD card tens of milliseconds, and a commit that
// waits past a second is a till the cashier notices.
var CommitBuckets = []time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
}

// Histogram counts durations in fixed buckets for the Prometheus histogram
// type. The zero value is not usable; create one with NewHistogram. It is
// safe for concurrent use.
type Histogram struct {
	bounds []time.Duration // ascending upper bounds; +Inf is implied

	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; len(bounds)+1 with +Inf last
	sum    time.Duration
}

// NewHistogram returns a histogram with the given ascending bucket upper
// bounds (a +Inf bucket is always added).
func NewHistogram(bounds []time.Duration) *Histogram {
	b := slices.Clone(bounds)
	slices.Sort(b)
	return &Histogram{bounds: b, counts: make([]uint64, len(b)+1)}
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	i, _ := slices.BinarySearch(h.bounds, d) // first bound ≥ d: Prometheus buckets are "le"
	h.mu.Lock()
	h.counts[i]++
	h.sum += d
	h.mu.Unlock()
}

// samples renders the histogram's series (without HELP and TYPE): one
// cumulative _bucket per bound and +Inf, then _sum in seconds and _count,
// taken under one lock so that they agree with each other.
func (h *Histogram) samples() []string {
	h.mu.Lock()
	counts, sum := slices.Clone(h.counts), h.sum
	h.mu.Unlock()
	out := make([]string, 0, len(counts)+2)
	var cum uint64
	for i, c := range counts {
		cum += c
		le := "+Inf"
		if i < len(h.bounds) {
			le = strconv.FormatFloat(h.bounds[i].Seconds(), 'g', -1, 64)
		}
		out = append(out, fmt.Sprintf(`_bucket{le=%q} %d`, le, cum))
	}
	out = append(out, "_sum "+strconv.FormatFloat(sum.Seconds(), 'g', -1, 64), fmt.Sprintf("_count %d", cum))
	return out
}

// SetCommitLatency makes /metrics report h as
// tillsync_sale_commit_duration_seconds: the time a sale's durable ledger
// commit took, as the till waits for it. Call it before Open.
func (s *Server) SetCommitLatency(h *Histogram) { s.commitLatency = h }
