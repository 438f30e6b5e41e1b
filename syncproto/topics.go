package syncproto

import (
	"fmt"
	"strings"
)

// DefaultPrefix is the topic prefix used when none is configured.
const DefaultPrefix = "tillsync/v1"

// Topic kinds (the last topic level), DESIGN §5.
const (
	KindUp    = "up"
	KindAck   = "ack"
	KindState = "state"
	KindDown  = "down"
	KindRPC   = "rpc"
)

// AllStores is the store level of the chain-wide downlink topic.
const AllStores = "all"

// Topics builds and parses topic names for one chain under one prefix.
// The zero value is not usable; use NewTopics.
type Topics struct {
	Prefix string
	Chain  string
}

// NewTopics returns topic helpers for chain under prefix ("" = DefaultPrefix).
// It fails if chain or prefix contain MQTT wildcards or empty levels.
func NewTopics(prefix, chain string) (Topics, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkLevels(prefix); err != nil {
		return Topics{}, fmt.Errorf("topic prefix %q: %w", prefix, err)
	}
	if err := ValidID(chain); err != nil {
		return Topics{}, fmt.Errorf("chain id %q: %w", chain, err)
	}
	return Topics{Prefix: prefix, Chain: chain}, nil
}

// ValidID reports whether id can be one topic level: non-empty, at most 64
// bytes, no '/', '+', '#', NUL, spaces or control characters.
func ValidID(id string) error {
	if id == "" {
		return fmt.Errorf("empty")
	}
	if len(id) > 64 {
		return fmt.Errorf("longer than 64 bytes")
	}
	for _, r := range id {
		if r == '/' || r == '+' || r == '#' || r <= ' ' || r == 0x7f {
			return fmt.Errorf("contains %q", r)
		}
	}
	return nil
}

func checkLevels(s string) error {
	for _, level := range strings.Split(s, "/") {
		if err := ValidID(level); err != nil {
			return err
		}
	}
	return nil
}

func (t Topics) agent(store, agent, kind string) string {
	return t.Prefix + "/" + t.Chain + "/" + store + "/" + agent + "/" + kind
}

// Up is the topic an agent publishes its batches on.
func (t Topics) Up(store, agent string) string { return t.agent(store, agent, KindUp) }

// Ack is the topic central acknowledges an agent's batches on.
func (t Topics) Ack(store, agent string) string { return t.agent(store, agent, KindAck) }

// State is an agent's retained presence topic (birth, and death as last will).
func (t Topics) State(store, agent string) string { return t.agent(store, agent, KindState) }

// RPC is the request/response topic of one agent with a method name.
func (t Topics) RPC(store, agent, method string) string {
	return t.agent(store, agent, KindRPC) + "/" + method
}

// StoreDown is central's downlink to every agent of one store.
func (t Topics) StoreDown(store string) string {
	return t.Prefix + "/" + t.Chain + "/" + store + "/" + KindDown
}

// AllDown is central's chain-wide downlink (catalog, policy, card blocks).
func (t Topics) AllDown() string { return t.StoreDown(AllStores) }

// UpFilter matches every agent's up topic in the chain.
func (t Topics) UpFilter() string { return t.agent("+", "+", KindUp) }

// SharedUpFilter is UpFilter as an MQTT shared subscription of group, so that
// several central instances split the stream (DESIGN §7).
func (t Topics) SharedUpFilter(group string) string {
	return "$share/" + group + "/" + t.UpFilter()
}

// StateFilter matches every agent's state (presence) topic in the chain.
func (t Topics) StateFilter() string { return t.agent("+", "+", KindState) }

// SharedStateFilter is StateFilter as an MQTT shared subscription of group.
// Presence rows are decided in the store, not by the instance that received
// the message, so any instance may take any state message (DESIGN §7).
func (t Topics) SharedStateFilter(group string) string {
	return "$share/" + group + "/" + t.StateFilter()
}

// AgentTopic is a parsed per-agent topic.
type AgentTopic struct {
	Store, Agent, Kind string
	// Method is the RPC topic's last level (RPCRequest, RPCResponse); ""
	// for other kinds.
	Method string
}

// ParseAgentTopic splits a per-agent topic of this chain into its parts.
// It returns an error for a topic of another prefix or chain, or with
// missing or extra levels.
func (t Topics) ParseAgentTopic(topic string) (AgentTopic, error) {
	head := t.Prefix + "/" + t.Chain + "/"
	if !strings.HasPrefix(topic, head) {
		return AgentTopic{}, fmt.Errorf("topic %q is not under %q", topic, head)
	}
	parts := strings.Split(strings.TrimPrefix(topic, head), "/")
	if len(parts) != 3 && (len(parts) != 4 || parts[2] != KindRPC) {
		return AgentTopic{}, fmt.Errorf("topic %q: want {store}/{agent}/{kind} or {store}/{agent}/rpc/{method} after %q", topic, head)
	}
	for _, p := range parts {
		if err := ValidID(p); err != nil {
			return AgentTopic{}, fmt.Errorf("topic %q: level %q: %w", topic, p, err)
		}
	}
	at := AgentTopic{Store: parts[0], Agent: parts[1], Kind: parts[2]}
	if len(parts) == 4 {
		at.Method = parts[3]
	}
	return at, nil
}

// RPC methods: the last level of an RPC topic.
const (
	RPCRequest  = "req"  // agent → central
	RPCResponse = "resp" // central → agent
)

// RPCRequestFilter matches every agent's RPC request topic in the chain.
func (t Topics) RPCRequestFilter() string { return t.RPC("+", "+", RPCRequest) }

// SharedRPCRequestFilter is RPCRequestFilter as a shared subscription of
// group: any instance may answer any request, since reservations are
// decided in the database (DESIGN §7).
func (t Topics) SharedRPCRequestFilter(group string) string {
	return "$share/" + group + "/" + t.RPCRequestFilter()
}
