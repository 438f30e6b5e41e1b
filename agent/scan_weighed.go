package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/tillsync/tillsync/drivers/barcode"
)

// resolveRestricted reads a weighed-goods label: a restricted-circulation
// EAN-13 (GS1 General Specifications §2.1.12) laid out as the first
// matching WeighedLayout says. matched is false when data is no such code
// or no layout fits it (it may still be a GTIN in the catalog).
//
// The embedded value gives the line:
//   - weight_g: QuantityMilli = the grams (thousandths of a kg); only a
//     weighed product may carry a weight, or the line would misprice;
//   - price_fen: FixedTotalFen = the price. QuantityMilli is 1000 (one
//     pack) for a product sold by the unit; for a weighed product it is
//     the weight the price stands for, price × 1000 / price per kg rounded
//     half up (at least 1), so quantities and sales reports stay
//     meaningful while the line is charged exactly the label's price.
func resolveRestricted(ctx context.Context, cat Catalog, layouts []WeighedLayout, data string) (ScanResult, bool, error) {
	aim, code := barcode.StripAIM(data)
	if aim != "" && aim != "]E0" {
		return ScanResult{}, false, nil
	}
	rl := make([]barcode.RestrictedLayout, len(layouts))
	for i, l := range layouts {
		rl[i] = weighedLayout(l)
	}
	r, matched, err := barcode.ParseRestricted(code, rl)
	switch {
	case !matched:
		return ScanResult{}, false, nil
	case errors.Is(err, barcode.ErrLayout):
		return ScanResult{}, true, Errorf(EINVALID, "weighed-goods layout %q in the policy is wrong (%v) — key the item; tell the manager", layouts[r.Layout].Prefix, err)
	case errors.Is(err, barcode.ErrCheckDigit), errors.Is(err, barcode.ErrPriceCheckDigit):
		return ScanResult{}, true, Errorf(EINVALID, "barcode %s failed its check digit — scan again or key the code", code)
	case err != nil:
		return ScanResult{}, true, fmt.Errorf("weighed barcode %s: %w", code, err)
	}
	prod, err := cat.ProductByItemCode(ctx, r.ItemCode)
	if ErrorCode(err) == ENOTFOUND {
		return ScanResult{}, true, Errorf(ENOTFOUND, "unknown item code %d on weighed barcode %s — not in the catalog", r.ItemCode, code)
	} else if err != nil {
		return ScanResult{}, true, fmt.Errorf("look up item code %d: %w", r.ItemCode, err)
	}
	res := ScanResult{Kind: ScanProduct, Product: prod, GTIN: "0" + code} // 13 digits → GTIN-14
	if err := weighedLine(&res, layouts[r.Layout].Value, r.Value, code); err != nil {
		return ScanResult{}, true, err
	}
	return res, true, nil
}

// weighedLine sets res's quantity and fixed total from the label's value.
func weighedLine(res *ScanResult, kind WeighedValue, value int64, code string) error {
	prod := res.Product
	switch kind {
	case WeighedWeight:
		if !prod.Weighed {
			return Errorf(EINVALID, "barcode %s carries a weight but %s is not sold by weight — key the item; tell the manager", code, prod.Name)
		}
		if value <= 0 || value > MaxQuantityMilli {
			return Errorf(EINVALID, "barcode %s carries weight %d g, out of range — weigh the item again", code, value)
		}
		res.QuantityMilli = value
	case WeighedPrice:
		if value <= 0 || value > MaxUnitPriceFen {
			return Errorf(EINVALID, "barcode %s carries price %d fen, out of range — weigh the item again", code, value)
		}
		res.FixedTotalFen = value
		res.QuantityMilli = 1000
		if prod.Weighed && prod.PriceFen > 0 {
			// value ≤ 1e9 and ×1000 stays far below MaxInt64.
			res.QuantityMilli = max((value*1000+prod.PriceFen/2)/prod.PriceFen, 1)
			res.QuantityMilli = min(res.QuantityMilli, MaxQuantityMilli)
		}
	default:
		return Errorf(EINVALID, "weighed-goods layout value %q in the policy is unknown — key the item; tell the manager", kind)
	}
	return nil
}

// weighedLayout is the barcode package's form of a policy layout.
func weighedLayout(l WeighedLayout) barcode.RestrictedLayout {
	return barcode.RestrictedLayout{Prefix: l.Prefix, ItemDigits: l.ItemDigits, ValueDigits: l.ValueDigits, PriceCheckDigit: l.PriceCheckDigit}
}
