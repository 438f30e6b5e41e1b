package importfile_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/importfile"
)

const catalogHeader = "sku,barcodes,name,category,price_fen,member_price_fen,weighed,points_eligible,points_multiplier,item_code\n"

func TestParseCatalogCSV(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		in := "# comment\n" + catalogHeader +
			"A1, 5901234123457 | 96385074 ,Milk,dairy,699,599,false,true,,\n" +
			"A2,,Apples,fruit,1099,,TRUE,yes,200,12345\n"
		got, err := importfile.ParseCatalogCSV(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		want := []agent.Product{
			{SKU: "A1", Barcodes: []string{"05901234123457", "00000096385074"}, Name: "Milk", Category: "dairy", PriceFen: 699, MemberPriceFen: 599, PointsEligible: true},
			{SKU: "A2", Name: "Apples", Category: "fruit", PriceFen: 1099, Weighed: true, PointsEligible: true, PointsMultiplier: 200, ItemCode: 12345},
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("HeaderAnyOrderAndBOM", func(t *testing.T) {
		in := "\ufeffname,sku,barcodes,category,price_fen,member_price_fen,weighed,points_eligible,points_multiplier,item_code\n" +
			"Milk,A1,5901234123457,dairy,699,,false,true,,\n"
		got, err := importfile.ParseCatalogCSV(strings.NewReader(in))
		if err != nil || len(got) != 1 || got[0].SKU != "A1" || got[0].Name != "Milk" {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("Err", func(t *testing.T) {
		tests := []struct {
			name, in string
			want     []string // each must appear in the error
		}{
			{"Empty", "", []string{"line 1", "no header row"}},
			{"MissingColumn", "sku,barcodes,name\n", []string{"line 1, column category: required column is missing"}},
			{"UnknownColumn", strings.TrimSuffix(catalogHeader, "\n") + ",colour\n", []string{"line 1, column colour: unknown column"}},
			{"DecimalPrice", catalogHeader + "A1,,Milk,dairy,12.50,,false,true,,\n",
				[]string{`line 2, column price_fen, value "12.50": price in fen, an integer`}},
			{"CheckDigit", catalogHeader + "A1,5901234123458,Milk,dairy,699,,false,true,,\n",
				[]string{`line 2, column barcodes, value "5901234123458"`, "check digit is 8, expected 7"}},
			{"BadBarcode", catalogHeader + "A1,12345,Milk,dairy,699,,false,true,,\n", []string{`line 2, column barcodes, value "12345"`}},
			{"DuplicateSKU", catalogHeader + "A1,,Milk,dairy,699,,false,true,,\nA1,,Milk 2,dairy,699,,false,true,,\n",
				[]string{`line 3, column sku, value "A1": duplicate sku, first on line 2`}},
			{"DuplicateBarcode", catalogHeader + "A1,5901234123457,Milk,dairy,699,,false,true,,\nA2,05901234123457,Milk 2,dairy,699,,false,true,,\n",
				[]string{`line 3, column barcodes, value "05901234123457": duplicate barcode, first on line 2`}},
			{"DuplicateItemCode", catalogHeader + "A1,,Apples,fruit,699,,true,true,,7\nA2,,Pears,fruit,699,,true,true,,7\n",
				[]string{`line 3, column item_code, value "7": duplicate item code, first on line 2`}},
			{"Bools", catalogHeader + "A1,,Milk,dairy,699,,maybe,true,,\n", []string{`line 2, column weighed, value "maybe": must be true or false`}},
			{"MemberAboveShelf", catalogHeader + "A1,,Milk,dairy,699,799,false,true,,\n", []string{"line 2, column member_price_fen", "above the shelf price"}},
			{"FieldCount", catalogHeader + "A1,,Milk\n", []string{"line 2: 3 fields, the header has 10"}},
			{"BadSKU", catalogHeader + "A 1,,Milk,dairy,699,,false,true,,\n", []string{`line 2, column sku, value "A 1"`}},
			{"NoName", catalogHeader + "A1,,,dairy,699,,false,true,,\n", []string{"line 2, column name"}},
			{"NegativePrice", catalogHeader + "A1,,Milk,dairy,-1,,false,true,,\n", []string{`line 2, column price_fen, value "-1": out of range`}},
			{"Quote", catalogHeader + "A1,,\"Milk,dairy,699,,false,true,,\n", []string{"line 2", "CSV syntax"}},
			{"Several", catalogHeader + "A1,,Milk,dairy,1.5,,false,true,,\nA2,,Tea,drinks,abc,,false,true,,\n",
				[]string{"2 problem(s)", "line 2, column price_fen", "line 3, column price_fen"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := importfile.ParseCatalogCSV(strings.NewReader(tt.in))
				if err == nil || got != nil {
					t.Fatalf("got %+v, %v; want an error", got, err)
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
	t.Run("ErrCapped", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(catalogHeader)
		for i := range 30 {
			fmt.Fprintf(&b, "S%d,,Item,cat,9.99,,false,true,,\n", i)
		}
		_, err := importfile.ParseCatalogCSV(strings.NewReader(b.String()))
		var pe *importfile.ParseError
		if !errors.As(err, &pe) || len(pe.Problems) != 20 || pe.Omitted != 10 || pe.Problems[19].Line != 21 {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(err.Error(), "and 10 more problems") {
			t.Errorf("error %q does not count the rest", err)
		}
	})
}
