package mqtt

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// RPCStats counts the agents' online calls an Ingester took (member
// lookups and redemption authorisations).
type RPCStats struct {
	Requests int64 // request messages taken from the broker
	Answered int64 // responses published
	Expired  int64 // requests past their deadline: dropped unanswered, nothing reserved
	Rejected int64 // garbage, unknown calls, or a request on another agent's topic: dropped
	Failed   int64 // the store failed or the response could not be published
}

// rpcCounters is RPCStats with atomic fields.
type rpcCounters struct {
	requests, answered, expired, rejected, failed atomic.Int64
}

// RPCStats returns the RPC counters since start; all zero when the store
// does not implement central.Reservations.
func (in *Ingester) RPCStats() RPCStats {
	c := &in.rpcStats
	return RPCStats{Requests: c.requests.Load(), Answered: c.answered.Load(), Expired: c.expired.Load(),
		Rejected: c.rejected.Load(), Failed: c.failed.Load()}
}

// rpcFilter is the subscription to the agents' RPC requests, shared like
// the up filter: any instance may answer any request, since reservations
// are decided in the database (DESIGN §7).
func (in *Ingester) rpcFilter() string {
	if in.cfg.SharedGroup != "" {
		return in.cfg.Topics.SharedRPCRequestFilter(in.cfg.SharedGroup)
	}
	return in.cfg.Topics.RPCRequestFilter()
}

// handleRPC answers one agent's online call on its response topic. A
// request past its deadline is dropped before anything is decided: the
// till has already fallen back to its offline bound, and a reservation
// made now would only hold points nobody will spend. What cannot be
// decoded or sits on another agent's topic is logged and dropped. The
// message is acked to the broker in every case: a redelivery could only
// bring the same bytes, later.
//
// Requests are not signed by the wire format, not even in signed auth
// mode: the broker's ACL is what stops one client publishing on another
// agent's rpc topic.
func (in *Ingester) handleRPC(ctx context.Context, at syncproto.AgentTopic, msg paho.Message) {
	defer msg.Ack()
	in.rpcStats.requests.Add(1)
	req, err := syncproto.DecodeRPCRequest(msg.Payload())
	if err == nil && (req.GetStoreId() != at.Store || req.GetAgentId() != at.Agent) {
		err = fmt.Errorf("request of store %q agent %q on the topic of store %q agent %q",
			req.GetStoreId(), req.GetAgentId(), at.Store, at.Agent)
	}
	if err != nil {
		in.rpcStats.rejected.Add(1)
		// Topic and size only: the payload may hold a card number.
		in.logger.Warn("rpc request dropped", "topic", msg.Topic(), "bytes", len(msg.Payload()), "err", err)
		return
	}
	now := in.cfg.Now()
	left := time.UnixMilli(req.GetDeadlineMs()).Sub(now)
	if left <= 0 {
		in.rpcStats.expired.Add(1)
		in.logger.Info("rpc request past its deadline, dropped", "store", at.Store, "agent", at.Agent,
			"correlation_id", req.GetCorrelationId(), "late_by", -left)
		return
	}
	// The store works no longer than the agent waits: a transaction still
	// running at the deadline is rolled back rather than reserving points
	// for a till that has stopped listening.
	callCtx, cancel := context.WithTimeout(ctx, left)
	defer cancel()
	resp := in.answer(callCtx, req, now)
	in.respond(at, resp)
}

// answer decides req and returns the response to publish.
func (in *Ingester) answer(ctx context.Context, req *syncproto.RpcRequest, now time.Time) *syncproto.RpcResponse {
	resp := &syncproto.RpcResponse{SchemaVersion: syncproto.SchemaVersion, CorrelationId: req.GetCorrelationId()}
	var err error
	var card string
	switch c := req.GetCall().(type) {
	case *syncproto.RpcRequest_MemberLookup:
		card = c.MemberLookup.GetCard()
		var m central.MemberLookup
		if m, err = in.rpc.LookupMember(ctx, card, now); err == nil {
			resp.Result = &syncproto.RpcResponse_Member{Member: m.Proto()}
		}
	case *syncproto.RpcRequest_RedeemAuthorize:
		r := c.RedeemAuthorize
		card = r.GetCard()
		var a central.Authorization
		a, err = in.rpc.AuthorizeRedeem(ctx, central.RedeemRequest{ReservationID: r.GetReservationId(), Card: card,
			Points: r.GetPoints(), StoreID: req.GetStoreId(), AgentID: req.GetAgentId(), TTL: in.cfg.ReservationTTL}, now)
		if err == nil {
			resp.Result = &syncproto.RpcResponse_Authorization{Authorization: a.Proto()}
			in.logger.Info("redeem authorization", "store", req.GetStoreId(), "agent", req.GetAgentId(),
				"card", central.MaskCard(card), "points", r.GetPoints(), "approved", a.Approved, "available", a.Available)
		}
	default: // DecodeRPCRequest lets no other call through; kept so a new one is answered, not ignored
		err = central.Errorf(central.EINVALID, "rpc call %T is not served by this central", c)
	}
	if err != nil {
		in.rpcStats.failed.Add(1)
		resp.ErrorCode, resp.ErrorMessage = rpcError(err)
		in.logger.Warn("rpc request failed", "store", req.GetStoreId(), "agent", req.GetAgentId(),
			"correlation_id", req.GetCorrelationId(), "card", central.MaskCard(card), "err", err)
	}
	resp.CentralTimeMs = in.cfg.Now().UnixMilli()
	return resp
}

// rpcError maps err to the response's error code (the .proto lists
// invalid, not_found and unavailable) and an operator message. Anything
// but a bad request is "unavailable": the till falls back to its offline
// bound at once instead of waiting out the deadline.
func rpcError(err error) (code, message string) {
	switch central.ErrorCode(err) {
	case central.EINVALID:
		return central.EINVALID, central.ErrorMessage(err)
	case central.ENOTFOUND:
		return central.ENOTFOUND, central.ErrorMessage(err)
	}
	return central.EUNAVAILABLE, "central cannot decide now; use the offline rules"
}

// respond publishes resp on the agent's response topic, QoS 1, not
// retained: a stale answer must never greet the agent's next session.
func (in *Ingester) respond(at syncproto.AgentTopic, resp *syncproto.RpcResponse) {
	payload, err := syncproto.EncodeRPCResponse(resp)
	if err != nil {
		in.rpcStats.failed.Add(1)
		in.logger.Error("encode rpc response", "store", at.Store, "agent", at.Agent, "err", err)
		return
	}
	topic := in.cfg.Topics.RPC(at.Store, at.Agent, syncproto.RPCResponse)
	tok := in.client.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(in.cfg.AckTimeout) {
		in.rpcStats.failed.Add(1)
		in.logger.Warn("rpc response publish timed out; the till falls back", "topic", topic)
		return
	}
	if err := tok.Error(); err != nil {
		in.rpcStats.failed.Add(1)
		in.logger.Warn("rpc response publish failed; the till falls back", "topic", topic, "err", err)
		return
	}
	in.rpcStats.answered.Add(1)
}
