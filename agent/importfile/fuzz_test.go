package importfile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/agent/importfile"
	"github.com/tillsync/tillsync/drivers/barcode"
)

// The parsers must never panic, must fail only with a *ParseError, and
// must return only rows that passed their checks.

func FuzzParseCatalogCSV(f *testing.F) {
	f.Add(catalogHeader + "A1,5901234123457|96385074,Milk,dairy,699,599,false,true,,\n")
	f.Add(catalogHeader + "A2,,Apples,fruit,1099,,true,true,200,12345\n")
	f.Add(catalogHeader + "A1,,\"Milk,dairy,699,,false,true,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		ps, err := importfile.ParseCatalogCSV(strings.NewReader(in))
		if err != nil {
			var pe *importfile.ParseError
			if !errors.As(err, &pe) || ps != nil {
				t.Fatalf("error %T %v with %d products", err, err, len(ps))
			}
			return
		}
		for _, p := range ps {
			for _, b := range p.Barcodes {
				if len(b) != 14 || barcode.ValidGTIN(b) != nil {
					t.Fatalf("product %s barcode %q", p.SKU, b)
				}
			}
			if p.SKU == "" || p.PriceFen < 0 || p.MemberPriceFen < 0 {
				t.Fatalf("product %+v", p)
			}
		}
	})
}

func FuzzParseMembersCSV(f *testing.F) {
	f.Add(membersHeader + "8800123456787,M1,张*,1234,gold,300,false,,false\n")
	f.Add(membersHeader + "8800000000017,M2,,,regular,-50,true,lost card,false\n")
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := importfile.ParseMembersCSV(strings.NewReader(in))
		if err != nil {
			var pe *importfile.ParseError
			if !errors.As(err, &pe) || ms != nil {
				t.Fatalf("error %T %v with %d members", err, err, len(ms))
			}
			return
		}
		for _, m := range ms {
			if m.Card == "" || m.Balance < 0 || m.Debt < 0 || (m.Balance > 0) != (len(m.Lots) == 1) {
				t.Fatalf("member %+v", m)
			}
		}
	})
}

func FuzzParsePolicyYAML(f *testing.F) {
	f.Add("version: 1\nearn_points: 1\nearn_per_fen: 100\n")
	f.Add("promotions:\n  - id: p\n    start: 2026-01-01T00:00:00Z\n")
	f.Add("weighed_layouts:\n  - {prefix: 21, item_digits: 5, value_digits: 5, value: weight_g}\n")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := importfile.ParsePolicyYAML(strings.NewReader(in))
		if err != nil {
			var pe *importfile.ParseError
			if !errors.As(err, &pe) || p != nil {
				t.Fatalf("error %T %v with policy %v", err, err, p)
			}
			return
		}
		if p == nil {
			t.Fatal("nil policy without error")
		}
	})
}
