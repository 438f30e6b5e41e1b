package central_test

import (
	"testing"

	"github.com/tillsync/tillsync/central"
)

func TestQuadrantOf(t *testing.T) {
	o := central.DefaultQuadrantOptions() // high from 8000-20000 a month, 600000 fen a year
	staff := clsRegular("STAFF", 1, 1, 1, 0)
	staff.Staff, staff.IncomeBracket, staff.AnnualSpendFen = true, central.IncomeOver20000, 10_000_000
	test := staff
	test.Staff, test.Test = false, true
	for _, tt := range []struct {
		name   string
		income central.IncomeBracket
		annual int64
		want   central.Quadrant
	}{
		{"Core", central.IncomeOver20000, 2_000_000, central.QuadrantCore},
		{"CoreAtBothThresholds", central.Income8000To20000, 600_000, central.QuadrantCore},
		{"KeyDevelopment", central.Income8000To20000, 599_999, central.QuadrantKeyDevelopment},
		{"Developable", central.Income3000To8000, 600_000, central.QuadrantDevelopable},
		{"Abandon", central.IncomeUnder3000, 10_000, central.QuadrantAbandon},
		{"AbandonNegativeSpend", central.Income3000To8000, -500, central.QuadrantAbandon},
		{"UnknownHighSpend", central.IncomeUnknown, 9_000_000, central.QuadrantUnknownIncome},
		{"UnknownOutOfRange", 9, 9_000_000, central.QuadrantUnknownIncome},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := clsRegular("C", 3, 100, 50, 1)
			m.IncomeBracket, m.AnnualSpendFen = tt.income, tt.annual
			if got := central.QuadrantOf(&m, o); got != tt.want {
				t.Errorf("QuadrantOf(income %d, annual %d) = %s, want %s", tt.income, tt.annual, got, tt.want)
			}
		})
	}
	t.Run("Excluded", func(t *testing.T) {
		got, err := central.ClassifyQuadrant([]central.MemberStats{staff, test}, o)
		if err != nil {
			t.Fatal(err)
		}
		for i, q := range got {
			if q != central.QuadrantExcluded {
				t.Errorf("member %d: %s, want excluded", i, q)
			}
		}
	})
	t.Run("CustomThresholds", func(t *testing.T) {
		m := clsRegular("C", 3, 100, 50, 1)
		m.IncomeBracket, m.AnnualSpendFen = central.Income3000To8000, 100_000
		got, err := central.ClassifyQuadrant([]central.MemberStats{m},
			central.QuadrantOptions{HighIncomeFrom: central.Income3000To8000, HighSpendFromFen: 100_000})
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != central.QuadrantCore {
			t.Errorf("got %s, want core", got[0])
		}
	})
	t.Run("ErrOptions", func(t *testing.T) {
		if _, err := central.ClassifyQuadrant(nil, central.QuadrantOptions{}); central.ErrorCode(err) != central.EINVALID {
			t.Errorf("err = %v, want %s", err, central.EINVALID)
		}
	})
}
