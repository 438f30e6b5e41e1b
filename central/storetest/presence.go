package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

// testPresence: the session rule of DESIGN §5 rule 3, applied by the store.
func testPresence(t *testing.T, open Opener) {
	at := func(d time.Duration) time.Time { return receivedAt.Add(d) }
	birth := func(session uint64, d time.Duration) central.Presence {
		return central.Presence{AgentID: "a1", StoreID: "s1", Session: session, Online: true, LastSeen: at(d),
			OutboxDepth: 4, OldestUnsynced: at(-time.Minute), ClockSkew: 250 * time.Millisecond}
	}
	death := func(session uint64, d time.Duration) central.Presence {
		p := birth(session, d)
		p.Online, p.OutboxDepth, p.OldestUnsynced = false, 0, time.Time{}
		return p
	}
	tests := []struct {
		name     string
		msgs     []central.Presence
		wantLast bool // the last message applied
		want     central.Presence
	}{
		{"FirstBirth", []central.Presence{birth(1, 0)}, true, birth(1, 0)},
		{"SameSessionDeathOffline", []central.Presence{birth(1, 0), death(1, time.Second)}, true, death(1, time.Second)},
		{"LateDeathIgnored", []central.Presence{birth(1, 0), birth(2, time.Second), death(1, 2*time.Second)},
			false, birth(2, time.Second)},
		{"NewBirthOnline", []central.Presence{birth(1, 0), death(1, time.Second), birth(2, 2*time.Second)},
			true, birth(2, 2*time.Second)},
		{"SameSessionBirthRefreshes", []central.Presence{birth(3, 0), birth(3, time.Second)}, true, birth(3, time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			var applied bool
			for _, m := range tt.msgs {
				var err error
				if applied, err = s.RecordPresence(context.Background(), m); err != nil {
					t.Fatalf("RecordPresence(%+v): %v", m, err)
				}
			}
			if applied != tt.wantLast {
				t.Errorf("last RecordPresence applied = %t, want %t", applied, tt.wantLast)
			}
			got, err := s.Presence(context.Background())
			if err != nil {
				t.Fatalf("Presence: %v", err)
			}
			if len(got) != 1 || !samePresence(got[0], tt.want) {
				t.Errorf("Presence() = %+v, want [%+v]", got, tt.want)
			}
		})
	}
	t.Run("OrderedByStoreThenAgent", func(t *testing.T) {
		s := open(t)
		for _, id := range [][2]string{{"s2", "a1"}, {"s1", "b2"}, {"s1", "a3"}} {
			p := birth(1, 0)
			p.StoreID, p.AgentID = id[0], id[1]
			if _, err := s.RecordPresence(context.Background(), p); err != nil {
				t.Fatalf("RecordPresence: %v", err)
			}
		}
		got, err := s.Presence(context.Background())
		if err != nil {
			t.Fatalf("Presence: %v", err)
		}
		var ids []string
		for _, p := range got {
			ids = append(ids, p.StoreID+"/"+p.AgentID)
		}
		if want := "[s1/a3 s1/b2 s2/a1]"; fmt.Sprint(ids) != want {
			t.Errorf("Presence() order = %s, want %s", fmt.Sprint(ids), want)
		}
	})
}

func samePresence(a, b central.Presence) bool {
	return a.AgentID == b.AgentID && a.StoreID == b.StoreID && a.Session == b.Session && a.Online == b.Online &&
		a.LastSeen.Equal(b.LastSeen) && a.OutboxDepth == b.OutboxDepth &&
		a.OldestUnsynced.Equal(b.OldestUnsynced) && a.ClockSkew == b.ClockSkew
}
