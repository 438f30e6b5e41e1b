package central

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// DefaultReportDays is the range of a report whose from is not given: the
// 30 local days before to.
const DefaultReportDays = 30

// ParseReportTime parses a report bound: a local date "2006-01-02"
// (midnight of that day in loc) or an RFC 3339 time. name is the parameter
// the value came from; the EINVALID error names it.
func ParseReportTime(name, s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	return time.Time{}, Errorf(EINVALID, "%s %q: want a date like 2026-01-31 or an RFC 3339 time like 2026-01-31T08:00:00+08:00", name, s)
}

// ReportRange turns the from and to parameters of a report into its
// half-open range in loc (so "from 2026-01-01 to 2026-02-01" is January).
// An empty to is the end of now's local day; an empty from is
// DefaultReportDays local days before to. fromName and toName are the
// parameters' names for the EINVALID errors (e.g. "from", "--from").
func ReportRange(fromName, fromS, toName, toS string, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	if loc == nil {
		return time.Time{}, time.Time{}, Errorf(EINVALID, "no report time zone")
	}
	to = startOfDay(now.In(loc)).AddDate(0, 0, 1)
	if toS != "" {
		if to, err = ParseReportTime(toName, toS, loc); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	from = to.AddDate(0, 0, -DefaultReportDays)
	if fromS != "" {
		if from, err = ParseReportTime(fromName, fromS, loc); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if err := CheckReportRange(from, to); err != nil {
		return time.Time{}, time.Time{}, Errorf(EINVALID, "%s/%s: %s", fromName, toName, ErrorMessage(err))
	}
	return from, to, nil
}

// SyncStatus is one agent's presence (online, outbox, clock skew) beside
// what central holds of its journal: the store sync status report.
type SyncStatus struct {
	StoreID string
	AgentID string
	// Presence fields are zero for an agent that sent batches but no
	// birth or death yet; HasPresence tells.
	HasPresence    bool
	Online         bool
	LastSeen       time.Time
	OutboxDepth    uint64
	OldestUnsynced time.Time
	// Lag is now minus OldestUnsynced, to the second; 0 when the outbox
	// was empty at the agent's latest presence message.
	Lag       time.Duration
	ClockSkew time.Duration
	// Journal fields are zero for an agent with no batch stored yet.
	Events            int64
	MaxSeq            uint64
	ContiguousThrough uint64
	LastReceivedAt    time.Time
	MaxClockSkew      time.Duration
}

// SyncStatusOf joins presence and agents (each ordered by store id then
// agent id, as the Store returns them) into one row per agent in the same
// order, with lags as of now.
func SyncStatusOf(presence []Presence, agents []AgentSync, now time.Time) []SyncStatus {
	byAgent := map[string]*SyncStatus{}
	var order []*SyncStatus
	row := func(store, agent string) *SyncStatus {
		k := store + "\x00" + agent
		if r := byAgent[k]; r != nil {
			return r
		}
		r := &SyncStatus{StoreID: store, AgentID: agent}
		byAgent[k] = r
		order = append(order, r)
		return r
	}
	for _, p := range presence {
		r := row(p.StoreID, p.AgentID)
		r.HasPresence, r.Online, r.LastSeen, r.OutboxDepth = true, p.Online, p.LastSeen, p.OutboxDepth
		r.OldestUnsynced, r.ClockSkew = p.OldestUnsynced, p.ClockSkew
		if !p.OldestUnsynced.IsZero() {
			r.Lag = max(now.Sub(p.OldestUnsynced).Truncate(time.Second), 0)
		}
	}
	for _, a := range agents {
		r := row(a.StoreID, a.AgentID)
		r.Events, r.MaxSeq, r.ContiguousThrough = a.Events, a.MaxSeq, a.ContiguousThrough
		r.LastReceivedAt, r.MaxClockSkew = a.LastReceivedAt, a.MaxClockSkew
	}
	out := make([]SyncStatus, 0, len(order))
	for _, r := range order {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b SyncStatus) int {
		return cmp.Or(strings.Compare(a.StoreID, b.StoreID), strings.Compare(a.AgentID, b.AgentID))
	})
	return out
}
