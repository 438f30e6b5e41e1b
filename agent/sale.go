package agent

import (
	"math"
	"time"
)

// Limits on a sale's input. They catch a scanner or client gone wrong and
// keep the int64 arithmetic safe: quantity × price fits in int64, and so
// does the sum of MaxLines line totals.
const (
	MaxLines         = 500
	MaxQuantityMilli = 100_000_000   // 100,000 units (or kg) on one line
	MaxUnitPriceFen  = 1_000_000_000 // ten million yuan
	maxIDLen         = 64            // lane, SKU and similar identifiers
	maxBarcodeLen    = 128           // GS1-128 and 2D codes fit
	maxNameLen       = 200           // line name as printed on the receipt
	maxCardLen       = 64            // member card numbers
)

// Compile-time proof of the overflow bounds above: a negative value does
// not fit a uint64 constant.
const (
	_ uint64 = math.MaxInt64 - MaxQuantityMilli*MaxUnitPriceFen - 500
	_ uint64 = math.MaxInt64 - MaxLines*(MaxQuantityMilli*MaxUnitPriceFen/1000+1)
)

// Sale is a committed sale as the agent records it. Money is fen, quantity
// is thousandths.
type Sale struct {
	ID         string // UUIDv7
	StoreID    string
	LaneID     string
	Seq        uint64    // the agent's journal sequence number of this sale
	WallTime   time.Time // the agent's clock at commit
	ReceiptNo  string
	Lines      []Line
	TotalFen   int64
	MemberCard string // card number presented; "" for an anonymous sale

	// Loyalty (zero for an anonymous sale).
	MemberID        string // "" for a card the store did not know
	Tier            string
	MemberSavingFen int64
	Points          []PointsEntry // earned (pending) and redeemed, committed with the sale
	Tenders         []Tender
	ChangeFen       int64
	PolicyVersion   uint64
	CatalogVersion  uint64
}

// Tender is one way the customer paid.
type Tender struct {
	Kind      TenderKind
	AmountFen int64
	// Reference is the bank-card terminal's reference, never a card number.
	Reference string
	// Points spent, for TenderPoints.
	Points int64
}

// TenderKind is how a tender was paid.
type TenderKind int

// Tender kinds (syncproto.Tender_Kind has the same values).
const (
	TenderCash     TenderKind = 1
	TenderBankCard TenderKind = 2
	TenderPoints   TenderKind = 3
)

// Line is one line of a sale.
type Line struct {
	No            int
	SKU           string
	Barcode       string
	Name          string
	QuantityMilli int64
	UnitPriceFen  int64
	LineTotalFen  int64

	Category            string
	RegularUnitPriceFen int64 // shelf price when a member price applied, else 0
	MemberSavingFen     int64
	RewardID            string // a gift taken for points
	PointsEarned        int64  // this line's share of the sale's earned points
	PointsEligible      bool
	PointsMultiplier    int64 // hundredths, 0 = ×1
	// LabelPrice: LineTotalFen is a scale label's price, charged as
	// printed (syncproto SaleLine.label_price).
	LabelPrice bool
}

// LineTotal returns quantity × unit price in fen, rounded half up to the
// fen (a weighed line of 0.333 kg at 1099 fen/kg is 365.967 → 366 fen).
// Both arguments must be non-negative and within the limits above.
func LineTotal(quantityMilli, unitPriceFen int64) int64 {
	return (quantityMilli*unitPriceFen + 500) / 1000
}
