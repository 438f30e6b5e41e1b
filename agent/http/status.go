package http

import (
	"net/http"
	"time"
)

type statusResponse struct {
	StoreID                 string       `json:"store_id"`
	AgentID                 string       `json:"agent_id"`
	Connected               bool         `json:"connected"`
	LastSeq                 uint64       `json:"last_seq"`
	LastAckedSeq            uint64       `json:"last_acked_seq"`
	OutboxDepth             uint64       `json:"outbox_depth"`
	OldestUnsyncedAgeSecond int64        `json:"oldest_unsynced_age_seconds"`
	LastAckAt               *time.Time   `json:"last_ack_at,omitempty"`
	Devices                 []deviceJSON `json:"devices"`
	// Versions of central's catalog, policy and card blocks held.
	Versions map[string]uint64 `json:"versions,omitempty"`
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.service.Status(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := statusResponse{
		StoreID: st.StoreID, AgentID: st.AgentID, Connected: st.Connected,
		LastSeq: st.LastSeq, LastAckedSeq: st.LastAckedSeq, OutboxDepth: st.OutboxDepth,
		OldestUnsyncedAgeSecond: int64(st.OldestUnsynced / time.Second),
		Devices:                 s.devicesJSON(),
		Versions:                st.Versions,
	}
	if !st.LastAckAt.IsZero() {
		t := st.LastAckAt.UTC()
		out.LastAckAt = &t
	}
	writeJSON(w, http.StatusOK, out)
}
