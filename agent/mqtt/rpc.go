package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
)

var _ agent.Online = (*Uplink)(nil)

// rpcCalls are the requests waiting for central's answer, by
// correlation id.
type rpcCalls struct {
	mu      sync.Mutex
	pending map[string]chan *syncproto.RpcResponse
}

func (r *rpcCalls) add(id string) chan *syncproto.RpcResponse {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = make(map[string]chan *syncproto.RpcResponse)
	}
	ch := make(chan *syncproto.RpcResponse, 1)
	r.pending[id] = ch
	return ch
}

func (r *rpcCalls) remove(id string) {
	r.mu.Lock()
	delete(r.pending, id)
	r.mu.Unlock()
}

// deliver hands resp to its caller; false when no call waits for it (a
// late answer after the deadline, or a duplicate).
func (r *rpcCalls) deliver(resp *syncproto.RpcResponse) bool {
	r.mu.Lock()
	ch, ok := r.pending[resp.GetCorrelationId()]
	delete(r.pending, resp.GetCorrelationId())
	r.mu.Unlock()
	if ok {
		ch <- resp // buffered for one: never blocks
	}
	return ok
}

// subscribeRPC subscribes to central's answers on every connection.
func (u *Uplink) subscribeRPC(c paho.Client) error {
	return u.subscribe(c, u.cfg.Topics.RPC(u.cfg.StoreID, u.cfg.AgentID, syncproto.RPCResponse), u.onRPCResponse)
}

func (u *Uplink) onRPCResponse(_ paho.Client, m paho.Message) {
	resp, err := syncproto.DecodeRPCResponse(m.Payload())
	if err != nil {
		u.log.Warn("ignoring bad rpc response", "topic", m.Topic(), "bytes", len(m.Payload()), "err", err)
		return
	}
	if !u.rpc.deliver(resp) {
		u.log.Debug("rpc response nobody waits for", "correlation_id", resp.GetCorrelationId())
	}
}

// call publishes req and waits for its answer until ctx's deadline (which
// it must have: it is the deadline central is told). It fails with an
// EUNAVAILABLE *Error, at once when the link is down, and when no answer
// came in time; central's own error codes come back as coded errors.
func (u *Uplink) call(ctx context.Context, req *syncproto.RpcRequest) (*syncproto.RpcResponse, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil, fmt.Errorf("rpc call without a deadline")
	}
	u.mu.Lock()
	connected := u.connected
	u.mu.Unlock()
	client := u.client.Load()
	if !connected || client == nil {
		return nil, agent.Errorf(agent.EUNAVAILABLE, "central is not reachable: the store is offline")
	}
	id, err := correlationID()
	if err != nil {
		return nil, err
	}
	req.SchemaVersion, req.CorrelationId = syncproto.SchemaVersion, id
	req.StoreId, req.AgentId = u.cfg.StoreID, u.cfg.AgentID
	req.SentAtMs, req.DeadlineMs = u.cfg.Now().UnixMilli(), deadline.UnixMilli()
	payload, err := syncproto.EncodeRPCRequest(req)
	if err != nil {
		return nil, agent.Errorf(agent.EINVALID, "rpc request: %v", err)
	}
	ch := u.rpc.add(id)
	defer u.rpc.remove(id)
	tok := (*client).Publish(u.cfg.Topics.RPC(u.cfg.StoreID, u.cfg.AgentID, syncproto.RPCRequest), 1, false, payload)
	if !tok.WaitTimeout(time.Until(deadline)) || tok.Error() != nil {
		return nil, agent.Errorf(agent.EUNAVAILABLE, "central did not take the request in time")
	}
	select {
	case resp := <-ch:
		if code := resp.GetErrorCode(); code != "" {
			return nil, agent.Errorf(rpcErrorCode(code), "central: %s", resp.GetErrorMessage())
		}
		return resp, nil
	case <-ctx.Done():
		return nil, agent.Errorf(agent.EUNAVAILABLE, "central did not answer in time")
	}
}

// rpcErrorCode maps central's error codes onto the agent's.
func rpcErrorCode(code string) string {
	switch code {
	case agent.EINVALID, agent.ENOTFOUND, agent.ECONFLICT:
		return code
	}
	return agent.EUNAVAILABLE
}

func correlationID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("correlation id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// AuthorizeRedeem implements agent.Online.
func (u *Uplink) AuthorizeRedeem(ctx context.Context, card string, points int64, reservationID string) (agent.RedeemAuthorization, error) {
	resp, err := u.call(ctx, &syncproto.RpcRequest{Call: &syncproto.RpcRequest_RedeemAuthorize{
		RedeemAuthorize: &syncproto.RedeemAuthorize{Card: card, Points: points, ReservationId: reservationID}}})
	if err != nil {
		return agent.RedeemAuthorization{}, err
	}
	a := resp.GetAuthorization()
	if a == nil || a.GetReservationId() != reservationID {
		return agent.RedeemAuthorization{}, agent.Errorf(agent.EUNAVAILABLE, "central answered another question")
	}
	out := agent.RedeemAuthorization{Approved: a.GetApproved(), Available: a.GetAvailable()}
	if ms := a.GetExpiresAtMs(); ms > 0 {
		out.ExpiresAt = time.UnixMilli(ms)
	}
	return out, nil
}

// LookupMember implements agent.Online.
func (u *Uplink) LookupMember(ctx context.Context, card string) (*agent.Member, error) {
	resp, err := u.call(ctx, &syncproto.RpcRequest{Call: &syncproto.RpcRequest_MemberLookup{
		MemberLookup: &syncproto.MemberLookup{Card: card}}})
	if err != nil {
		return nil, err
	}
	res := resp.GetMember()
	if res == nil {
		return nil, agent.Errorf(agent.EUNAVAILABLE, "central answered another question")
	}
	if !res.GetFound() || res.GetMember().GetCard() != card {
		return nil, agent.Errorf(agent.ENOTFOUND, "card %s is not known at central either", agent.MaskCard(card))
	}
	return MemberFromRecord(res.GetMember()), nil
}

// MemberFromRecord is the store's view of a member record from central.
func MemberFromRecord(r *syncproto.MemberRecord) *agent.Member {
	m := &agent.Member{
		Card: r.GetCard(), MemberID: r.GetMemberId(), MaskedName: r.GetMaskedName(), PhoneLast4: r.GetPhoneLast4(),
		Tier: r.GetTier(), Balance: r.GetBalance(), Debt: r.GetDebt(), Blocked: r.GetBlocked(),
		BlockReason: r.GetBlockReason(), Staff: r.GetStaff(),
	}
	if ms := r.GetBalanceAtMs(); ms > 0 {
		m.BalanceAt = time.UnixMilli(ms)
	}
	for _, l := range r.GetLots() {
		lot := agent.Lot{ID: l.GetLotId(), Points: l.GetPoints(), SaleID: l.GetSaleId(),
			EarnedAt: time.UnixMilli(l.GetEarnedAtMs()), AvailableAt: time.UnixMilli(l.GetAvailableAtMs())}
		if ms := l.GetExpiresAtMs(); ms > 0 {
			lot.ExpiresAt = time.UnixMilli(ms)
		}
		m.Lots = append(m.Lots, lot)
	}
	return m
}
