package agent

import "context"

// Product is one SKU of the catalog. Prices are fen per unit, or per kg for
// weighed goods (a weighed line's quantity is in grams, i.e. thousandths
// of a kg).
type Product struct {
	SKU      string
	Barcodes []string // GTINs (EAN-13, EAN-8, UPC-A, GTIN-14) that scan to it
	Name     string
	Category string
	PriceFen int64
	// MemberPriceFen is the price for a card-holding member; 0 means none.
	MemberPriceFen int64
	// Weighed goods are sold by weight (restricted-circulation barcodes
	// carry their weight or price).
	Weighed bool
	// PointsEligible is false for lines that earn no points (tobacco, gift
	// cards, infant formula where the law forbids incentives...).
	PointsEligible bool
	// PointsMultiplier is in hundredths: 100 = ×1, 200 = ×2; 0 means 100.
	PointsMultiplier int64
	// ItemCode is the item code restricted-circulation barcodes carry
	// (the chain's scale PLU); 0 if none.
	ItemCode int64
}

// Catalog is the store's copy of the product catalog.
type Catalog interface {
	// ProductBySKU returns the product, or an ENOTFOUND *Error.
	ProductBySKU(ctx context.Context, sku string) (*Product, error)
	// ProductByBarcode returns the product a GTIN (normalised to 14
	// digits) belongs to, or an ENOTFOUND *Error.
	ProductByBarcode(ctx context.Context, gtin14 string) (*Product, error)
	// ProductByItemCode returns the product with a restricted-circulation
	// item code, or an ENOTFOUND *Error.
	ProductByItemCode(ctx context.Context, code int64) (*Product, error)
	// CatalogVersion is the version of the catalog held (0 = none loaded).
	CatalogVersion(ctx context.Context) (uint64, error)
}
