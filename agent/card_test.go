package agent_test

import (
	"strings"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

func TestCardMatcher_Match(t *testing.T) {
	m, err := agent.NewCardMatcher([]agent.CardPattern{
		{Name: "club", Prefix: "8800", Length: 13},
		{Name: "luhn", Prefix: "66", Luhn: true},
		{Name: "letters", Regexp: `VIP[0-9]{6}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		data, card string
		ok         bool
	}{
		{"8800123456787", "8800123456787", true},
		{"  8800123456787\r\n", "8800123456787", true},
		{"]E08800123456787", "8800123456787", true}, // AIM stripped
		{"]C0 8800123456787 ", "8800123456787", true},
		{"880012345678", "", false},  // length 12
		{"8801123456787", "", false}, // prefix
		{"6611", "", false},          // fails Luhn
		{"6619", "6619", true},       // 9 + 2 + 6 + 3 = 20: Luhn valid
		{"VIP123456", "VIP123456", true},
		{"xVIP123456", "", false},    // regexp anchored
		{"VIP1234567", "", false},    // regexp anchored at the end
		{"5901234123457", "", false}, // a product
		{"8800-12345678", "", false}, // not letters or digits
		{"", "", false},
		{"]E0", "", false},
	}
	for _, tt := range tests {
		card, ok := m.Match(tt.data)
		if card != tt.card || ok != tt.ok {
			t.Errorf("Match(%q) = %q, %v; want %q, %v", tt.data, card, ok, tt.card, tt.ok)
		}
	}
	var nilMatcher *agent.CardMatcher
	if _, ok := nilMatcher.Match("8800123456787"); ok {
		t.Error("a nil matcher matched")
	}
}

func TestNewCardMatcher_Err(t *testing.T) {
	tests := []struct {
		name string
		p    agent.CardPattern
		want string
	}{
		{"NoCondition", agent.CardPattern{Name: "all"}, "no condition"},
		{"BadRegexp", agent.CardPattern{Name: "bad", Regexp: "("}, "regexp"},
		{"BadLength", agent.CardPattern{Name: "long", Length: 65}, "length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := agent.NewCardMatcher([]agent.CardPattern{{Name: "ok", Prefix: "88"}, tt.p})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "card_patterns[1]") {
				t.Fatalf("err = %v, want one naming card_patterns[1] and %q", err, tt.want)
			}
		})
	}
}

func TestMatchCard(t *testing.T) {
	ps := []agent.CardPattern{{Prefix: "8800", Length: 13}}
	if card, ok := agent.MatchCard(ps, "]E08800123456787"); !ok || card != "8800123456787" {
		t.Errorf("MatchCard = %q, %v", card, ok)
	}
	if _, ok := agent.MatchCard([]agent.CardPattern{{Regexp: "("}}, "8800123456787"); ok {
		t.Error("an invalid pattern matched")
	}
}

func TestParseTrack2(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tests := []struct{ data, pan string }{
			{";8800123456787=2912101?\r", "8800123456787"},
			{";8800123456787?", "8800123456787"},
			{"%B8800123456787^ZHANG/SAN^2912101?;8800123456787=2912101?\r\n", "8800123456787"},
			{"%E?;8800123456787=29121?", "8800123456787"}, // track 1 unreadable, track 2 fine
		}
		for _, tt := range tests {
			pan, err := agent.ParseTrack2(tt.data)
			if err != nil || pan != tt.pan {
				t.Errorf("ParseTrack2(%q) = %q, %v; want %q", tt.data, pan, err, tt.pan)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, data := range []string{";E?", ";E?\r", "%E?;E?", "", "8800123456787", ";8800123456787", ";=2912?",
			";12345678901234567890=29?", ";88001234A6787=29?", "%B8800123456787^NAME"} {
			pan, err := agent.ParseTrack2(data)
			if agent.ErrorCode(err) != agent.EINVALID || pan != "" {
				t.Errorf("ParseTrack2(%q) = %q, %v; want EINVALID", data, pan, err)
				continue
			}
			if msg := agent.ErrorMessage(err); !strings.Contains(msg, "swipe again") || strings.Contains(msg, "8800123456787") {
				t.Errorf("ParseTrack2(%q) message %q: want 'swipe again' and no card number", data, msg)
			}
		}
	})
}

// FuzzParseTrack2 checks that any swipe yields digits or EINVALID.
func FuzzParseTrack2(f *testing.F) {
	for _, s := range []string{";8800123456787=2912101?\r", ";E?", "%B1^N^29?;12?", "%E?;E?", ";=?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		pan, err := agent.ParseTrack2(data)
		if err != nil {
			if agent.ErrorCode(err) != agent.EINVALID || pan != "" {
				t.Fatalf("ParseTrack2(%q) = %q, %v", data, pan, err)
			}
			return
		}
		if pan == "" || len(pan) > 19 || strings.Trim(pan, "0123456789") != "" {
			t.Fatalf("ParseTrack2(%q) = %q", data, pan)
		}
	})
}

// FuzzCardMatcher_Match checks that a match is always a card SaleInput
// accepts and satisfies the pattern.
func FuzzCardMatcher_Match(f *testing.F) {
	m, err := agent.NewCardMatcher([]agent.CardPattern{{Prefix: "8800", Length: 13}, {Regexp: "VIP[0-9]+", Luhn: false}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"8800123456787", "]E08800123456787", " VIP12 ", "VIP", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		card, ok := m.Match(data)
		if !ok {
			return
		}
		if len(card) > 64 || strings.Trim(card, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" ||
			!(strings.HasPrefix(card, "8800") && len(card) == 13 || strings.HasPrefix(card, "VIP")) {
			t.Fatalf("Match(%q) = %q", data, card)
		}
	})
}
