package importfile

import (
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tillsync/tillsync/agent"
)

var (
	cardNumber = regexp.MustCompile(`^[0-9A-Za-z]{1,64}$`)
	memberID   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	last4      = regexp.MustCompile(`^[0-9]{4}$`)
)

const (
	membersColumnSet = "card,member_id,masked_name,phone_last4,tier,balance,blocked,block_reason,staff"
	maxPoints        = 1_000_000_000_000 // far beyond any balance; keeps sums in int64
)

// personalHints are column names, or parts of them, that carry personal
// data a store must never hold (DESIGN §3, privacy; PIPL art. 6).
var personalHints = []string{"name", "phone", "mobile", "tel", "email", "mail", "id_number", "id_card", "idcard",
	"national_id", "passport", "address", "addr", "income", "salary", "birth", "dob", "gender", "sex", "age"}

// refusePersonal returns why a column must not be loaded, or "".
func refusePersonal(col string) string {
	norm := strings.NewReplacer(" ", "_", "-", "_").Replace(col)
	if norm == "masked_name" || norm == "phone_last4" {
		return ""
	}
	for _, h := range personalHints {
		if strings.Contains(norm, h) {
			return "looks like personal data; stores never hold personal data (DESIGN §3: card, masked name, last four phone digits, tier and balance only) — remove the column"
		}
	}
	return ""
}

// ParseMembersCSV is ParseMembersCSVIn with expiry dates read in UTC.
// Prefer ParseMembersCSVIn with the policy's location.
func ParseMembersCSV(r io.Reader) ([]agent.Member, error) {
	return ParseMembersCSVIn(r, time.UTC)
}

// ParseMembersCSVIn reads a member cache CSV with the header
// card,member_id,masked_name,phone_last4,tier,balance,blocked,
// block_reason,staff and an optional expires column (YYYY-MM-DD: the
// balance expires at the end of that day in loc). Columns that look like
// personal data (name, phone, id_number, address, income...) are refused.
// A positive balance becomes one lot available at once; a negative one is
// the member's Debt with Balance 0 (DESIGN §3: debt is explicit, never
// clamped). BalanceAt is left zero for the caller to stamp. Any problem
// fails the whole file with a *ParseError; card numbers in it are masked
// and personal values withheld.
func ParseMembersCSVIn(r io.Reader, loc *time.Location) ([]agent.Member, error) {
	ps := newProblems("members")
	h := header{required: strings.Split(membersColumnSet, ","), optional: []string{"expires"}, refuse: refusePersonal}
	t := openTable(r, h, ps)
	if t == nil {
		return nil, ps.err()
	}
	cards, ids := map[string]int{}, map[string]int{}
	var out []agent.Member
	for {
		rw, ok := t.next()
		if !ok {
			break
		}
		before := len(ps.Problems) + ps.Omitted
		m := memberRow(rw, loc)
		unique(rw, "card", m.Card, agent.MaskCard(m.Card), cards)
		unique(rw, "member_id", m.MemberID, m.MemberID, ids) // one card, one member (DESIGN §3)
		if len(ps.Problems)+ps.Omitted == before {
			out = append(out, m)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func unique(rw row, col, key, shown string, seen map[string]int) {
	if key == "" {
		return
	}
	if first, dup := seen[key]; dup {
		rw.bad(col, shown, "appears twice, first on line %d (one card, one member)", first)
		return
	}
	seen[key] = rw.line
}

// memberRow reads one member, reporting problems on rw.
func memberRow(rw row, loc *time.Location) agent.Member {
	m := agent.Member{Card: rw.str("card"), MemberID: rw.str("member_id"), MaskedName: rw.str("masked_name"),
		PhoneLast4: rw.str("phone_last4"), Tier: rw.str("tier"), BlockReason: rw.str("block_reason")}
	if !cardNumber.MatchString(m.Card) {
		rw.bad("card", agent.MaskCard(m.Card), "must be 1 to 64 letters or digits")
	}
	if !memberID.MatchString(m.MemberID) {
		rw.bad("member_id", m.MemberID, "must be 1 to 64 letters, digits, '.', '_' or '-'")
	}
	if m.MaskedName != "" && (!strings.Contains(m.MaskedName, "*") || len(m.MaskedName) > 64 || !utf8.ValidString(m.MaskedName)) {
		rw.bad("masked_name", "(withheld)", "must be masked with '*' (e.g. 张*), at most 64 bytes; stores never hold full names (DESIGN §3)")
	}
	if m.PhoneLast4 != "" && !last4.MatchString(m.PhoneLast4) {
		rw.bad("phone_last4", "(withheld)", "must be exactly the last 4 digits of the phone number")
	}
	if m.Tier != "" && !memberID.MatchString(m.Tier) {
		rw.bad("tier", m.Tier, "must be a tier name of letters, digits, '.', '_' or '-'")
	}
	m.Blocked, m.Staff = rw.bool("blocked"), rw.bool("staff")
	if m.Blocked && m.BlockReason == "" {
		rw.bad("block_reason", "", "a blocked card needs a reason the cashier can read (e.g. lost card)")
	}
	if len(m.BlockReason) > maxNameLen || !utf8.ValidString(m.BlockReason) {
		rw.bad("block_reason", m.BlockReason, "must be valid text of at most %d bytes", maxNameLen)
	}
	balance := rw.int("balance", -maxPoints, maxPoints, false, "points, an integer (negative for a debt)")
	expires := memberExpiry(rw, loc)
	switch {
	case balance < 0:
		m.Debt = -balance
	case balance > 0:
		m.Balance = balance
		m.Lots = []agent.Lot{{ID: "import-" + m.MemberID, Points: balance, ExpiresAt: expires}}
	}
	return m
}

// memberExpiry reads the optional expires column: the end
// (23:59:59.999) of that day in loc, as agent.ExpiryKind defines expiry.
func memberExpiry(rw row, loc *time.Location) time.Time {
	v := rw.str("expires")
	if v == "" {
		return time.Time{}
	}
	d, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		rw.bad("expires", v, "must be a date YYYY-MM-DD")
		return time.Time{}
	}
	return d.AddDate(0, 0, 1).Add(-time.Millisecond)
}
