package agent

import (
	"context"
	"time"
)

// Basket is a lane's open sale: what the cashier has scanned so far. It is
// saved after every change so it survives an agent restart. Its ID becomes
// the sale's ID at commit, which makes a retried commit safe.
type Basket struct {
	ID       string // UUIDv7, the future sale id
	LaneID   string
	OpenedAt time.Time
	// Rev counts changes; a client may send it back to detect that another
	// terminal changed the basket in between.
	Rev   int64
	Lines []BasketLine
	// Member attached by card (nil: anonymous). Card is set even when the
	// store does not know the card (offline enrollment elsewhere): the
	// sale then records points against the card number for HQ to resolve.
	Card   string
	Member *Member
	// Tenders given so far (points tender included).
	Tenders []Tender
	// NextLineNo numbers lines; a voided line keeps its number.
	NextLineNo int
}

// BasketLine is one line of an open basket.
type BasketLine struct {
	No             int
	SKU            string
	Barcode        string
	Name           string
	Category       string
	QuantityMilli  int64
	UnitPriceFen   int64 // shelf price per unit (or per kg)
	MemberPriceFen int64 // 0: none
	Weighed        bool
	// FixedTotalFen is the price a restricted-circulation barcode carries
	// for the whole line (0: computed from quantity and price).
	FixedTotalFen    int64
	PointsEligible   bool
	PointsMultiplier int64
	RewardID         string // a gift taken for points (priced at 0 fen)
	RewardPoints     int64
	Voided           bool
}

// Baskets stores open baskets, one per lane.
type Baskets interface {
	// SaveBasket stores b as its lane's open basket (durably).
	SaveBasket(ctx context.Context, b *Basket) error
	// Basket returns the lane's open basket, or an ENOTFOUND *Error.
	Basket(ctx context.Context, lane string) (*Basket, error)
	// DeleteBasket removes the lane's open basket if its id is id.
	DeleteBasket(ctx context.Context, lane, id string) error
}

// Return is goods brought back against an original sale.
type Return struct {
	ID              string // UUIDv7
	OriginalSaleID  string
	OriginalStoreID string // "" when the till does not hold the original
	StoreID         string
	LaneID          string
	Seq             uint64
	ReceiptNo       string
	WallTime        time.Time
	Lines           []ReturnLine
	RefundFen       int64
	Card            string
	MemberID        string
	Points          []PointsEntry // reversals and refunds of redeemed points
	Refunds         []Tender
}

// ReturnLine is the part of one original line brought back.
type ReturnLine struct {
	OriginalLineNo int
	SKU            string
	QuantityMilli  int64
	RefundFen      int64
}

// Returns records returns.
type Returns interface {
	// CommitReturn checks, in the same transaction that stores them, that
	// no line of a locally held original sale is returned beyond what was
	// sold (ECONFLICT otherwise: a line can never be returned twice), then
	// stores r, its points entries and its ReturnCommitted journal event
	// in one durable transaction, setting r.Seq and r.ReceiptNo.
	CommitReturn(ctx context.Context, r *Return) error
	// Returned returns the quantity (thousandths) already returned of each
	// line of sale id, by line number.
	Returned(ctx context.Context, saleID string) (map[int]int64, error)
	// ReturnByID returns a committed return, or an ENOTFOUND *Error.
	ReturnByID(ctx context.Context, id string) (*Return, error)
}
