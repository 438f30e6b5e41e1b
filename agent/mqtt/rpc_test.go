package mqtt

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
)

// rpcResponder stands in for central's RPC handler (central/mqtt has the
// real one, tested with central's store): it answers each request on the
// agent's response topic with answer's result.
func rpcResponder(t *testing.T, brokerURL string, answer func(*syncproto.RpcRequest) *syncproto.RpcResponse) *atomic.Int64 {
	t.Helper()
	var seen atomic.Int64
	tp := testTopics(t)
	var c paho.Client
	c = newTestClient(t, brokerURL, "central-rpc", tp.RPCRequestFilter(), func(_ paho.Client, m paho.Message) {
		req, err := syncproto.DecodeRPCRequest(m.Payload())
		if err != nil {
			t.Errorf("agent sent a bad request: %v", err)
			return
		}
		seen.Add(1)
		resp := answer(req)
		if resp == nil {
			return // silent central
		}
		resp.SchemaVersion, resp.CorrelationId = syncproto.SchemaVersion, req.GetCorrelationId()
		b, err := syncproto.EncodeRPCResponse(resp)
		if err != nil {
			t.Errorf("encode response: %v", err)
			return
		}
		c.Publish(tp.RPC(req.GetStoreId(), req.GetAgentId(), syncproto.RPCResponse), 1, false, b)
	})
	return &seen
}

func startRPCUplink(t *testing.T, brokerURL string) *Uplink {
	t.Helper()
	u, err := NewUplink(testConfig(t, brokerURL), newTestLedger(t))
	if err != nil {
		t.Fatal(err)
	}
	runUplink(t, u)
	waitFor(t, "uplink connected", func() bool { return u.Status().Connected })
	return u
}

func callCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestUplink_AuthorizeRedeem(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	rpcResponder(t, b.url(), func(req *syncproto.RpcRequest) *syncproto.RpcResponse {
		a := req.GetRedeemAuthorize()
		switch a.GetCard() {
		case "8800000000017":
			return &syncproto.RpcResponse{Result: &syncproto.RpcResponse_Authorization{Authorization: &syncproto.RedeemAuthorization{
				Approved: a.GetPoints() <= 300, Available: 300, ReservationId: a.GetReservationId()}}}
		case "8800000000025":
			return &syncproto.RpcResponse{Result: &syncproto.RpcResponse_Authorization{Authorization: &syncproto.RedeemAuthorization{
				Approved: true, Available: 999, ReservationId: "someone-else"}}}
		}
		return nil
	})
	u := startRPCUplink(t, b.url())

	got, err := u.AuthorizeRedeem(callCtx(t, 30*time.Second), "8800000000017", 200, "sale-1")
	if err != nil || !got.Approved || got.Available != 300 {
		t.Fatalf("AuthorizeRedeem(200) = %+v, %v; want approved with 300 available", got, err)
	}
	got, err = u.AuthorizeRedeem(callCtx(t, 30*time.Second), "8800000000017", 400, "sale-2")
	if err != nil || got.Approved {
		t.Fatalf("AuthorizeRedeem(400) = %+v, %v; want refused", got, err)
	}
	if _, err := u.AuthorizeRedeem(callCtx(t, 30*time.Second), "8800000000025", 1, "sale-3"); agent.ErrorCode(err) != agent.EUNAVAILABLE {
		t.Fatalf("answer for another reservation: %v; want EUNAVAILABLE", err)
	}
	// A central that does not answer: the call ends at its deadline.
	if _, err := u.AuthorizeRedeem(callCtx(t, 300*time.Millisecond), "8800000000033", 1, "sale-4"); agent.ErrorCode(err) != agent.EUNAVAILABLE {
		t.Fatalf("silent central: %v; want EUNAVAILABLE", err)
	}
}

func TestUplink_LookupMember(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	rpcResponder(t, b.url(), func(req *syncproto.RpcRequest) *syncproto.RpcResponse {
		card := req.GetMemberLookup().GetCard()
		if card != "8800000000017" {
			return &syncproto.RpcResponse{Result: &syncproto.RpcResponse_Member{Member: &syncproto.MemberLookupResult{Found: false}}}
		}
		return &syncproto.RpcResponse{Result: &syncproto.RpcResponse_Member{Member: &syncproto.MemberLookupResult{Found: true,
			Member: &syncproto.MemberRecord{Card: card, MemberId: "m-1", MaskedName: "张*", Balance: 120, BalanceAtMs: 1_700_000_000_000}}}}
	})
	u := startRPCUplink(t, b.url())
	m, err := u.LookupMember(callCtx(t, 30*time.Second), "8800000000017")
	if err != nil || m.MemberID != "m-1" || m.Balance != 120 || m.BalanceAt.IsZero() {
		t.Fatalf("LookupMember = %+v, %v", m, err)
	}
	if _, err := u.LookupMember(callCtx(t, 30*time.Second), "8800000000025"); agent.ErrorCode(err) != agent.ENOTFOUND {
		t.Fatalf("unknown card: %v; want ENOTFOUND", err)
	}
}

func TestUplink_OnlineWhileOffline(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	seen := rpcResponder(t, b.url(), func(*syncproto.RpcRequest) *syncproto.RpcResponse { return nil })
	u := startRPCUplink(t, b.url())
	b.stop()
	waitFor(t, "uplink to notice the broker is gone", func() bool { return !u.Status().Connected })
	start := time.Now()
	if _, err := u.AuthorizeRedeem(callCtx(t, time.Minute), "8800000000017", 1, "sale-1"); agent.ErrorCode(err) != agent.EUNAVAILABLE {
		t.Fatalf("offline: %v; want EUNAVAILABLE", err)
	}
	// Not waiting for the minute's deadline is the point: the till falls
	// back at once. Asserted loosely (no timing assertions): well within it.
	if waited := time.Since(start); waited > 30*time.Second {
		t.Fatalf("offline call waited %s", waited)
	}
	if seen.Load() != 0 {
		t.Fatalf("a request reached central while offline")
	}
}
