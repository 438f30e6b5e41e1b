package mqtt_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

func (a *agentSim) publishPresence(store, agent string, online bool, session uint64) {
	a.t.Helper()
	payload, err := syncproto.EncodePresence(&syncproto.Presence{
		SchemaVersion: syncproto.SchemaVersion, StoreId: store, AgentId: agent,
		Online: online, Session: session, OutboxDepth: session * 10, SentAtMs: 1,
	})
	if err != nil {
		a.t.Fatalf("EncodePresence: %v", err)
	}
	tok := a.client.Publish(topics(a.t).State(store, agent), 1, true, payload)
	if !tok.WaitTimeout(deadline) || tok.Error() != nil {
		a.t.Fatalf("publish presence: %v", tok.Error())
	}
}

// presenceIs reports whether db holds exactly want, compared on the
// fields the message decides.
func presenceIs(t *testing.T, db central.Store, want ...central.Presence) func() bool {
	return func() bool {
		got, err := db.Presence(context.Background())
		if err != nil {
			t.Fatalf("Presence: %v", err)
		}
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.StoreID != w.StoreID || g.AgentID != w.AgentID || g.Session != w.Session ||
				g.Online != w.Online || g.OutboxDepth != w.OutboxDepth || g.LastSeen.IsZero() {
				return false
			}
		}
		return true
	}
}

func TestIngester_Presence(t *testing.T) {
	row := func(session uint64, online bool) central.Presence {
		return central.Presence{StoreID: "s1", AgentID: "a1", Session: session, Online: online, OutboxDepth: session * 10}
	}
	for _, group := range []string{"", "central"} {
		t.Run(fmt.Sprintf("Group%q", group), func(t *testing.T) {
			b, db := startBroker(t), openStore(t)
			agent := newAgentSim(t, b.URL())
			// Retained before central starts: picked up on subscribe (or,
			// shared, the next message decides).
			agent.publishPresence("s1", "a1", true, 1)
			startIngester(t, b.URL(), db, "t1", group)
			if group != "" { // a shared subscription gets no retained messages
				agent.publishPresence("s1", "a1", true, 1)
			}
			waitFor(t, "birth of session 1", presenceIs(t, db, row(1, true)))

			agent.publishPresence("s1", "a1", true, 2)
			agent.publishPresence("s1", "a1", false, 1) // late death of session 1
			waitFor(t, "birth of session 2 kept", presenceIs(t, db, row(2, true)))

			agent.publishPresence("s1", "a2", true, 1)
			agent.publishPresence("s1", "a1", false, 2)
			waitFor(t, "death of session 2", presenceIs(t, db, row(2, false),
				central.Presence{StoreID: "s1", AgentID: "a2", Session: 1, Online: true, OutboxDepth: 10}))
		})
	}
	t.Run("MismatchIgnored", func(t *testing.T) {
		b, db := startBroker(t), openStore(t)
		startIngester(t, b.URL(), db, "t1", "")
		agent := newAgentSim(t, b.URL())
		payload, err := syncproto.EncodePresence(&syncproto.Presence{
			SchemaVersion: syncproto.SchemaVersion, StoreId: "s1", AgentId: "a9", Online: true, Session: 5})
		if err != nil {
			t.Fatalf("EncodePresence: %v", err)
		}
		agent.publish(topics(t).State("s1", "a1"), payload)
		agent.publishPresence("s1", "a1", true, 1)
		waitFor(t, "only the matching presence", presenceIs(t, db, row(1, true)))
	})
}
