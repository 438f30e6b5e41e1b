package central

// Quadrant is a member's cell of the value quadrant: declared monthly
// income (what the member could spend) × annual spend (what they do).
type Quadrant uint8

// Value quadrants. QuadrantExcluded is the class of staff and test cards;
// QuadrantUnknownIncome is the class of members who declared no income
// bracket: their spend alone cannot place them, and guessing a bracket
// would send offers meant for one group to the other.
const (
	QuadrantExcluded Quadrant = iota
	// QuadrantCore: high income, high spend — keep them (VIP care).
	QuadrantCore
	// QuadrantKeyDevelopment: high income, low spend — most room to grow,
	// where development spending goes first.
	QuadrantKeyDevelopment
	// QuadrantDevelopable: low income, high spend — already spending much
	// of what they have; follow up, moderately.
	QuadrantDevelopable
	// QuadrantAbandon: low income, low spend — occasional visitors; serve
	// them, spend nothing extra on developing them.
	QuadrantAbandon
	QuadrantUnknownIncome
)

var quadrantText = [...]string{"excluded", "core", "key_development", "developable", "abandon", "unknown_income"}

// String returns the quadrant's snake_case name ("core",
// "key_development", ...), or "unknown" for a value that is not one.
func (q Quadrant) String() string {
	if int(q) >= len(quadrantText) {
		return "unknown"
	}
	return quadrantText[q]
}

// QuadrantOptions are the two thresholds of the value quadrant.
type QuadrantOptions struct {
	// HighIncomeFrom is the lowest income bracket counted as high.
	HighIncomeFrom IncomeBracket
	// HighSpendFromFen is the lowest annual spend counted as high.
	HighSpendFromFen int64
}

// DefaultQuadrantOptions returns high income from 8000 yuan a month and
// high value from 6000 yuan (600000 fen) a year, about 115 yuan a week.
func DefaultQuadrantOptions() QuadrantOptions {
	return QuadrantOptions{HighIncomeFrom: Income8000To20000, HighSpendFromFen: 600_000}
}

// Validate returns an EINVALID *Error naming the first bad threshold, or
// nil. The income threshold must leave at least one known bracket on each
// side, and the spend threshold must be positive.
func (o QuadrantOptions) Validate() error {
	switch {
	case o.HighIncomeFrom <= IncomeUnder3000 || o.HighIncomeFrom > IncomeOver20000:
		return Errorf(EINVALID, "quadrant.high_income_from %d must be a bracket from %d (%s) to %d (%s)",
			o.HighIncomeFrom, Income3000To8000, Income3000To8000, IncomeOver20000, IncomeOver20000)
	case o.HighSpendFromFen <= 0:
		return Errorf(EINVALID, "quadrant.high_spend_from_fen %d must be positive", o.HighSpendFromFen)
	}
	return nil
}

// QuadrantOf returns m's quadrant under o: QuadrantExcluded for staff and
// test cards, QuadrantUnknownIncome when m's income bracket is unknown,
// else the cell of (income ≥ o.HighIncomeFrom, annual spend ≥
// o.HighSpendFromFen). It needs no ranking, so it is O(1) per member.
func QuadrantOf(m *MemberStats, o QuadrantOptions) Quadrant {
	switch {
	case !m.Classified():
		return QuadrantExcluded
	case !m.IncomeBracket.Known():
		return QuadrantUnknownIncome
	}
	highIncome := m.IncomeBracket >= o.HighIncomeFrom
	highSpend := m.AnnualSpendFen >= o.HighSpendFromFen
	switch {
	case highIncome && highSpend:
		return QuadrantCore
	case highIncome:
		return QuadrantKeyDevelopment
	case highSpend:
		return QuadrantDevelopable
	default:
		return QuadrantAbandon
	}
}

// ClassifyQuadrant returns the quadrant of each member, in input order,
// or an EINVALID *Error when o is invalid.
func ClassifyQuadrant(members []MemberStats, o QuadrantOptions) ([]Quadrant, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	out := make([]Quadrant, len(members))
	for i := range members {
		out[i] = QuadrantOf(&members[i], o)
	}
	return out, nil
}
