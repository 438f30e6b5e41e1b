package syncproto

import (
	"strings"
	"testing"
)

func mustTopics(t testing.TB, prefix, chain string) Topics {
	t.Helper()
	tp, err := NewTopics(prefix, chain)
	if err != nil {
		t.Fatalf("NewTopics(%q, %q): %v", prefix, chain, err)
	}
	return tp
}

func TestNewTopics(t *testing.T) {
	ok := []struct {
		name, prefix, chain, wantPrefix string
	}{
		{"OKDefaultPrefix", "", "cn-east", DefaultPrefix},
		{"OKCustomPrefix", "acme/tillsync/v1", "c1", "acme/tillsync/v1"},
		{"OKLongestChain", "", strings.Repeat("c", 64), DefaultPrefix},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			tp := mustTopics(t, tt.prefix, tt.chain)
			if tp.Prefix != tt.wantPrefix || tp.Chain != tt.chain {
				t.Errorf("got %+v, want prefix %q chain %q", tp, tt.wantPrefix, tt.chain)
			}
		})
	}
	errs := []struct {
		name, prefix, chain, msg string
	}{
		{"ErrEmptyChain", "", "", `chain id "": empty`},
		{"ErrChainSlash", "", "cn/east", `contains '/'`},
		{"ErrChainPlus", "", "cn+", `contains '+'`},
		{"ErrChainHash", "", "#", `contains '#'`},
		{"ErrChainSpace", "", "cn east", `contains ' '`},
		{"ErrChainControl", "", "cn\x00", `contains '\x00'`},
		{"ErrChainDEL", "", "cn\x7f", `contains '\x7f'`},
		{"ErrChainTooLong", "", strings.Repeat("c", 65), "longer than 64 bytes"},
		{"ErrPrefixEmptyLevel", "tillsync//v1", "c1", `topic prefix "tillsync//v1": empty`},
		{"ErrPrefixTrailingSlash", "tillsync/v1/", "c1", "empty"},
		{"ErrPrefixLeadingSlash", "/tillsync", "c1", "empty"},
		{"ErrPrefixWildcard", "tillsync/+", "c1", `contains '+'`},
		{"ErrPrefixMultiWildcard", "tillsync/#", "c1", `contains '#'`},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := NewTopics(tt.prefix, tt.chain)
			if err == nil {
				t.Fatalf("NewTopics(%q, %q) = %+v, want error", tt.prefix, tt.chain, tp)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestTopics_Names(t *testing.T) {
	tp := mustTopics(t, "", "cn-east")
	tests := []struct {
		name, got, want string
	}{
		{"Up", tp.Up("s0042", "a1"), "tillsync/v1/cn-east/s0042/a1/up"},
		{"Ack", tp.Ack("s0042", "a1"), "tillsync/v1/cn-east/s0042/a1/ack"},
		{"State", tp.State("s0042", "a1"), "tillsync/v1/cn-east/s0042/a1/state"},
		{"RPC", tp.RPC("s0042", "a1", "member"), "tillsync/v1/cn-east/s0042/a1/rpc/member"},
		{"StoreDown", tp.StoreDown("s0042"), "tillsync/v1/cn-east/s0042/down"},
		{"AllDown", tp.AllDown(), "tillsync/v1/cn-east/all/down"},
		{"UpFilter", tp.UpFilter(), "tillsync/v1/cn-east/+/+/up"},
		{"SharedUpFilter", tp.SharedUpFilter("central"), "$share/central/tillsync/v1/cn-east/+/+/up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestTopics_ParseAgentTopic(t *testing.T) {
	tp := mustTopics(t, "", "cn-east")
	ok := []struct {
		name, prefix, topic string
		want                AgentTopic
	}{
		{"OKUp", "", tp.Up("s0042", "a1"), AgentTopic{Store: "s0042", Agent: "a1", Kind: KindUp}},
		{"OKAck", "", tp.Ack("s1", "a2"), AgentTopic{Store: "s1", Agent: "a2", Kind: KindAck}},
		{"OKRPC", "", tp.RPC("s1", "a2", RPCRequest), AgentTopic{Store: "s1", Agent: "a2", Kind: KindRPC, Method: RPCRequest}},
		{"OKState", "", tp.State("s1", "a2"), AgentTopic{Store: "s1", Agent: "a2", Kind: KindState}},
		{"OKCustomPrefix", "acme/ts", "acme/ts/cn-east/s1/a2/up", AgentTopic{Store: "s1", Agent: "a2", Kind: KindUp}},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mustTopics(t, tt.prefix, "cn-east").ParseAgentTopic(tt.topic)
			if err != nil {
				t.Fatalf("ParseAgentTopic(%q): %v", tt.topic, err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}

	errs := []struct {
		name, topic, msg string
	}{
		{"ErrOtherChain", "tillsync/v1/cn-west/s1/a1/up", "is not under"},
		{"ErrChainPrefixOnly", "tillsync/v1/cn-eastern/s1/a1/up", "is not under"},
		{"ErrOtherPrefix", "tillsync/v2/cn-east/s1/a1/up", "is not under"},
		{"ErrEmpty", "", "is not under"},
		{"ErrStoreDown", tp.StoreDown("s1"), "want {store}/{agent}/{kind}"},
		{"ErrRPCTooDeep", tp.RPC("s1", "a1", "req") + "/x", "want {store}/{agent}/{kind}"},
		{"ErrFourLevelsNotRPC", "tillsync/v1/cn-east/s1/a1/up/x", "want {store}/{agent}/{kind}"},
		{"ErrMissingKind", "tillsync/v1/cn-east/s1/a1", "want {store}/{agent}/{kind}"},
		{"ErrEmptyLevel", "tillsync/v1/cn-east/s1//up", `level "": empty`},
		{"ErrTrailingSlash", "tillsync/v1/cn-east/s1/a1/", `level "": empty`},
		{"ErrWildcard", tp.UpFilter(), `contains '+'`},
		{"ErrLongLevel", "tillsync/v1/cn-east/" + strings.Repeat("s", 65) + "/a1/up", "longer than 64 bytes"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tp.ParseAgentTopic(tt.topic)
			if err == nil {
				t.Fatalf("ParseAgentTopic(%q) = %+v, want error", tt.topic, got)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}
