package mqtt

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// rig is a broker, a test central, a ledger and an uplink (not running).
type rig struct {
	broker  *testBroker
	central *testCentral
	ledger  agent.Ledger
	uplink  *Uplink
	cfg     Config
}

func newRig(t *testing.T, p centralPolicy, change func(*Config)) *rig {
	t.Helper()
	r := &rig{broker: startBroker(t, "127.0.0.1:0"), ledger: newTestLedger(t)}
	r.central = startCentral(t, r.broker.url(), p)
	r.cfg = testConfig(t, r.broker.url())
	if change != nil {
		change(&r.cfg)
	}
	r.uplink = newTestUplink(t, r.cfg, r.ledger)
	return r
}

func newTestUplink(t *testing.T, cfg Config, l agent.Ledger) *Uplink {
	t.Helper()
	u, err := NewUplink(cfg, l)
	if err != nil {
		t.Fatalf("NewUplink: %v", err)
	}
	return u
}

// commit commits n sales and wakes the uplink, as agent.Service does.
func (r *rig) commit(t *testing.T, n int) uint64 {
	t.Helper()
	last := commitSales(t, r.ledger, n)
	r.uplink.Notify()
	return last
}

func (r *rig) waitWatermark(t *testing.T, want uint64) {
	t.Helper()
	waitFor(t, "watermark to reach every committed sale", func() bool { return watermark(t, r.ledger) == want })
}

// ackTo publishes an ack for ranges on the uplink's ack topic, as central
// would.
func (r *rig) ackTo(t *testing.T, agentID string, ranges ...seqRange) {
	t.Helper()
	a := &syncproto.Ack{SchemaVersion: syncproto.SchemaVersion, AgentId: agentID}
	for _, sr := range ranges {
		a.Ranges = append(a.Ranges, &syncproto.SeqRange{First: sr.first, Last: sr.last})
	}
	payload, err := syncproto.EncodeAck(a)
	if err != nil {
		t.Fatalf("encode ack: %v", err)
	}
	publish(t, r.central.client, r.cfg.Topics.Ack(testStore, testAgent), payload)
}

// checkAllSeen fails unless central saw every seq in 1..n.
func (r *rig) checkAllSeen(t *testing.T, n uint64) {
	t.Helper()
	if m := r.central.missing(n); len(m) > 0 {
		t.Errorf("central never saw %d of %d seqs, first %d", len(m), n, m[0])
	}
}

