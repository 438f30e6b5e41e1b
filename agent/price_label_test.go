package agent_test

import (
	"testing"

	"github.com/tillsync/tillsync/agent"
)

// TestPriceBasket_LabelPrice: a scale label's price is charged as printed
// and marked as such on the line (syncproto SaleLine.label_price), so that
// central accepts a price that is not exactly weight × price per kg; a
// pack sold by the unit gets the label price as its unit price.
func TestPriceBasket_LabelPrice(t *testing.T) {
	b := &agent.Basket{Lines: []agent.BasketLine{
		// A label of 20.20 yuan on beef at 16.40 yuan/kg: the scan gave
		// the 1.232 kg it stands for.
		{No: 1, SKU: "BEEF", QuantityMilli: 1232, UnitPriceFen: 1640, Weighed: true, FixedTotalFen: 2020},
		{No: 2, SKU: "CAKE", QuantityMilli: 1000, UnitPriceFen: 1500, FixedTotalFen: 1290},
		{No: 3, SKU: "MILK", QuantityMilli: 2000, UnitPriceFen: 650},
	}}
	pb := agent.PriceBasket(b)
	if len(pb.Lines) != 3 || pb.TotalFen != 2020+1290+1300 {
		t.Fatalf("priced = %+v", pb)
	}
	beef, cake, milk := pb.Lines[0], pb.Lines[1], pb.Lines[2]
	if !beef.LabelPrice || beef.LineTotalFen != 2020 || beef.UnitPriceFen != 1640 || beef.QuantityMilli != 1232 {
		t.Errorf("weighed label line = %+v", beef)
	}
	if !cake.LabelPrice || cake.LineTotalFen != 1290 || cake.UnitPriceFen != 1290 || cake.QuantityMilli != 1000 {
		t.Errorf("pack label line = %+v, want the label price as unit price", cake)
	}
	if milk.LabelPrice || milk.LineTotalFen != 1300 {
		t.Errorf("plain line = %+v", milk)
	}
	ev := agent.SaleEvent(&agent.Sale{ID: "s", Lines: pb.Lines}, "e")
	if !ev.GetSaleCommitted().GetLines()[0].GetLabelPrice() || ev.GetSaleCommitted().GetLines()[2].GetLabelPrice() {
		t.Errorf("label_price not carried on the wire: %v", ev.GetSaleCommitted().GetLines())
	}
}
