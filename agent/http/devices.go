package http

import (
	"net/http"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// DeviceLister reports the lanes' devices; *agent.Devices implements it.
type DeviceLister interface {
	Status() []agent.DeviceStatus
}

type deviceJSON struct {
	ID     string     `json:"id"`
	Kind   string     `json:"kind"`
	Lane   string     `json:"lane"`
	State  string     `json:"state"`
	Reason string     `json:"reason,omitempty"`
	Since  *time.Time `json:"since,omitempty"`
	Scans  int64      `json:"scans"`
	Cards  int64      `json:"cards"`
}

func (s *Server) devicesJSON() []deviceJSON {
	out := []deviceJSON{}
	if s.devices == nil {
		return out
	}
	for _, d := range s.devices.Status() {
		j := deviceJSON{ID: d.ID, Kind: d.Kind, Lane: d.Lane, State: d.State, Reason: d.Reason, Scans: d.Scans, Cards: d.Cards}
		if !d.Since.IsZero() {
			t := d.Since.UTC()
			j.Since = &t
		}
		out = append(out, j)
	}
	return out
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"devices": s.devicesJSON()})
}

// SetDevices makes the lanes' devices visible in /v1/devices and
// /v1/status. Call it before Open.
func (s *Server) SetDevices(d DeviceLister) { s.devices = d }
