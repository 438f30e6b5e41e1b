package importfile_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/importfile"
)

func TestParsePolicyYAML(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		in := `
version: 3
location: Asia/Shanghai
earn_points: 1
earn_per_fen: 100
promotions:
  - id: p1
    start: 2026-01-01T00:00:00Z
    end: 2026-02-01T00:00:00+08:00
    multiplier: 300
weighed_layouts:
  - {prefix: 21, item_digits: 5, value_digits: 5, value: weight_g}
card_patterns:
  - {name: club, prefix: "0088", luhn: true}
`
		p, err := importfile.ParsePolicyYAML(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if p.Version != 3 || p.EarnPerFen != 100 || len(p.Promotions) != 1 || p.Promotions[0].Multiplier != 300 ||
			!p.Promotions[0].Start.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) ||
			!p.Promotions[0].End.Equal(time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC)) {
			t.Errorf("policy %+v", p)
		}
		if p.WeighedLayouts[0].Prefix != "21" || p.WeighedLayouts[0].Value != agent.WeighedWeight || p.CardPatterns[0].Prefix != "0088" || !p.CardPatterns[0].Luhn {
			t.Errorf("layouts %+v, cards %+v", p.WeighedLayouts, p.CardPatterns)
		}
	})
	t.Run("Err", func(t *testing.T) {
		tests := []struct {
			name, in string
			want     []string
		}{
			{"Empty", "", []string{"the policy file is empty"}},
			{"UnknownKey", "version: 1\nearn_point: 1\n", []string{"line 2: unknown key earn_point"}},
			{"UnknownNestedKey", "expiry:\n  kind: never\n  dayz: 3\n", []string{"line 3: unknown key dayz"}},
			{"NotInteger", "version: 1\nearn_per_fen: 1.5\n", []string{"line 2:", "1.5"}},
			{"Syntax", "version: 1\n  earn_points: [\n", []string{"policy file"}},
			{"BadTime", "promotions:\n  - id: p\n    start: 2026-01-01\n", []string{"line 3", "RFC 3339"}},
			{"NegativeVersion", "version: -1\n", []string{"column version", "must not be negative"}},
			{"TwoDocuments", "version: 1\n---\nversion: 2\n", []string{"second YAML document"}},
			{"Several", "version: x\nearn_points: y\n", []string{"line 1:", "line 2:", "2 problem(s)"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := importfile.ParsePolicyYAML(strings.NewReader(tt.in))
				if err == nil || p != nil {
					t.Fatalf("got %+v, %v; want an error", p, err)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				var pe *importfile.ParseError
				if !errors.As(err, &pe) || agent.ErrorCode(err) != agent.EINVALID {
					t.Errorf("error %T code %s, want *ParseError coded EINVALID", err, agent.ErrorCode(err))
				}
			})
		}
	})
}