func TestUplink_Run(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		r := newRig(t, centralPolicy{}, nil)
		r.commit(t, 95)
		runUplink(t, r.uplink)
		waitFor(t, "connected", func() bool { return r.uplink.Status().Connected })
		last := r.commit(t, 40)
		r.waitWatermark(t, last)
		r.checkAllSeen(t, last)
		waitFor(t, "nothing in flight", func() bool { return r.uplink.Status().InFlight == 0 })
		if st := r.uplink.Status(); !st.Connected || st.LastAckAt.IsZero() {
			t.Errorf("status = %+v, want connected with an ack time", st)
		}
	})

	t.Run("DroppedAcks", func(t *testing.T) {
		r := newRig(t, centralPolicy{dropFirst: 4}, func(c *Config) { c.AckTimeout = 200 * time.Millisecond })
		last := r.commit(t, 60)
		runUplink(t, r.uplink)
		r.waitWatermark(t, last)
		r.checkAllSeen(t, last)
		if r.central.duplicates() == 0 {
			t.Errorf("central saw no duplicates, though it dropped acks")
		}
	})

	t.Run("OutOfOrderAndDuplicateAcks", func(t *testing.T) {
		r := newRig(t, centralPolicy{split: true, duplicate: true}, nil)
		last := r.commit(t, 77)
		runUplink(t, r.uplink)
		r.waitWatermark(t, last)
		r.checkAllSeen(t, last)
	})

	t.Run("AcksBeforeGapWait", func(t *testing.T) {
		r := newRig(t, centralPolicy{hold: true}, func(c *Config) { c.BatchSize = 3; c.Window = 1 })
		last := r.commit(t, 10)
		runUplink(t, r.uplink)
		waitFor(t, "first batch", func() bool { return r.central.deliveries(1) > 0 })
		// An ack above a gap is kept but moves nothing...
		r.ackTo(t, testAgent, seqRange{4, 10})
		n := r.central.deliveries(1)
		waitFor(t, "two resends after the ack", func() bool { return r.central.deliveries(1) >= n+2 })
		if w := watermark(t, r.ledger); w != 0 {
			t.Fatalf("watermark %d after an ack above a gap, want 0", w)
		}
		// ...until the gap is acked too, although 4..10 were never sent.
		r.ackTo(t, testAgent, seqRange{1, 3})
		r.waitWatermark(t, last)
		if r.central.deliveries(4) != 0 {
			t.Errorf("seq 4 was sent though central had acked it")
		}
	})

	t.Run("AckBeyondJournalHead", func(t *testing.T) {
		r := newRig(t, centralPolicy{hold: true}, func(c *Config) { c.BatchSize = 3; c.Window = 1 })
		last := r.commit(t, 10)
		runUplink(t, r.uplink)
		waitFor(t, "first batch", func() bool { return r.central.deliveries(1) > 0 })
		// An ack for seqs never sent (as from a previous life) still counts,
		// but only up to the journal's head.
		r.ackTo(t, testAgent, seqRange{1, 25})
		r.waitWatermark(t, last)
		last = r.commit(t, 5) // seqs 11..15 were in that ack's range
		waitFor(t, "the new sales to be resent", func() bool { return r.central.deliveries(11) >= 2 })
		if w := watermark(t, r.ledger); w != 10 {
			t.Fatalf("watermark %d, want 10: an ack for seqs not yet committed was applied", w)
		}
		r.central.setPolicy(centralPolicy{})
		r.waitWatermark(t, last)
	})

	t.Run("WindowBound", func(t *testing.T) {
		const window = 3
		r := newRig(t, centralPolicy{hold: true}, func(c *Config) {
			c.BatchSize, c.Window, c.AckTimeout = 5, window, 200*time.Millisecond
		})
		last := r.commit(t, 100)
		runUplink(t, r.uplink)
		waitFor(t, "resends of the window", func() bool { return r.central.totalDeliveries() >= 3*window })
		if n := r.central.distinctBatches(); n != window {
			t.Errorf("central saw %d distinct batches with acks withheld, want %d", n, window)
		}
		if n := r.uplink.Status().InFlight; n != window {
			t.Errorf("in flight = %d, want %d", n, window)
		}
		r.central.setPolicy(centralPolicy{})
		r.waitWatermark(t, last)
		r.checkAllSeen(t, last)
		if n := r.central.maxUnackedBatches(); n > window {
			t.Errorf("central held %d unacked batches at once, window is %d", n, window)
		}
	})

	t.Run("BrokerRestart", func(t *testing.T) {
		r := newRig(t, centralPolicy{}, nil)
		first := r.commit(t, 50)
		runUplink(t, r.uplink)
		r.waitWatermark(t, first)
		// Withhold acks so batches are in flight when the broker goes.
		r.central.setPolicy(centralPolicy{hold: true})
		r.commit(t, 50)
		waitFor(t, "batches in flight", func() bool { return r.uplink.Status().InFlight > 0 })
		r.broker.stop()
		waitFor(t, "disconnected", func() bool { return !r.uplink.Status().Connected })
		// Sales commit during the outage; the uplink never blocks them.
		last := r.commit(t, 50)
		r.central.setPolicy(centralPolicy{})
		r.broker = startBroker(t, r.broker.addr)
		waitFor(t, "reconnected", func() bool { return r.uplink.Status().Connected })
		r.waitWatermark(t, last)
		r.checkAllSeen(t, last)
	})

	t.Run("BrokerDownAtStart", func(t *testing.T) {
		addr := freeAddr(t)
		ledger := newTestLedger(t)
		cfg := testConfig(t, "tcp://"+addr)
		u := newTestUplink(t, cfg, ledger)
		last := commitSales(t, ledger, 30)
		runUplink(t, u)
		if u.Status().Connected {
			t.Fatalf("connected with no broker")
		}
		b := startBroker(t, addr)
		c := startCentral(t, b.url(), centralPolicy{})
		waitFor(t, "watermark", func() bool { return watermark(t, ledger) == last })
		if m := c.missing(last); len(m) > 0 {
			t.Errorf("central never saw seqs %v", m)
		}
	})

	t.Run("RestartResumesFromWatermark", func(t *testing.T) {
		r := newRig(t, centralPolicy{}, nil)
		first := r.commit(t, 40)
		stop := runUplink(t, r.uplink)
		r.waitWatermark(t, first)
		stop()
		if r.uplink.Status().Connected {
			t.Errorf("connected after Run returned")
		}
		last := commitSales(t, r.ledger, 25)
		r.central.reset()
		runUplink(t, newTestUplink(t, r.cfg, r.ledger))
		r.waitWatermark(t, last)
		if m := r.central.minSeen(); m != first+1 {
			t.Errorf("restarted uplink sent from seq %d, want %d", m, first+1)
		}
	})

	t.Run("ErrAlreadyRunning", func(t *testing.T) {
		r := newRig(t, centralPolicy{}, nil)
		runUplink(t, r.uplink)
		waitFor(t, "connected", func() bool { return r.uplink.Status().Connected })
		if err := r.uplink.Run(context.Background()); !errors.Is(err, ErrAlreadyRunning) {
			t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
		}
	})
}

