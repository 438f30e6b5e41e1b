package agent

// PricedBasket is a basket with every line priced.
type PricedBasket struct {
	Lines     []Line // live lines only, in basket order
	TotalFen  int64
	SavingFen int64 // what member prices saved
	// RewardPoints is the points the basket's reward lines cost.
	RewardPoints int64
}

// PriceBasket prices b's live lines. A member price applies when a card
// is presented (DESIGN §3) and is lower than the shelf price; a line whose
// barcode carries its price keeps that price; a reward's gift costs 0 fen.
func PriceBasket(b *Basket) PricedBasket {
	var pb PricedBasket
	for _, bl := range b.Lines {
		if bl.Voided {
			continue
		}
		l := Line{
			No: bl.No, SKU: bl.SKU, Barcode: bl.Barcode, Name: bl.Name, Category: bl.Category,
			QuantityMilli: bl.QuantityMilli, UnitPriceFen: bl.UnitPriceFen, RewardID: bl.RewardID,
			PointsEligible: bl.PointsEligible && bl.RewardID == "", PointsMultiplier: bl.PointsMultiplier,
		}
		switch {
		case bl.RewardID != "":
			l.UnitPriceFen, l.LineTotalFen = 0, 0
			pb.RewardPoints += bl.RewardPoints
		case bl.FixedTotalFen > 0:
			// A scale label's price is charged as printed (syncproto
			// SaleLine.label_price). One pack: the label price is the
			// unit price; a weight: it is the weight at the price per kg,
			// rounded to the gram.
			l.LineTotalFen, l.LabelPrice = bl.FixedTotalFen, true
			if bl.QuantityMilli == 1000 || l.UnitPriceFen == 0 {
				l.UnitPriceFen = bl.FixedTotalFen
			}
		case b.Card != "" && bl.MemberPriceFen > 0 && bl.MemberPriceFen < bl.UnitPriceFen:
			regular := LineTotal(bl.QuantityMilli, bl.UnitPriceFen)
			l.UnitPriceFen, l.RegularUnitPriceFen = bl.MemberPriceFen, bl.UnitPriceFen
			l.LineTotalFen = LineTotal(bl.QuantityMilli, bl.MemberPriceFen)
			l.MemberSavingFen = regular - l.LineTotalFen
		default:
			l.LineTotalFen = LineTotal(bl.QuantityMilli, bl.UnitPriceFen)
		}
		pb.TotalFen += l.LineTotalFen
		pb.SavingFen += l.MemberSavingFen
		pb.Lines = append(pb.Lines, l)
	}
	return pb
}

// earnLines is what the earn rule needs of priced lines.
func earnLines(lines []Line) []EarnLine {
	out := make([]EarnLine, len(lines))
	for i, l := range lines {
		out[i] = EarnLine{SKU: l.SKU, Category: l.Category, AmountFen: l.LineTotalFen,
			Eligible: l.PointsEligible, Multiplier: l.PointsMultiplier}
	}
	return out
}
