package agent

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// SaleInput is a sale as a till client submits it. The agent computes every
// line total and the sale total itself; totals a client sends are only
// checked against them, never trusted.
type SaleInput struct {
	// SaleID, if set, is the client's UUID for this sale. It makes a retry
	// after a lost response safe: the same SaleID with the same content
	// returns the sale already committed instead of recording it twice.
	SaleID     string
	LaneID     string
	MemberCard string
	Lines      []LineInput
	// TotalFen, if non-nil, must equal the computed total.
	TotalFen *int64
}

// LineInput is one line of a SaleInput.
type LineInput struct {
	SKU           string
	Barcode       string
	Name          string
	QuantityMilli int64
	UnitPriceFen  int64
	// LineTotalFen, if non-nil, must equal the computed line total.
	LineTotalFen *int64
}

var (
	idPattern   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	cardPattern = regexp.MustCompile(`^[0-9A-Za-z]+$`)
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// Validate checks in and returns an EINVALID *Error naming every problem
// found (field by field), or nil.
func (in *SaleInput) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if in.SaleID != "" && !uuidPattern.MatchString(in.SaleID) {
		add("sale_id: must be a UUID in lowercase canonical form")
	}
	if err := checkID(in.LaneID); err != "" {
		add("lane: %s", err)
	}
	if in.MemberCard != "" && (len(in.MemberCard) > maxCardLen || !cardPattern.MatchString(in.MemberCard)) {
		add("member_card: must be 1 to %d letters or digits", maxCardLen)
	}
	switch {
	case len(in.Lines) == 0:
		add("lines: a sale needs at least one line")
	case len(in.Lines) > MaxLines:
		add("lines: %d lines, at most %d", len(in.Lines), MaxLines)
	}
	var total int64
	for i, l := range in.Lines {
		p := fmt.Sprintf("lines[%d]", i)
		if l.SKU == "" && l.Barcode == "" {
			add("%s: needs a sku or a barcode", p)
		}
		if l.SKU != "" {
			if err := checkID(l.SKU); err != "" {
				add("%s.sku: %s", p, err)
			}
		}
		if len(l.Barcode) > maxBarcodeLen || !printable(l.Barcode) {
			add("%s.barcode: must be at most %d printable characters", p, maxBarcodeLen)
		}
		if len(l.Name) > maxNameLen || !utf8.ValidString(l.Name) {
			add("%s.name: must be valid text of at most %d bytes", p, maxNameLen)
		}
		if l.QuantityMilli <= 0 || l.QuantityMilli > MaxQuantityMilli {
			add("%s.quantity_milli: %d is out of range (1 to %d thousandths)", p, l.QuantityMilli, MaxQuantityMilli)
			continue
		}
		if l.UnitPriceFen < 0 || l.UnitPriceFen > MaxUnitPriceFen {
			add("%s.unit_price_fen: %d is out of range (0 to %d)", p, l.UnitPriceFen, MaxUnitPriceFen)
			continue
		}
		lt := LineTotal(l.QuantityMilli, l.UnitPriceFen)
		if l.LineTotalFen != nil && *l.LineTotalFen != lt {
			add("%s.line_total_fen: client sent %d, computed %d", p, *l.LineTotalFen, lt)
		}
		total += lt
	}
	if len(problems) == 0 && in.TotalFen != nil && *in.TotalFen != total {
		add("total_fen: client sent %d, computed %d", *in.TotalFen, total)
	}
	if len(problems) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(problems, "; "))
	}
	return nil
}

func checkID(s string) string {
	switch {
	case s == "":
		return "is required"
	case len(s) > maxIDLen:
		return fmt.Sprintf("longer than %d characters", maxIDLen)
	case !idPattern.MatchString(s):
		return "may hold only letters, digits, '.', '_' and '-'"
	}
	return ""
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			// GS (0x1d) separates GS1 element strings and is allowed.
			if s[i] != 0x1d {
				return false
			}
		}
	}
	return true
}

// Build validates in and returns the sale it describes, with line numbers
// and totals computed, stamped with id, store and now. Seq and ReceiptNo are
// left for the ledger to assign at commit.
func (in *SaleInput) Build(id, storeID string, now time.Time) (*Sale, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	s := &Sale{ID: id, StoreID: storeID, LaneID: in.LaneID, WallTime: now, MemberCard: in.MemberCard}
	s.Lines = make([]Line, len(in.Lines))
	for i, l := range in.Lines {
		lt := LineTotal(l.QuantityMilli, l.UnitPriceFen)
		s.Lines[i] = Line{No: i + 1, SKU: l.SKU, Barcode: l.Barcode, Name: l.Name,
			QuantityMilli: l.QuantityMilli, UnitPriceFen: l.UnitPriceFen, LineTotalFen: lt}
		s.TotalFen += lt
	}
	return s, nil
}
