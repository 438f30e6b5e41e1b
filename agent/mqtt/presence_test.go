package mqtt

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/syncproto"
)

// presenceLog records the presence messages a test client receives.
type presenceLog struct {
	t   testing.TB
	mu  sync.Mutex
	got []*syncproto.Presence
}

func (l *presenceLog) handle(_ paho.Client, m paho.Message) {
	p, err := syncproto.DecodePresence(m.Payload())
	if err != nil {
		l.t.Errorf("bad presence on %s: %v", m.Topic(), err)
		return
	}
	l.mu.Lock()
	l.got = append(l.got, p)
	l.mu.Unlock()
}

// find returns the first presence matching cond, or nil.
func (l *presenceLog) find(cond func(*syncproto.Presence) bool) *syncproto.Presence {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.got {
		if cond(p) {
			return p
		}
	}
	return nil
}

// waitPresence waits for a presence matching cond and returns it.
func (l *presenceLog) waitPresence(t *testing.T, what string, cond func(*syncproto.Presence) bool) *syncproto.Presence {
	t.Helper()
	waitFor(t, what, func() bool { return l.find(cond) != nil })
	return l.find(cond)
}

func watchPresence(t *testing.T, brokerURL, id string) *presenceLog {
	t.Helper()
	l := &presenceLog{t: t}
	newTestClient(t, brokerURL, id, testTopics(t).State(testStore, testAgent), l.handle)
	return l
}

func TestUplink_Presence(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	ledger := newTestLedger(t)
	commitSales(t, ledger, 3)
	watch := watchPresence(t, b.url(), "watch")
	u, err := NewUplink(testConfig(t, b.url()), ledger)
	if err != nil {
		t.Fatalf("NewUplink: %v", err)
	}
	stop := runUplink(t, u)

	birth := watch.waitPresence(t, "first birth", func(p *syncproto.Presence) bool { return p.GetOnline() })
	if birth.GetSession() == 0 || birth.GetAgentId() != testAgent || birth.GetStoreId() != testStore {
		t.Fatalf("birth = %v; want a session for %s/%s", birth, testStore, testAgent)
	}
	streams := map[string]bool{}
	for _, v := range birth.GetVersions() {
		streams[v.GetStream()] = true
	}
	if birth.GetLastSeq() != 3 || len(streams) != 6 || !streams[syncproto.StreamCardBlocks] || !streams[syncproto.StreamCatalog] ||
		!streams[syncproto.StreamEnroll] || !streams[syncproto.StreamCentralKey] {
		t.Errorf("birth last_seq %d, versions %v; want 3 and catalog, policy, members, card_blocks, enroll_block, central_key", birth.GetLastSeq(), birth.GetVersions())
	}
	first := birth.GetSession()

	t.Run("Retained", func(t *testing.T) {
		late := watchPresence(t, b.url(), "late")
		late.waitPresence(t, "retained birth", func(p *syncproto.Presence) bool {
			return p.GetOnline() && p.GetSession() >= first
		})
	})

	t.Run("WillOnLostConnection", func(t *testing.T) {
		cl, ok := b.srv.Clients.Get(ClientIDPrefix + testAgent)
		if !ok {
			t.Fatal("uplink's client is not connected to the broker")
		}
		// Dropping the connection without DISCONNECT makes the broker
		// publish the will (MQTT 3.1.1 §3.1.2.5).
		cl.Stop(errors.New("test: connection cut"))
		watch.waitPresence(t, fmt.Sprintf("death of session %d", first), func(p *syncproto.Presence) bool {
			return !p.GetOnline() && p.GetSession() == first
		})
		watch.waitPresence(t, "birth of a later session", func(p *syncproto.Presence) bool {
			return p.GetOnline() && p.GetSession() > first
		})
	})

	t.Run("DeathOnStop", func(t *testing.T) {
		stop()
		watch.waitPresence(t, "death of a later session", func(p *syncproto.Presence) bool {
			return !p.GetOnline() && p.GetSession() > first
		})
	})
}
