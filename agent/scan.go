package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tillsync/tillsync/drivers/barcode"
)

// ScanKind says what a scan turned out to be.
type ScanKind int

// Scan kinds.
const (
	ScanProduct ScanKind = iota // a product barcode: add a line
	ScanCard                    // a membership card: attach the member
)

// ScanResult is what one scan resolves to. For ScanCard only Card is set.
// For ScanProduct, Product is the catalog product, GTIN the scanned code
// as 14 digits, QuantityMilli > 0 the quantity (thousandths of a unit or
// grams of a weighed product) and FixedTotalFen the line price a
// restricted-circulation barcode embeds (0: priced from quantity).
type ScanResult struct {
	Kind          ScanKind
	Card          string
	Product       *Product
	GTIN          string
	QuantityMilli int64
	FixedTotalFen int64
}

// ResolveScan turns scanner data into a card or a product line (DESIGN §4,
// scan → line). In order:
//
//  1. surrounding spaces are trimmed; empty data, data over 128 bytes or
//     with control characters (other than GS) is EINVALID;
//  2. data cards recognises is a card: a card scanned at the scanner is a
//     card, whatever its digits look like (cards may be nil);
//  3. an EAN-13 with a GS1 prefix 20–29 that one of p.WeighedLayouts fits
//     is a weighed-goods label (see resolveRestricted); p may be nil;
//  4. anything else must be a GTIN (barcode.NormalizeGTIN, which also
//     takes AI (01) from GS1-128) found by cat.ProductByBarcode, for a
//     quantity of one unit. A weighed product found this way gets 1000
//     thousandths too (1 kg); the till decides whether to ask for a weight.
//
// A wrong check digit is EINVALID and never priced; a valid GTIN the
// catalog lacks is ENOTFOUND; other catalog failures are returned wrapped.
// Messages never echo data that is not a product code, since it may be a
// card number (DESIGN §8.5).
func ResolveScan(ctx context.Context, cat Catalog, p *Policy, cards *CardMatcher, data string) (ScanResult, error) {
	data = strings.TrimSpace(data)
	switch {
	case data == "":
		return ScanResult{}, Errorf(EINVALID, "empty scan — scan again")
	case len(data) > maxBarcodeLen:
		return ScanResult{}, Errorf(EINVALID, "scan of %d bytes is too long (at most %d) — scan again", len(data), maxBarcodeLen)
	case !printable(data):
		return ScanResult{}, Errorf(EINVALID, "scan holds control characters — scan again or key the code")
	}
	if card, ok := cards.Match(data); ok {
		return ScanResult{Kind: ScanCard, Card: card}, nil
	}
	if p != nil && len(p.WeighedLayouts) > 0 {
		res, matched, err := resolveRestricted(ctx, cat, p.WeighedLayouts, data)
		if matched || err != nil {
			return res, err
		}
	}
	gtin, _, err := barcode.NormalizeGTIN(data)
	if err != nil {
		return ScanResult{}, gtinError(data, err)
	}
	prod, err := cat.ProductByBarcode(ctx, gtin)
	if err != nil {
		return ScanResult{}, lookupError(data, err)
	}
	return ScanResult{Kind: ScanProduct, Product: prod, GTIN: gtin, QuantityMilli: 1000}, nil
}

// gtinError turns a barcode decoding error into a cashier's message.
func gtinError(data string, err error) error {
	_, code := barcode.StripAIM(data)
	if errors.Is(err, barcode.ErrCheckDigit) {
		return Errorf(EINVALID, "barcode %s failed its check digit — scan again or key the code", code)
	}
	return Errorf(EINVALID, "code %s is not a product barcode — scan again or key the code", MaskCard(code))
}

// lookupError turns a catalog lookup failure into a cashier's message.
func lookupError(data string, err error) error {
	_, code := barcode.StripAIM(data)
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(ENOTFOUND, "unknown barcode %s — not in the catalog", code)
	}
	return fmt.Errorf("look up barcode %s: %w", code, err)
}
