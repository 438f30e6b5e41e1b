package http

import (
	"fmt"
	"net/http"
	"strings"
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
