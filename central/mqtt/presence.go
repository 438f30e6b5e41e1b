package mqtt

import (
	"context"
	"fmt"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// PresenceStore is what the Ingester needs to record agents' presence. A
// store passed to NewIngester that also implements it (central.Store
// does) makes the ingester subscribe to the agents' state topics.
type PresenceStore interface {
	RecordPresence(ctx context.Context, p central.Presence) (applied bool, err error)
}

// stateFilter is the subscription to the agents' state topics, shared like
// the up filter: which instance takes a message does not matter, since
// the store applies the session rule (DESIGN §7).
func (in *Ingester) stateFilter() string {
	if in.cfg.SharedGroup != "" {
		return in.cfg.Topics.SharedStateFilter(in.cfg.SharedGroup)
	}
	return in.cfg.Topics.StateFilter()
}

// filters returns what onConnect subscribes to.
func (in *Ingester) filters() []string {
	f := []string{in.filter()}
	if in.presence != nil {
		f = append(f, in.stateFilter())
	}
	if in.rpc != nil {
		f = append(f, in.rpcFilter())
	}
	return f
}

// route hands a queued message to the handler of its topic's kind.
func (in *Ingester) route(ctx context.Context, msg paho.Message) {
	at, err := in.cfg.Topics.ParseAgentTopic(msg.Topic())
	switch {
	case err != nil:
	case in.presence != nil && at.Kind == syncproto.KindState:
		in.handlePresence(ctx, at, msg)
		return
	case in.rpc != nil && at.Kind == syncproto.KindRPC && at.Method == syncproto.RPCRequest:
		in.handleRPC(ctx, at, msg)
		return
	}
	in.handle(ctx, msg)
}

// handlePresence records an agent's birth or death (DESIGN §5 rule 3).
// Presence is advisory: whatever fails is logged and the message acked to
// the broker, which could only redeliver the same bytes.
func (in *Ingester) handlePresence(ctx context.Context, at syncproto.AgentTopic, msg paho.Message) {
	defer msg.Ack()
	if len(msg.Payload()) == 0 {
		return // a cleared retained message, not a presence
	}
	p, err := syncproto.DecodePresence(msg.Payload())
	if err == nil && (p.GetStoreId() != at.Store || p.GetAgentId() != at.Agent) {
		err = fmt.Errorf("presence of store %q agent %q on the topic of store %q agent %q",
			p.GetStoreId(), p.GetAgentId(), at.Store, at.Agent)
	}
	if err != nil {
		in.logger.Warn("presence ignored", "topic", msg.Topic(), "bytes", len(msg.Payload()), "err", err)
		return
	}
	applied, err := in.presence.RecordPresence(ctx, central.PresenceFromMessage(p, in.cfg.Now()))
	if err != nil {
		in.logger.Error("record presence failed", "store", at.Store, "agent", at.Agent, "session", p.GetSession(), "err", err)
		return
	}
	in.logger.Info("presence", "store", at.Store, "agent", at.Agent, "online", p.GetOnline(),
		"session", p.GetSession(), "applied", applied, "outbox_depth", p.GetOutboxDepth())
	// A birth names the versions the agent holds; send what it lacks. A
	// stale birth (not applied) is still answered: sending a store what it
	// already holds costs a little traffic and changes nothing there.
	if p.GetOnline() && in.down != nil {
		in.down.catchUp(ctx, at.Store, p.GetVersions())
	}
}
