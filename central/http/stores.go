package http

import (
	"net/http"
	"time"

	"github.com/tillsync/tillsync/central"
)

// storeJSON is one store's agents as GET /v1/stores lists them.
type storeJSON struct {
	StoreID string `json:"store_id"`
	// AgentsOnline counts the store's agents whose latest presence is a
	// birth: 0 means the store is cut off from HQ (or closed).
	AgentsOnline int                 `json:"agents_online"`
	Agents       []agentPresenceJSON `json:"agents"`
}

// agentPresenceJSON is one agent's presence and sync lag (DESIGN §5
// rule 3): the outbox depth and the age of its oldest unsynced event are
// what the agent reported in its latest birth or death.
type agentPresenceJSON struct {
	AgentID        string     `json:"agent_id"`
	Online         bool       `json:"online"`
	Session        uint64     `json:"session"`
	LastSeen       time.Time  `json:"last_seen"`
	OutboxDepth    uint64     `json:"outbox_depth"`
	OldestUnsynced *time.Time `json:"oldest_unsynced,omitempty"`
	ClockSkewMS    int64      `json:"clock_skew_ms"`
}

// handleStores lists every store with its agents' presence, ordered by
// store id then agent id.
func (s *Server) handleStores(w http.ResponseWriter, r *http.Request) {
	rows, err := s.store.Presence(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, struct {
		Stores []storeJSON `json:"stores"`
	}{Stores: groupByStore(rows)})
}

// groupByStore groups presence rows, ordered by store id, into stores.
func groupByStore(rows []central.Presence) []storeJSON {
	out := []storeJSON{}
	for _, p := range rows {
		if len(out) == 0 || out[len(out)-1].StoreID != p.StoreID {
			out = append(out, storeJSON{StoreID: p.StoreID, Agents: []agentPresenceJSON{}})
		}
		st := &out[len(out)-1]
		a := agentPresenceJSON{
			AgentID: p.AgentID, Online: p.Online, Session: p.Session, LastSeen: p.LastSeen,
			OutboxDepth: p.OutboxDepth, ClockSkewMS: p.ClockSkew.Milliseconds(),
		}
		if !p.OldestUnsynced.IsZero() {
			a.OldestUnsynced = &p.OldestUnsynced
		}
		if p.Online {
			st.AgentsOnline++
		}
		st.Agents = append(st.Agents, a)
	}
	return out
}
