package mqtt_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// rpcCard is the member card of the RPC tests (others share its first 15
// digits); no log line may carry its first twelve.
const rpcCard = "6200001234567890"

// lockedBuffer is a log sink the ingester's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func openStoreAt(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("db Close: %v", err)
		}
	})
	return db
}

// startRPCIngester starts an ingester on db whose log goes to logs.
func startRPCIngester(t *testing.T, brokerURL string, db *sqlite.DB, instance, group string, logs *lockedBuffer) *mqtt.Ingester {
	t.Helper()
	in, err := mqtt.NewIngester(mqtt.IngesterConfig{
		BrokerURL: brokerURL, InstanceID: instance, Topics: topics(t), SharedGroup: group, Workers: 3,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, db)
	if err != nil {
		t.Fatalf("NewIngester: %v", err)
	}
	if err := in.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(in.Close)
	waitFor(t, "ingester subscribed", in.Subscribed)
	t.Cleanup(func() {
		if strings.Contains(logs.String(), rpcCard[:12]) {
			t.Errorf("a log line carries the full card number:\n%s", logs.String())
		}
	})
	return in
}

// tillSim is one store agent's RPC client: it publishes requests on its
// own request topic and collects the responses on its own response topic.
type tillSim struct {
	t            *testing.T
	store, agent string
	client       paho.Client
	mu           sync.Mutex
	got          map[string]*syncproto.RpcResponse // by correlation id
	seq          int
}

func newTillSim(t *testing.T, brokerURL, store, agent string) *tillSim {
	t.Helper()
	s := &tillSim{t: t, store: store, agent: agent, got: map[string]*syncproto.RpcResponse{}}
	s.client = paho.NewClient(paho.NewClientOptions().AddBroker(brokerURL).
		SetClientID(fmt.Sprintf("test-till-%d", clientSeq.Add(1))).SetOrderMatters(false).SetAutoReconnect(false))
	if tok := s.client.Connect(); !tok.WaitTimeout(deadline) || tok.Error() != nil {
		t.Fatalf("till connect: %v", tok.Error())
	}
	t.Cleanup(func() { s.client.Disconnect(100) })
	tok := s.client.Subscribe(topics(t).RPC(store, agent, syncproto.RPCResponse), 1, func(_ paho.Client, m paho.Message) {
		resp, err := syncproto.DecodeRPCResponse(m.Payload())
		if err != nil {
			t.Errorf("undecodable rpc response on %s: %v", m.Topic(), err)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.got[resp.GetCorrelationId()] = resp
	})
	if !tok.WaitTimeout(deadline) || tok.Error() != nil {
		t.Fatalf("till subscribe: %v", tok.Error())
	}
	return s
}

// request builds a request of this till expiring after ttl (negative:
// already expired) and returns it with its correlation id.
func (s *tillSim) request(ttl time.Duration, call any) *syncproto.RpcRequest {
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("%s-%s-%d", s.store, s.agent, s.seq)
	s.mu.Unlock()
	now := time.Now()
	r := &syncproto.RpcRequest{SchemaVersion: syncproto.SchemaVersion, CorrelationId: id, StoreId: s.store,
		AgentId: s.agent, SentAtMs: now.UnixMilli(), DeadlineMs: now.Add(ttl).UnixMilli()}
	switch c := call.(type) {
	case *syncproto.MemberLookup:
		r.Call = &syncproto.RpcRequest_MemberLookup{MemberLookup: c}
	case *syncproto.RedeemAuthorize:
		r.Call = &syncproto.RpcRequest_RedeemAuthorize{RedeemAuthorize: c}
	}
	return r
}

func (s *tillSim) publishRaw(payload []byte) {
	s.t.Helper()
	tok := s.client.Publish(topics(s.t).RPC(s.store, s.agent, syncproto.RPCRequest), 1, false, payload)
	if !tok.WaitTimeout(deadline) || tok.Error() != nil {
		s.t.Fatalf("publish rpc request: %v", tok.Error())
	}
}

func (s *tillSim) publish(r *syncproto.RpcRequest) {
	s.t.Helper()
	payload, err := syncproto.EncodeRPCRequest(r)
	if err != nil {
		s.t.Fatalf("EncodeRPCRequest: %v", err)
	}
	s.publishRaw(payload)
}

func (s *tillSim) response(id string) *syncproto.RpcResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[id]
}

// call publishes r and waits for its response.
func (s *tillSim) call(r *syncproto.RpcRequest) *syncproto.RpcResponse {
	s.t.Helper()
	s.publish(r)
	return s.await(r.GetCorrelationId())
}

func (s *tillSim) await(id string) *syncproto.RpcResponse {
	s.t.Helper()
	waitFor(s.t, "rpc response "+id, func() bool { return s.response(id) != nil })
	return s.response(id)
}

func redeem(card, sale string, points int64) *syncproto.RedeemAuthorize {
	return &syncproto.RedeemAuthorize{Card: card, Points: points, ReservationId: sale}
}

func giveCard(t *testing.T, db central.Store, card string, points int64) {
	t.Helper()
	ok, err := db.AdjustPoints(context.Background(), central.Adjustment{ID: "grant-" + card, Card: card,
		Points: points, Reason: "goodwill", At: time.Now()})
	if err != nil || !ok {
		t.Fatalf("AdjustPoints: %v, %v", ok, err)
	}
}

// wantAuthorization checks resp answers a redemption with approved and
// available.
func wantAuthorization(t *testing.T, resp *syncproto.RpcResponse, approved bool, available int64) {
	t.Helper()
	a := resp.GetAuthorization()
	if resp.GetErrorCode() != "" || a == nil || a.GetApproved() != approved || a.GetAvailable() != available ||
		resp.GetCentralTimeMs() == 0 || (approved && a.GetExpiresAtMs() <= resp.GetCentralTimeMs()) {
		t.Fatalf("response = %v, want authorization approved %v with %d available", resp, approved, available)
	}
}

func TestIngester_RPC_DoubleSpend(t *testing.T) {
	// One central, then two central instances on one shared subscription
	// and one database file (DESIGN §7): either way a member's points are
	// spent once while both stores are online.
	for _, instances := range []int{1, 2} {
		t.Run(fmt.Sprintf("Instances%d", instances), func(t *testing.T) {
			b := startBroker(t)
			path := filepath.Join(t.TempDir(), "central.db")
			group := ""
			if instances > 1 {
				group = "central"
			}
			var db *sqlite.DB
			for i := range instances {
				db = openStoreAt(t, path)
				startRPCIngester(t, b.URL(), db, fmt.Sprintf("c%d", i), group, &lockedBuffer{})
			}
			tills := []*tillSim{newTillSim(t, b.URL(), "s1", "a1"), newTillSim(t, b.URL(), "s2", "a7")}
			for round := range 5 {
				card := fmt.Sprintf("%s%d", rpcCard[:15], round)
				giveCard(t, db, card, 100)
				reqs := make([]*syncproto.RpcRequest, len(tills))
				var wg sync.WaitGroup
				for i, till := range tills {
					reqs[i] = till.request(deadline, redeem(card, fmt.Sprintf("sale-%d-%s", round, till.store), 80))
					wg.Go(func() { till.publish(reqs[i]) })
				}
				wg.Wait()
				var approved, refused []int64
				for i, till := range tills {
					a := till.await(reqs[i].GetCorrelationId()).GetAuthorization()
					if a.GetApproved() {
						approved = append(approved, a.GetAvailable())
					} else {
						refused = append(refused, a.GetAvailable())
					}
				}
				if len(approved) != 1 || approved[0] != 100 || len(refused) != 1 || refused[0] != 20 {
					t.Fatalf("round %d: approved with available %v, refused with available %v; want one each, 100 and 20",
						round, approved, refused)
				}
			}
		})
	}
}

func TestIngester_RPC(t *testing.T) {
	setup := func(t *testing.T) (*mqtt.Ingester, *sqlite.DB, *tillSim, *lockedBuffer) {
		b, db, logs := startBroker(t), openStore(t), &lockedBuffer{}
		in := startRPCIngester(t, b.URL(), db, "c1", "", logs)
		giveCard(t, db, rpcCard, 100)
		return in, db, newTillSim(t, b.URL(), "s1", "a1"), logs
	}
	t.Run("MemberLookup", func(t *testing.T) {
		_, _, till, _ := setup(t)
		resp := till.call(till.request(deadline, &syncproto.MemberLookup{Card: rpcCard}))
		m := resp.GetMember()
		if resp.GetErrorCode() != "" || !m.GetFound() || m.GetMember().GetCard() != rpcCard ||
			m.GetMember().GetBalance() != 100 || m.GetMember().GetBalanceAtMs() == 0 {
			t.Fatalf("lookup response = %v, want found with 100 points", resp)
		}
		resp = till.call(till.request(deadline, &syncproto.MemberLookup{Card: "6200009999999999"}))
		if resp.GetErrorCode() != "" || resp.GetMember() == nil || resp.GetMember().GetFound() {
			t.Fatalf("unknown card response = %v, want found false", resp)
		}
	})
	t.Run("RetryIsIdempotent", func(t *testing.T) {
		_, _, till, _ := setup(t)
		for range 3 { // the till resends one basket's request: still one hold
			wantAuthorization(t, till.call(till.request(deadline, redeem(rpcCard, "sale-1", 70))), true, 100)
		}
		wantAuthorization(t, till.call(till.request(deadline, redeem(rpcCard, "sale-2", 31))), false, 30)
	})
	t.Run("PastDeadlineDroppedUnanswered", func(t *testing.T) {
		in, _, till, _ := setup(t)
		late := till.request(-time.Second, redeem(rpcCard, "sale-late", 100))
		till.publish(late)
		waitFor(t, "late request dropped", func() bool { return in.RPCStats().Expired == 1 })
		// Nothing was reserved: all 100 points are still there.
		wantAuthorization(t, till.call(till.request(deadline, redeem(rpcCard, "sale-2", 100))), true, 100)
		if r := till.response(late.GetCorrelationId()); r != nil {
			t.Fatalf("late request answered: %v", r)
		}
	})
	t.Run("BadInputSurvived", func(t *testing.T) {
		in, _, till, logs := setup(t)
		till.publishRaw([]byte("\xff\x00garbage 6200001234567890"))
		till.publishRaw(nil)
		noCall := till.request(deadline, nil)
		noCall.Call = nil
		payload, err := proto.Marshal(noCall)
		if err != nil {
			t.Fatal(err)
		}
		till.publishRaw(payload)
		other := till.request(deadline, redeem(rpcCard, "sale-x", 100))
		other.StoreId = "s9" // on s1/a1's topic
		till.publish(other)
		waitFor(t, "bad requests dropped", func() bool { return in.RPCStats().Rejected == 4 })
		wantAuthorization(t, till.call(till.request(deadline, redeem(rpcCard, "sale-2", 100))), true, 100)
		if r := till.response(other.GetCorrelationId()); r != nil {
			t.Fatalf("request on another store's topic answered: %v", r)
		}
		if !strings.Contains(logs.String(), "rpc request dropped") {
			t.Fatalf("drops not logged:\n%s", logs.String())
		}
	})
	t.Run("InvalidRequestAnsweredWithCode", func(t *testing.T) {
		_, _, till, _ := setup(t)
		long := strings.Repeat("7", 65) // a card central cannot hold
		resp := till.call(till.request(deadline, redeem(long, "sale-1", 5)))
		if resp.GetErrorCode() != central.EINVALID || resp.GetAuthorization() != nil {
			t.Fatalf("response = %v, want error code %s", resp, central.EINVALID)
		}
	})
}
