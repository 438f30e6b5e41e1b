package syncproto

import "testing"

// rpcSeeds are the RPC fuzzers' seeds: a lookup and a redemption as an
// agent sends them, a response, the same from a newer build (an unknown
// field, an unknown call), broken ones, and the garbage payloads. The
// corpus committed under testdata/fuzz holds them as files too.
func rpcSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	req := func(id string, call isRpcRequest_Call) *RpcRequest {
		return &RpcRequest{SchemaVersion: SchemaVersion, CorrelationId: id, StoreId: "s0042", AgentId: "s0042-a1",
			SentAtMs: 1767225600000, DeadlineMs: 1767225601500, Call: call}
	}
	lookup := req("s0042-a1-1", &RpcRequest_MemberLookup{MemberLookup: &MemberLookup{Card: "6200001234567890"}})
	redeem := req("s0042-a1-2", &RpcRequest_RedeemAuthorize{RedeemAuthorize: &RedeemAuthorize{
		Card: "6200001234567890", Points: 500, ReservationId: "sale-s0042-a1-77"}})
	noCall := req("s0042-a1-3", nil)
	zeroPoints := req("s0042-a1-4", &RpcRequest_RedeemAuthorize{RedeemAuthorize: &RedeemAuthorize{Card: "c", ReservationId: "r"}})
	resp := &RpcResponse{SchemaVersion: SchemaVersion, CorrelationId: "s0042-a1-2", CentralTimeMs: 1767225600200,
		Result: &RpcResponse_Authorization{Authorization: &RedeemAuthorization{Approved: true, Available: 800,
			ReservationId: "sale-s0042-a1-77", ExpiresAtMs: 1767226500200}}}
	seeds := [][]byte{rawMarshal(tb, lookup), rawMarshal(tb, redeem), rawMarshal(tb, noCall), rawMarshal(tb, zeroPoints),
		appendField(rawMarshal(tb, redeem), 30, "future"), appendField(rawMarshal(tb, noCall), 12, "future call"),
		rawMarshal(tb, resp)}
	for _, g := range garbage {
		seeds = append(seeds, g)
	}
	return seeds
}

func FuzzDecodeRPCRequest(f *testing.F) {
	for _, s := range rpcSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, DecodeRPCRequest, EncodeRPCRequest) })
}

func FuzzDecodeRPCResponse(f *testing.F) {
	for _, s := range rpcSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, DecodeRPCResponse, EncodeRPCResponse) })
}

// TestRPCSeeds keeps the seeds meaningful: the well-formed requests
// decode (lookup, redemption, redemption with an unknown field) and the
// broken ones do not, so the fuzzer starts from both sides.
func TestRPCSeeds(t *testing.T) {
	var ok []int
	for i, s := range rpcSeeds(t)[:7] {
		if _, err := DecodeRPCRequest(s); err == nil {
			ok = append(ok, i)
		}
	}
	if len(ok) != 3 || ok[0] != 0 || ok[1] != 1 || ok[2] != 4 {
		t.Fatalf("seeds %v decode as requests, want 0, 1 and 4", ok)
	}
	if _, err := DecodeRPCResponse(rpcSeeds(t)[6]); err != nil {
		t.Fatalf("response seed: %v", err)
	}
}
