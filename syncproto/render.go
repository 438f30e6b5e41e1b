package syncproto

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Render kinds accepted by RenderJSON.
const (
	RenderBatch = "batch"
	RenderAck   = "ack"
	RenderEvent = "event"
	// RenderDownlink renders a chunk of a downstream update; the chunk's
	// data shows as base64 (join the chunks to read the content).
	RenderDownlink = "downlink"
	RenderRPCReq   = "rpc_request"
	RenderRPCResp  = "rpc_response"
	RenderAuto     = "auto"
)

var jsonOptions = protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true, EmitUnpopulated: false}

// rendered is RenderJSON's output: the kind it decoded and the message.
type rendered struct {
	Kind    string          `json:"kind"`
	Message json.RawMessage `json:"message"`
}

// RenderJSON decodes payload as kind ("batch", "ack", "event", "downlink",
// "rpc_request", "rpc_response", or "auto"
// or "" to guess) and renders it for humans as indented JSON of the form
// {"kind":"batch","message":{...}} with the .proto field names (DESIGN §5
// rule 5). A guess tries Batch, then Ack, then Event — the first whose
// decoder accepts the payload wins — and fails naming why each refused. It
// fails, and never panics, on anything the decoders refuse.
func RenderJSON(kind string, payload []byte) ([]byte, error) {
	m, chosen, err := decodeAs(kind, payload)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	msg, err := jsonOptions.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", chosen, err)
	}
	// Re-indenting through encoding/json also normalises protojson's
	// deliberately unstable whitespace, so the output can be a golden file.
	out, err := json.MarshalIndent(rendered{Kind: chosen, Message: msg}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", chosen, err)
	}
	return append(out, '\n'), nil
}

func decodeAs(kind string, payload []byte) (proto.Message, string, error) {
	switch kind {
	case RenderBatch:
		m, err := DecodeBatch(payload)
		return m, kind, err
	case RenderAck:
		m, err := DecodeAck(payload)
		return m, kind, err
	case RenderEvent:
		m, err := DecodeEvent(payload)
		return m, kind, err
	case RenderDownlink:
		m, err := DecodeDownlink(payload)
		return m, kind, err
	case RenderRPCReq:
		m, err := DecodeRPCRequest(payload)
		return m, kind, err
	case RenderRPCResp:
		m, err := DecodeRPCResponse(payload)
		return m, kind, err
	case RenderAuto, "":
		return guess(payload)
	default:
		return nil, "", fmt.Errorf("unknown kind %q (want %s, %s, %s, %s, %s, %s or %s)", kind,
			RenderBatch, RenderAck, RenderEvent, RenderDownlink, RenderRPCReq, RenderRPCResp, RenderAuto)
	}
}

// guess tries the kinds from the most to the least constrained: a Batch
// needs an agent and contiguous events, an Ack an agent and ranges, an Event
// only a known payload, so a looser kind rarely mistakes a stricter one.
func guess(payload []byte) (proto.Message, string, error) {
	b, berr := DecodeBatch(payload)
	if berr == nil {
		return b, RenderBatch, nil
	}
	if errors.Is(berr, ErrTooLarge) {
		return nil, "", berr // the same for every kind
	}
	a, aerr := DecodeAck(payload)
	if aerr == nil {
		return a, RenderAck, nil
	}
	e, eerr := DecodeEvent(payload)
	if eerr == nil {
		return e, RenderEvent, nil
	}
	return nil, "", fmt.Errorf("payload is no known message: %w; %w; %w", berr, aerr, eerr)
}
