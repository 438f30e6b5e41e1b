package importfile

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/drivers/barcode"
)

// skuPattern is the SKU form agent.SaleInput accepts.
var skuPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

const (
	maxNameLen       = 200           // a receipt line, as agent.SaleInput allows
	maxMultiplier    = 10_000        // ×100 in hundredths
	maxItemCode      = 9_999_999_999 // ten digits: more than any layout carries
	notFen           = "price in fen, an integer (12.50 yuan is 1250)"
	catalogColumnSet = "sku,barcodes,name,category,price_fen,member_price_fen,weighed,points_eligible,points_multiplier,item_code"
)

// catalogSeen remembers keys that must be unique across the file, with
// the line that used them first.
type catalogSeen struct {
	skus, barcodes, items map[string]int
}

// ParseCatalogCSV reads a catalog CSV. The header row names the columns
// sku,barcodes,name,category,price_fen,member_price_fen,weighed,
// points_eligible,points_multiplier,item_code in any order;
// member_price_fen, points_multiplier and item_code may be left empty.
// barcodes holds GTINs separated by "|", each checked (length, check
// digit) and stored as 14 digits; prices are integer fen. Lines starting
// with '#' are comments. SKUs, barcodes and item codes must be unique.
// Any problem makes the whole file fail with a *ParseError naming line,
// column and value of each (up to 20): a catalog is loaded whole or not.
func ParseCatalogCSV(r io.Reader) ([]agent.Product, error) {
	ps := newProblems("catalog")
	t := openTable(r, header{required: strings.Split(catalogColumnSet, ",")}, ps)
	if t == nil {
		return nil, ps.err()
	}
	seen := catalogSeen{skus: map[string]int{}, barcodes: map[string]int{}, items: map[string]int{}}
	var out []agent.Product
	for {
		rw, ok := t.next()
		if !ok {
			break
		}
		if p, ok := catalogRow(rw, &seen); ok {
			out = append(out, p)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// catalogRow reads one product; ok is false when the row had a problem.
func catalogRow(rw row, seen *catalogSeen) (agent.Product, bool) {
	before := len(rw.t.ps.Problems) + rw.t.ps.Omitted
	p := agent.Product{SKU: rw.str("sku"), Name: rw.str("name"), Category: rw.str("category")}
	if !skuPattern.MatchString(p.SKU) {
		rw.bad("sku", p.SKU, "must be 1 to 64 letters, digits, '.', '_' or '-'")
	} else if first, dup := seen.skus[p.SKU]; dup {
		rw.bad("sku", p.SKU, "duplicate sku, first on line %d", first)
	} else {
		seen.skus[p.SKU] = rw.line
	}
	if p.Name == "" || len(p.Name) > maxNameLen || !utf8.ValidString(p.Name) {
		rw.bad("name", p.Name, "must be valid text of 1 to %d bytes", maxNameLen)
	}
	if len(p.Category) > 64 || !utf8.ValidString(p.Category) {
		rw.bad("category", p.Category, "must be valid text of at most 64 bytes")
	}
	p.Barcodes = catalogBarcodes(rw, seen)
	p.PriceFen = rw.int("price_fen", 0, agent.MaxUnitPriceFen, false, notFen)
	p.MemberPriceFen = rw.int("member_price_fen", 0, agent.MaxUnitPriceFen, true, notFen)
	if p.MemberPriceFen > p.PriceFen && p.PriceFen > 0 {
		rw.bad("member_price_fen", rw.str("member_price_fen"), "member price is above the shelf price %d", p.PriceFen)
	}
	p.Weighed = rw.bool("weighed")
	p.PointsEligible = rw.bool("points_eligible")
	p.PointsMultiplier = rw.int("points_multiplier", 0, maxMultiplier, true, "an integer in hundredths (100 = ×1)")
	p.ItemCode = rw.int("item_code", 1, maxItemCode, true, "the scale's item code, an integer")
	if p.ItemCode != 0 {
		key := fmt.Sprint(p.ItemCode)
		if first, dup := seen.items[key]; dup {
			rw.bad("item_code", key, "duplicate item code, first on line %d", first)
		} else {
			seen.items[key] = rw.line
		}
	}
	return p, len(rw.t.ps.Problems)+rw.t.ps.Omitted == before
}

// catalogBarcodes reads the "|"-separated GTINs of a row, normalised to
// 14 digits (the form agent.Catalog is keyed by).
func catalogBarcodes(rw row, seen *catalogSeen) []string {
	raw := rw.str("barcodes")
	if raw == "" {
		return nil // sold by item code or keyed in only
	}
	var out []string
	for _, code := range strings.Split(raw, "|") {
		code = strings.TrimSpace(code)
		if err := barcode.ValidGTIN(code); err != nil {
			rw.bad("barcodes", code, "%v", err)
			continue
		}
		gtin := strings.Repeat("0", 14-len(code)) + code
		if first, dup := seen.barcodes[gtin]; dup {
			rw.bad("barcodes", code, "duplicate barcode, first on line %d", first)
			continue
		}
		seen.barcodes[gtin] = rw.line
		out = append(out, gtin)
	}
	return out
}
