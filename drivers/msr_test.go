package drivers

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTracks(t *testing.T) {
	// LRC vectors computed by hand (see ParseTracks): track 2
	// ";1234=2512?": 0xB^1^2^3^4^0xD^2^5^1^2^0xF = 0x9 → '9'. Track 1
	// "%B1234^Y^2512?": 0x05^0x22^0x11^0x12^0x13^0x14^0x3E^0x39^0x3E^0x12
	// ^0x15^0x11^0x12^0x1F = 0x01 → 0x20+1 = '!'.
	tests := []struct {
		name  string
		frame string
		want  Card
	}{
		{"Track2", ";1234=2512?", Card{Track2: ";1234=2512?", Card: "1234", Expiry: "2512"}},
		{"Track2LRC", ";1234=2512?9", Card{Track2: ";1234=2512?", Card: "1234", Expiry: "2512"}},
		{"Track2NoSeparator", ";6012345678?", Card{Track2: ";6012345678?", Card: "6012345678"}},
		{"Track1LRCNameDropped", "%B1234^Y^2512?!", Card{Track1: "%B1234^^2512?", Card: "1234", Expiry: "2512"}},
		{"Both", "%B4111111111111111^DOE/JOHN^2512101?;4111111111111111=2512101?",
			Card{Track1: "%B4111111111111111^^2512101?", Track2: ";4111111111111111=2512101?", Card: "4111111111111111", Expiry: "2512"}},
		{"BothWithLRC", "%B1234^Y^2512?!;1234=2512?9", Card{Track1: "%B1234^^2512?", Track2: ";1234=2512?", Card: "1234", Expiry: "2512"}},
		{"Track1UnreadableTrack2OK", "%E?;1234=2512?", Card{Track2: ";1234=2512?", Card: "1234", Expiry: "2512"}},
		{"Track3Ignored", ";1234=2512?;0123456789?", Card{Track2: ";1234=2512?", Card: "1234", Expiry: "2512"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTracks(tt.frame)
			if err != nil {
				t.Fatalf("ParseTracks(%q): %v", tt.frame, err)
			}
			if got != tt.want {
				t.Fatalf("ParseTracks(%q) = %#v, want %#v", tt.frame, got, tt.want)
			}
		})
	}
}

func TestParseTracks_Err(t *testing.T) {
	tests := []struct {
		name     string
		frame    string
		wantCode int
	}{
		{"Empty", "", MSRErrStart},
		{"BothUnreadable", "%E?;E?", 0},
		{"Track2Unreadable", ";E?", 0},
		{"NoStartSentinel", "1234=2512?", MSRErrStart},
		{"NoEndSentinel", ";1234=2512", MSRErrEnd},
		{"BadChar", ";12A4=2512?", MSRErrParity},
		{"BadLRC", ";1234=2512?8", MSRErrLRC},
		{"BadLRCTrack1", "%B1234^Y^2512?\"", MSRErrLRC},
		{"NotDigits", ";=2512?", 0},
		{"TooLongPAN", ";12345678901234567890=25?", 0},
		{"TracksDisagree", "%B1234^Y^2512?;9999=2512?", 0},
		{"Garbage", "\x00\xff%B?", MSRErrStart},
		{"OnlyNonFinancialTrack1", "%AHELLO?", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseTracks(tt.frame)
			var cre *CardReadError
			if !errors.As(err, &cre) || !errors.Is(err, ErrCardRead) {
				t.Fatalf("ParseTracks(%q) = %#v, %v; want a *CardReadError", tt.frame, c, err)
			}
			if cre.Code != tt.wantCode || c != (Card{}) {
				t.Fatalf("ParseTracks(%q): code %d, card %#v; want code %d and no card", tt.frame, cre.Code, c, tt.wantCode)
			}
			if !strings.Contains(err.Error(), "swipe again") || strings.Contains(err.Error(), "1234") {
				t.Fatalf("error %q must tell the cashier to swipe again and hold no card data", err)
			}
		})
	}
}

func TestCard_String(t *testing.T) {
	c := Card{Card: "4111111111111111"}
	if got := c.String(); got != "card ************1111" {
		t.Fatalf("String() = %q", got)
	}
	if got := MaskPAN("123"); got != "***" {
		t.Fatalf("MaskPAN(123) = %q", got)
	}
}
