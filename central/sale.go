package central

import (
	"fmt"
	"strings"
	"time"
)

// Sale is a committed sale as central stores it: the agent's record plus
// where and when central received it. Money is fen, quantity thousandths.
type Sale struct {
	ID            string // the till's UUIDv7
	AgentID       string
	Seq           uint64 // the agent's journal seq of the sale's event
	StoreID       string
	LaneID        string
	ReceiptNo     string
	TotalFen      int64
	MemberCard    string    // card presented, "" for an anonymous sale; mask it before logging
	AgentWallTime time.Time // the agent's clock at commit
	ReceivedAt    time.Time // central's clock when the batch arrived
	Lines         []SaleLine
}

// SaleLine is one line of a stored sale.
type SaleLine struct {
	No            int
	SKU           string
	Barcode       string
	Name          string
	QuantityMilli int64
	UnitPriceFen  int64
	LineTotalFen  int64
}

// MaskCard returns card with all but its last four characters replaced by
// '*', for logs and API answers. A card of four characters or fewer is
// masked whole, so no log line ever carries a full card number.
func MaskCard(card string) string {
	if card == "" {
		return ""
	}
	if len(card) <= 4 {
		return strings.Repeat("*", len(card))
	}
	return strings.Repeat("*", len(card)-4) + card[len(card)-4:]
}

// FormatFen renders fen as yuan with two decimals ("1234.05", "-0.50"),
// using integer arithmetic only.
func FormatFen(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-(fen+1))+1 // no overflow at math.MinInt64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
