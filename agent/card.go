package agent

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tillsync/tillsync/drivers/barcode"
)

// CardMatcher recognises membership cards in scanner data by the policy's
// CardPatterns (DESIGN §4: a card is recognised from the scanner by
// configured patterns). Build it once per policy with NewCardMatcher; it
// is immutable and safe for concurrent use.
type CardMatcher struct {
	patterns []compiledPattern
}

type compiledPattern struct {
	CardPattern
	re *regexp.Regexp // nil: no regexp condition
}

// NewCardMatcher compiles patterns. It refuses a regexp that does not
// compile and a pattern with no condition at all, which would take every
// barcode for a card; the error names the pattern.
func NewCardMatcher(patterns []CardPattern) (*CardMatcher, error) {
	m := &CardMatcher{patterns: make([]compiledPattern, 0, len(patterns))}
	for i, p := range patterns {
		if p.Prefix == "" && p.Length == 0 && p.Regexp == "" && !p.Luhn {
			return nil, Errorf(EINVALID, "card_patterns[%d] %q: has no condition and would take every barcode for a card", i, p.Name)
		}
		if p.Length < 0 || p.Length > maxCardLen {
			return nil, Errorf(EINVALID, "card_patterns[%d] %q: length %d is out of range (0 to %d)", i, p.Name, p.Length, maxCardLen)
		}
		cp := compiledPattern{CardPattern: p}
		if p.Regexp != "" {
			re, err := regexp.Compile("^(?:" + p.Regexp + ")$")
			if err != nil {
				return nil, fmt.Errorf("card_patterns[%d] %q: regexp: %w", i, p.Name, err)
			}
			cp.re = re
		}
		m.patterns = append(m.patterns, cp)
	}
	return m, nil
}

// Match returns the card number in data (an AIM prefix and surrounding
// spaces removed) and true if a pattern recognises it. Only 1 to 64
// letters or digits can be a card (the form SaleInput accepts). A nil
// matcher matches nothing.
func (m *CardMatcher) Match(data string) (string, bool) {
	if m == nil {
		return "", false
	}
	_, rest := barcode.StripAIM(strings.TrimSpace(data))
	card := strings.TrimSpace(rest)
	if card == "" || len(card) > maxCardLen || !cardPattern.MatchString(card) {
		return "", false
	}
	for _, p := range m.patterns {
		if p.matches(card) {
			return card, true
		}
	}
	return "", false
}

func (p compiledPattern) matches(card string) bool {
	switch {
	case p.Prefix != "" && !strings.HasPrefix(card, p.Prefix):
		return false
	case p.Length != 0 && len(card) != p.Length:
		return false
	case p.re != nil && !p.re.MatchString(card):
		return false
	case p.Luhn && !barcode.Luhn(card):
		return false
	}
	return true
}

// MatchCard is Match with a matcher built for this one call; an invalid
// pattern matches nothing. Prefer a CardMatcher built once per policy.
func MatchCard(patterns []CardPattern, data string) (card string, ok bool) {
	m, err := NewCardMatcher(patterns)
	if err != nil {
		return "", false
	}
	return m.Match(data)
}

// maxPANLen is the longest primary account number ISO/IEC 7812 allows.
const maxPANLen = 19

// ParseTrack2 returns the card number (PAN) of a magnetic stripe read by a
// keyboard-mode reader: track 2 as ";PAN=YYMM...?" or ";PAN?" (ISO/IEC
// 7813), optionally after a track 1 "%...?" and followed by CR/LF. An
// unreadable track (";E?") or anything malformed is an EINVALID *Error
// asking the cashier to swipe again; the message never carries the PAN.
func ParseTrack2(data string) (pan string, err error) {
	swipeAgain := Errorf(EINVALID, "card could not be read, swipe again")
	s := strings.TrimSpace(data)
	if strings.HasPrefix(s, "%") { // track 1 precedes track 2; loyalty uses track 2
		end := strings.IndexByte(s, '?')
		if end < 0 {
			return "", swipeAgain
		}
		s = strings.TrimSpace(s[end+1:])
	}
	if !strings.HasPrefix(s, ";") {
		return "", Errorf(EINVALID, "no card track found, swipe again")
	}
	end := strings.IndexByte(s, '?')
	if end < 0 {
		return "", swipeAgain
	}
	body := s[1:end]
	if sep := strings.IndexByte(body, '='); sep >= 0 {
		body = body[:sep]
	}
	if body == "" || len(body) > maxPANLen || strings.Trim(body, "0123456789") != "" {
		return "", swipeAgain // includes ";E?", a reader's unreadable-track mark
	}
	return body, nil
}
