package importfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tillsync/tillsync/agent"
)

// policyFile mirrors agent.Policy with the snake_case keys of
// configs/policy.yaml. Unknown keys are refused (a misspelt key would
// otherwise silently fall back to a default).
type policyFile struct {
	Version               integer            `yaml:"version"`
	Location              string             `yaml:"location"`
	EarnPoints            integer            `yaml:"earn_points"`
	EarnPerFen            integer            `yaml:"earn_per_fen"`
	Rounding              string             `yaml:"rounding"`
	TierMultipliers       map[string]integer `yaml:"tier_multipliers"`
	CategoryMultipliers   map[string]integer `yaml:"category_multipliers"`
	ExcludedCategories    []string           `yaml:"excluded_categories"`
	ExcludedSKUs          []string           `yaml:"excluded_skus"`
	Promotions            []promotionFile    `yaml:"promotions"`
	ReturnWindowDays      integer            `yaml:"return_window_days"`
	PendingDays           integer            `yaml:"pending_days"`
	Expiry                expiryFile         `yaml:"expiry"`
	OfflineDailyCap       integer            `yaml:"offline_daily_cap"`
	PointsTenderPoints    integer            `yaml:"points_tender_points"`
	PointsTenderFen       integer            `yaml:"points_tender_fen"`
	Rewards               []rewardFile       `yaml:"rewards"`
	CardPatterns          []cardFile         `yaml:"card_patterns"`
	WeighedLayouts        []layoutFile       `yaml:"weighed_layouts"`
	EnrollQualifyingFen   integer            `yaml:"enroll_qualifying_fen"`
	EnrollWithinMinutes   integer            `yaml:"enroll_within_minutes"`
	OfflineWarnAfterHours integer            `yaml:"offline_warn_after_hours"`
}

type promotionFile struct {
	ID         string    `yaml:"id"`
	Name       string    `yaml:"name"`
	Start      timestamp `yaml:"start"`
	End        timestamp `yaml:"end"`
	SKUs       []string  `yaml:"skus"`
	Categories []string  `yaml:"categories"`
	Tiers      []string  `yaml:"tiers"`
	Multiplier integer   `yaml:"multiplier"`
}

type expiryFile struct {
	Kind string  `yaml:"kind"`
	Days integer `yaml:"days"`
}

type rewardFile struct {
	ID      string  `yaml:"id"`
	GiftSKU string  `yaml:"gift_sku"`
	Name    string  `yaml:"name"`
	Points  integer `yaml:"points"`
}

type cardFile struct {
	Name   string  `yaml:"name"`
	Prefix string  `yaml:"prefix"`
	Length integer `yaml:"length"`
	Regexp string  `yaml:"regexp"`
	Luhn   bool    `yaml:"luhn"`
}

type layoutFile struct {
	Prefix          string  `yaml:"prefix"`
	ItemDigits      integer `yaml:"item_digits"`
	ValueDigits     integer `yaml:"value_digits"`
	Value           string  `yaml:"value"`
	PriceCheckDigit bool    `yaml:"price_check_digit"`
}

// timestamp is an RFC 3339 time with its offset, e.g.
// 2026-05-01T00:00:00+08:00; a bare date is refused so a promotion's
// boundary is never in an unintended time zone.
type timestamp struct{ time.Time }

// UnmarshalYAML parses an RFC 3339 scalar, naming the line on error.
func (t *timestamp) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.Parse(time.RFC3339, n.Value)
	if err != nil {
		return typeError("line %d: %q is not an RFC 3339 time such as 2026-05-01T00:00:00+08:00", n.Line, n.Value)
	}
	t.Time = v
	return nil
}

// integer is a YAML integer. yaml.v3 would truncate 1.5 into an int
// field; money, points and multipliers are integers (DESIGN §3), so a
// value that is not a plain YAML integer is refused.
type integer int64

// UnmarshalYAML accepts only !!int scalars, naming the line on error.
func (i *integer) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return typeError("line %d: %q is not an integer (money in fen, points, multipliers in hundredths)", n.Line, n.Value)
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		return typeError("line %d: %q: %v", n.Line, n.Value, err)
	}
	*i = integer(v)
	return nil
}

// typeError is how an unmarshaler reports a bad value so that yaml.v3
// keeps decoding and reports every bad value at once.
func typeError(format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf(format, args...)}}
}

// yamlLine finds the "line N:" yaml.v3 puts in its messages.
var (
	yamlLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknowns = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// ParsePolicyYAML reads a policy written in YAML with snake_case keys
// mirroring agent.Policy (see configs/policy.yaml). Unknown keys, values of
// the wrong type, bad RFC 3339 times and more than one document are
// refused with a *ParseError naming each line. It does not check rules
// between fields: call agent.Policy.Validate on the result.
func ParsePolicyYAML(r io.Reader) (*agent.Policy, error) {
	ps := newProblems("policy")
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var f policyFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add(0, "", "", "the policy file is empty")
		}
		addYAMLErrors(ps, err)
		return nil, ps.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		ps.add(extra.Line, "", "", "a second YAML document: a policy file holds one")
		return nil, ps.err()
	}
	if f.Version < 0 {
		ps.add(0, "version", fmt.Sprint(f.Version), "must not be negative")
		return nil, ps.err()
	}
	return f.policy(), nil
}

// addYAMLErrors turns yaml.v3's messages into problems with line numbers.
func addYAMLErrors(ps *problems, err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	} else if errors.Is(err, io.EOF) {
		return
	}
	for _, m := range msgs {
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			if line, err := strconv.Atoi(g[1]); err == nil {
				msg := yamlUnknowns.ReplaceAllString(g[2], "unknown key $1 (see configs/policy.yaml for the keys)")
				ps.add(line, "", "", "%s", msg)
				continue
			}
		}
		ps.add(0, "", "", "%s", m)
	}
}