func TestUplink_Run_ignoresBadAcks(t *testing.T) {
	ack := func(a *syncproto.Ack) []byte {
		// proto.Marshal, not EncodeAck, which refuses to build these.
		b, err := proto.Marshal(a)
		if err != nil {
			t.Fatalf("marshal ack: %v", err)
		}
		return b
	}
	full := []*syncproto.SeqRange{{First: 1, Last: 10}}
	for _, tt := range []struct {
		name    string
		payload []byte
	}{
		{"Garbage", []byte{0xff, 0x01, 0x02, 0x9c, 0x00, 0x7f}},
		{"Empty", nil},
		{"AnotherAgent", ack(&syncproto.Ack{SchemaVersion: syncproto.SchemaVersion, AgentId: "agent2", Ranges: full})},
		{"SchemaTooNew", ack(&syncproto.Ack{SchemaVersion: syncproto.SchemaVersion + 1, AgentId: testAgent, Ranges: full})},
		{"NoSchema", ack(&syncproto.Ack{AgentId: testAgent, Ranges: full})},
		{"SeqZero", ack(&syncproto.Ack{SchemaVersion: syncproto.SchemaVersion, AgentId: testAgent,
			Ranges: []*syncproto.SeqRange{{First: 0, Last: 10}}})},
		{"Inverted", ack(&syncproto.Ack{SchemaVersion: syncproto.SchemaVersion, AgentId: testAgent,
			Ranges: []*syncproto.SeqRange{{First: 10, Last: 1}}})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, centralPolicy{hold: true}, func(c *Config) { c.AckTimeout = 200 * time.Millisecond })
			last := r.commit(t, 10)
			runUplink(t, r.uplink)
			waitFor(t, "first delivery", func() bool { return r.central.deliveries(1) > 0 })
			publish(t, r.central.client, r.cfg.Topics.Ack(testStore, testAgent), tt.payload)
			n := r.central.deliveries(1)
			waitFor(t, "two resends after the bad ack", func() bool { return r.central.deliveries(1) >= n+2 })
			if w := watermark(t, r.ledger); w != 0 {
				t.Fatalf("watermark %d after a bad ack, want 0", w)
			}
			if at := r.uplink.Status().LastAckAt; !at.IsZero() {
				t.Errorf("last ack at %v after only a bad ack", at)
			}
			// The uplink is still alive and takes the next good ack.
			r.central.setPolicy(centralPolicy{})
			r.waitWatermark(t, last)
		})
	}
}
