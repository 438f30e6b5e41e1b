package mqtt

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
)

// downlinkRig is an uplink with its downlink on, a real bbolt ledger and
// a test client standing in for central's downlink publisher.
type downlinkRig struct {
	t       *testing.T
	ledger  agent.Ledger
	store   agent.Downstream
	central paho.Client
	births  atomic.Int64
}

func newDownlinkRig(t *testing.T) *downlinkRig {
	t.Helper()
	b := startBroker(t, "127.0.0.1:0")
	r := &downlinkRig{t: t, ledger: newTestLedger(t)}
	r.store = r.ledger.(agent.Downstream)
	state := testTopics(t).State(testStore, testAgent)
	r.central = newTestClient(t, b.url(), "central", state, func(_ paho.Client, m paho.Message) {
		if p, err := syncproto.DecodePresence(m.Payload()); err == nil && p.GetOnline() {
			r.births.Add(1)
		}
	})
	u, err := NewUplink(testConfig(t, b.url()), r.ledger)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(format string, doc []byte) (*agent.Policy, error) {
		// A stand-in for the YAML parser the agent's wiring passes: the
		// transport is under test here, not the policy format.
		if format != "yaml" || len(doc) == 0 {
			return nil, fmt.Errorf("unsupported policy document")
		}
		return &agent.Policy{}, nil
	}
	if err := u.EnableDownlink(DownlinkConfig{Store: r.store, ParsePolicy: parse, GapWait: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	runUplink(t, u)
	waitFor(t, "uplink connected with its downlink subscriptions", func() bool { return u.Status().Connected })
	return r
}

// send publishes every chunk of u (or only those picked) on the chain's
// down topic.
func (r *downlinkRig) send(u syncproto.Update, pick func(i, n int) bool) {
	r.t.Helper()
	msgs, err := syncproto.ChunkUpdate(testChain, time.Now().UnixMilli(), u)
	if err != nil {
		r.t.Fatal(err)
	}
	for i, m := range msgs {
		if pick != nil && !pick(i, len(msgs)) {
			continue
		}
		b, err := syncproto.EncodeDownlink(m)
		if err != nil {
			r.t.Fatal(err)
		}
		publish(r.t, r.central, testTopics(r.t).AllDown(), b)
	}
}

func (r *downlinkRig) catalogVersion() uint64 {
	v, err := r.store.CatalogVersion(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

func catalogOf(skus ...string) *syncproto.StreamContent {
	c := &syncproto.CatalogContent{}
	for i, s := range skus {
		c.Upserts = append(c.Upserts, &syncproto.CatalogItem{Sku: s, Name: "item " + s, PriceFen: int64(100 * (i + 1)), PointsEligible: true})
	}
	return &syncproto.StreamContent{Content: &syncproto.StreamContent_Catalog{Catalog: c}}
}

func TestUplink_Downlink(t *testing.T) {
	ctx := context.Background()
	r := newDownlinkRig(t)

	r.send(syncproto.Update{Stream: syncproto.StreamCatalog, Version: 1, Snapshot: true, Content: catalogOf("A", "B")}, nil)
	waitFor(t, "catalog snapshot 1 applied", func() bool { return r.catalogVersion() == 1 })

	// Deltas arriving newest first are held until their base arrives.
	r.send(syncproto.Update{Stream: syncproto.StreamCatalog, Version: 3, BaseVersion: 2, Content: catalogOf("C")}, nil)
	r.send(syncproto.Update{Stream: syncproto.StreamCatalog, Version: 2, BaseVersion: 1, Content: &syncproto.StreamContent{
		Content: &syncproto.StreamContent_Catalog{Catalog: &syncproto.CatalogContent{RemovedSkus: []string{"A"}}}}}, nil)
	waitFor(t, "deltas 2 and 3 applied", func() bool { return r.catalogVersion() == 3 })
	if _, err := r.ledger.(agent.Catalog).ProductBySKU(ctx, "A"); agent.ErrorCode(err) != agent.ENOTFOUND {
		t.Fatalf("A after its removal: %v; want ENOTFOUND", err)
	}
	if _, err := r.ledger.(agent.Catalog).ProductBySKU(ctx, "C"); err != nil {
		t.Fatalf("C after delta 3: %v", err)
	}

	// Half of a big snapshot changes nothing.
	big := make([]string, 30000)
	for i := range big {
		big[i] = fmt.Sprintf("BIG-%05d-with-a-long-sku-name", i)
	}
	r.send(syncproto.Update{Stream: syncproto.StreamCatalog, Version: 9, Snapshot: true, Content: catalogOf(big...)},
		func(i, n int) bool {
			if n < 3 {
				t.Fatalf("the big snapshot is %d chunks; want several", n)
			}
			return i < n/2
		})
	// The policy sent after it is applied, so the half snapshot was seen.
	r.send(syncproto.Update{Stream: syncproto.StreamPolicy, Version: 4, Snapshot: true, Content: &syncproto.StreamContent{
		Content: &syncproto.StreamContent_Policy{Policy: &syncproto.PolicyContent{Format: "yaml", Document: []byte("x: 1")}}}}, nil)
	waitFor(t, "policy 4 applied", func() bool {
		p, err := r.store.CurrentPolicy(ctx)
		return err == nil && p.Version == 4
	})
	if v := r.catalogVersion(); v != 3 {
		t.Fatalf("catalog version %d after half a snapshot; want 3", v)
	}
	if _, err := r.ledger.(agent.Catalog).ProductBySKU(ctx, big[0]); agent.ErrorCode(err) != agent.ENOTFOUND {
		t.Fatalf("a product of the half snapshot is held: %v", err)
	}

	// Card blocks reach the member lookup.
	beforeBlocks := r.births.Load()
	r.send(syncproto.Update{Stream: syncproto.StreamCardBlocks, Version: 1, Snapshot: true, Content: &syncproto.StreamContent{
		Content: &syncproto.StreamContent_CardBlocks{CardBlocks: &syncproto.CardBlocksContent{
			Blocked: []*syncproto.CardBlock{{Card: "8800000000017", Reason: "reported lost"}}}}}}, nil)
	waitFor(t, "card block applied", func() bool {
		m, err := r.ledger.(agent.Members).MemberByCard(ctx, "8800000000017")
		return err == nil && m.Blocked
	})

	// Applying an update refreshes the birth, so the retained state names
	// the versions held.
	waitFor(t, "a birth naming the card blocks held", func() bool { return r.births.Load() > beforeBlocks })
	// A delta whose base never comes makes the agent announce its versions
	// again, so central can catch it up (nothing was applied this time).
	before := r.births.Load()
	r.send(syncproto.Update{Stream: syncproto.StreamCatalog, Version: 12, BaseVersion: 11, Content: catalogOf("Z")}, nil)
	waitFor(t, "a new birth after the gap", func() bool { return r.births.Load() > before })
	if v := r.catalogVersion(); v != 3 {
		t.Fatalf("catalog version %d after an unmatched delta; want 3", v)
	}
}

func TestUplink_DownlinkBadInput(t *testing.T) {
	r := newDownlinkRig(t)
	for _, payload := range [][]byte{nil, []byte("garbage"), {0x0a, 0xff}} {
		publish(t, r.central, testTopics(t).AllDown(), payload)
	}
	// Another chain's update is ignored; this chain's still applies.
	msgs, err := syncproto.ChunkUpdate("otherchain", 1, syncproto.Update{Stream: syncproto.StreamCatalog, Version: 5, Snapshot: true, Content: catalogOf("X")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := syncproto.EncodeDownlink(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	publish(t, r.central, testTopics(t).AllDown(), b)
	r.send(syncproto.Update{Stream: syncproto.StreamCatalog, Version: 1, Snapshot: true, Content: catalogOf("A")}, nil)
	waitFor(t, "the good update applied", func() bool { return r.catalogVersion() == 1 })
}

// sendStore publishes every chunk of u on the store's down topic.
func (r *downlinkRig) sendStore(u syncproto.Update, _ func(i, n int) bool) {
	r.t.Helper()
	msgs, err := syncproto.ChunkUpdate(testChain, time.Now().UnixMilli(), u)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, m := range msgs {
		b, err := syncproto.EncodeDownlink(m)
		if err != nil {
			r.t.Fatal(err)
		}
		publish(r.t, r.central, testTopics(r.t).StoreDown(testStore), b)
	}
}

func membersOf(records ...*syncproto.MemberRecord) *syncproto.StreamContent {
	return &syncproto.StreamContent{Content: &syncproto.StreamContent_Members{Members: &syncproto.MembersContent{Upserts: records}}}
}

func TestUplink_DownlinkStoreStreams(t *testing.T) {
	ctx := context.Background()
	r := newDownlinkRig(t)
	members := r.ledger.(agent.Members)

	t.Run("Members", func(t *testing.T) {
		r.sendStore(syncproto.Update{Stream: syncproto.StreamMembers, Version: 1, Snapshot: true, Content: membersOf(
			&syncproto.MemberRecord{Card: "8800000000017", MemberId: "M1", MaskedName: "张*", Balance: 120, BalanceAtMs: 1_700_000_000_123,
				Lots: []*syncproto.PointsLot{{LotId: "e1", Points: 120, EarnedAtMs: 1_700_000_000_000}}})}, nil)
		waitFor(t, "member snapshot applied", func() bool {
			m, err := members.MemberByCard(ctx, "8800000000017")
			return err == nil && m.Balance == 120
		})
		m, err := members.MemberByCard(ctx, "8800000000017")
		if err != nil {
			t.Fatal(err)
		}
		// The ledger replays entries After BalanceAt; central counted the
		// whole millisecond 123.
		if want := time.UnixMilli(1_700_000_000_124).Add(-time.Nanosecond); !m.BalanceAt.Equal(want) || len(m.Lots) != 1 || m.Lots[0].Points != 120 {
			t.Fatalf("member = %+v; want BalanceAt %v and one lot of 120", m, want)
		}
		// Deltas out of order are held until their base arrives.
		r.sendStore(syncproto.Update{Stream: syncproto.StreamMembers, Version: 3, BaseVersion: 2, Content: membersOf(
			&syncproto.MemberRecord{Card: "8800000000017", MemberId: "M1", Balance: 80})}, nil)
		r.sendStore(syncproto.Update{Stream: syncproto.StreamMembers, Version: 2, BaseVersion: 1, Content: membersOf(
			&syncproto.MemberRecord{Card: "8800000000025", MemberId: "M2", Balance: 5})}, nil)
		waitFor(t, "members deltas 2 and 3 applied", func() bool {
			m, err := members.MemberByCard(ctx, "8800000000017")
			v, verr := r.store.MembersStreamVersion(ctx)
			return err == nil && m.Balance == 80 && verr == nil && v == 3
		})
		if _, err := members.MemberByCard(ctx, "8800000000025"); err != nil {
			t.Fatalf("member of delta 2: %v", err)
		}
	})
	t.Run("EnrollBlock", func(t *testing.T) {
		r.sendStore(syncproto.Update{Stream: syncproto.StreamEnroll, Version: 1, Snapshot: true, Content: &syncproto.StreamContent{
			Content: &syncproto.StreamContent_EnrollBlock{EnrollBlock: &syncproto.EnrollBlockContent{CardPrefix: "66", First: 1, Last: 999}}}}, nil)
		waitFor(t, "enroll block applied", func() bool {
			v, err := r.store.EnrollBlockVersion(ctx)
			return err == nil && v == 1
		})
		b, err := r.ledger.(interface {
			EnrollBlock(context.Context) (agent.EnrollBlock, error)
		}).EnrollBlock(ctx)
		if err != nil || b.Prefix != "66" || b.Start != 1 || b.End != 999 {
			t.Fatalf("enroll block = %+v, %v; want 66 1..999", b, err)
		}
	})
	t.Run("CentralKey", func(t *testing.T) {
		key := make([]byte, 32)
		key[0] = 42
		r.send(syncproto.Update{Stream: syncproto.StreamCentralKey, Version: 1, Snapshot: true, Content: &syncproto.StreamContent{
			Content: &syncproto.StreamContent_CentralKey{CentralKey: &syncproto.CentralKeyContent{PublicKey: key}}}}, nil)
		waitFor(t, "central key applied", func() bool {
			k, err := r.ledger.(agent.CentralKeySource).CentralKey(ctx)
			return err == nil && k != nil && k[0] == 42
		})
	})
}
