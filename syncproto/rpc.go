package syncproto

import "fmt"

// MaxCorrelationID bounds an RPC correlation id.
const MaxCorrelationID = 64

// ValidateRPCRequest checks a request: a schema_version from 1 to
// SchemaVersion, a correlation id of 1 to MaxCorrelationID bytes, store
// and agent ids, a deadline, and a call this version knows
// (ErrUnknownKind otherwise); a RedeemAuthorize needs a card, positive
// points and a reservation id.
func ValidateRPCRequest(r *RpcRequest) error {
	if r == nil {
		return fmt.Errorf("nil rpc request: %w", ErrMalformed)
	}
	if err := checkSchema(r.GetSchemaVersion()); err != nil {
		return err
	}
	if err := checkCorrelation(r.GetCorrelationId()); err != nil {
		return err
	}
	switch {
	case r.GetStoreId() == "" || r.GetAgentId() == "":
		return fmt.Errorf("rpc request without store or agent: %w", ErrMalformed)
	case r.GetDeadlineMs() <= 0:
		return fmt.Errorf("rpc request without a deadline: %w", ErrMalformed)
	}
	switch c := r.GetCall().(type) {
	case *RpcRequest_MemberLookup:
		if c.MemberLookup.GetCard() == "" {
			return fmt.Errorf("member lookup without a card: %w", ErrMalformed)
		}
	case *RpcRequest_RedeemAuthorize:
		a := c.RedeemAuthorize
		if a.GetCard() == "" || a.GetPoints() <= 0 || a.GetReservationId() == "" || len(a.GetReservationId()) > 64 {
			return fmt.Errorf("redeem authorization needs a card, positive points and a reservation id: %w", ErrMalformed)
		}
	default:
		return fmt.Errorf("rpc request without a call this version knows: %w", ErrUnknownKind)
	}
	return nil
}

// ValidateRPCResponse checks a response's schema_version and correlation
// id; its result is the caller's to check against what it asked.
func ValidateRPCResponse(r *RpcResponse) error {
	if r == nil {
		return fmt.Errorf("nil rpc response: %w", ErrMalformed)
	}
	if err := checkSchema(r.GetSchemaVersion()); err != nil {
		return err
	}
	return checkCorrelation(r.GetCorrelationId())
}

func checkCorrelation(id string) error {
	if id == "" || len(id) > MaxCorrelationID {
		return fmt.Errorf("correlation id of %d bytes, want 1 to %d: %w", len(id), MaxCorrelationID, ErrMalformed)
	}
	return nil
}

// DecodeRPCRequest parses and validates an RpcRequest.
func DecodeRPCRequest(b []byte) (*RpcRequest, error) {
	var m RpcRequest
	if err := unmarshal("rpc request", b, &m); err != nil {
		return nil, err
	}
	if err := ValidateRPCRequest(&m); err != nil {
		return nil, fmt.Errorf("decode rpc request: %w", err)
	}
	return &m, nil
}

// EncodeRPCRequest validates r and returns its deterministic encoding.
func EncodeRPCRequest(r *RpcRequest) ([]byte, error) {
	if err := ValidateRPCRequest(r); err != nil {
		return nil, fmt.Errorf("encode rpc request: %w", err)
	}
	return marshal("rpc request", r)
}

// DecodeRPCResponse parses and validates an RpcResponse.
func DecodeRPCResponse(b []byte) (*RpcResponse, error) {
	var m RpcResponse
	if err := unmarshal("rpc response", b, &m); err != nil {
		return nil, err
	}
	if err := ValidateRPCResponse(&m); err != nil {
		return nil, fmt.Errorf("decode rpc response: %w", err)
	}
	return &m, nil
}

// EncodeRPCResponse validates r and returns its deterministic encoding.
func EncodeRPCResponse(r *RpcResponse) ([]byte, error) {
	if err := ValidateRPCResponse(r); err != nil {
		return nil, fmt.Errorf("encode rpc response: %w", err)
	}
	return marshal("rpc response", r)
}
