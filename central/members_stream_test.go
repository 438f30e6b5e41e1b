package central

import (
	"testing"
	"time"
)

func TestStoreCut(t *testing.T) {
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	birth := Presence{LastSeen: base.Add(10 * time.Second), ClockSkew: 2 * time.Second} // sent at base+8s, outbox empty
	for _, tc := range []struct {
		name   string
		agents []AgentCut
		want   time.Time
	}{
		{"NoAgent", nil, time.Time{}},
		{"AgentWithNothingApplied", []AgentCut{{AgentID: "a", Contiguous: base}, {AgentID: "b"}}, time.Time{}},
		{"Contiguous", []AgentCut{{AgentID: "a", Contiguous: base.Add(500 * time.Microsecond)}}, base.Add(-ms)},
		{"LeastAgent", []AgentCut{{AgentID: "a", Contiguous: base.Add(time.Hour)}, {AgentID: "b", Contiguous: base}}, base.Add(-ms)},
		{"EmptyOutboxBirth", []AgentCut{{AgentID: "a", Contiguous: base, Presence: PresenceAppliedBefore(birth)}},
			base.Add(8*time.Second - presenceMargin - ms)},
		{"OutboxOldest", []AgentCut{{AgentID: "a", Contiguous: base,
			Presence: PresenceAppliedBefore(Presence{OutboxDepth: 3, OldestUnsynced: base.Add(time.Minute), LastSeen: base.Add(time.Hour)})}},
			base.Add(time.Minute - ms)},
		{"QuarantineHoldsTheCut", []AgentCut{{AgentID: "a", Contiguous: base.Add(time.Hour), Quarantined: base.Add(time.Minute)}},
			base.Add(time.Minute - ms)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StoreCut(tc.agents); !got.Equal(tc.want) {
				t.Fatalf("StoreCut = %v; want %v", got, tc.want)
			}
		})
	}
}

func TestCheckEnrollBlock(t *testing.T) {
	held := []EnrollBlock{{Store: "S1", Prefix: "88", First: 1, Last: 100}}
	for _, tc := range []struct {
		name string
		b    EnrollBlock
		code string
	}{
		{"OKOtherRange", EnrollBlock{Store: "S2", Prefix: "88", First: 101, Last: 200}, ""},
		{"OKOwnStore", EnrollBlock{Store: "S1", Prefix: "88", First: 50, Last: 300}, ""},
		{"OKOtherPrefix", EnrollBlock{Store: "S2", Prefix: "77", First: 1, Last: 100}, ""},
		{"ErrOverlap", EnrollBlock{Store: "S2", Prefix: "88", First: 100, Last: 100}, ECONFLICT},
		{"ErrPrefixOfPrefix", EnrollBlock{Store: "S2", Prefix: "8", First: 500, Last: 600}, ECONFLICT},
		{"ErrInvalidRange", EnrollBlock{Store: "S2", Prefix: "66", First: 5, Last: 4}, EINVALID},
		{"ErrTooLong", EnrollBlock{Store: "S2", Prefix: "6666666666666666", First: 1, Last: 1000}, EINVALID},
		{"ErrStore", EnrollBlock{Store: "a/b", Prefix: "66", First: 1, Last: 4}, EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckEnrollBlock(tc.b, held); ErrorCode(err) != tc.code && !(tc.code == "" && err == nil) {
				t.Fatalf("CheckEnrollBlock = %v; want code %q", err, tc.code)
			}
		})
	}
}
