package agent_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

// memCatalog is a hand-written, in-memory stand-in for the bbolt catalog:
// agent's tests cannot import agent/bolt (bolt imports agent, a package
// cycle), and ResolveScan needs only these three lookups.
type memCatalog struct {
	products []agent.Product
	err      error // returned by every lookup when set (catalog broken)
}

var _ agent.Catalog = (*memCatalog)(nil)

func (c *memCatalog) find(match func(p *agent.Product) bool, what string) (*agent.Product, error) {
	if c.err != nil {
		return nil, c.err
	}
	for i := range c.products {
		if match(&c.products[i]) {
			p := c.products[i]
			return &p, nil
		}
	}
	return nil, agent.Errorf(agent.ENOTFOUND, "%s not found", what)
}

func (c *memCatalog) ProductBySKU(_ context.Context, sku string) (*agent.Product, error) {
	return c.find(func(p *agent.Product) bool { return p.SKU == sku }, sku)
}

func (c *memCatalog) ProductByBarcode(_ context.Context, gtin14 string) (*agent.Product, error) {
	return c.find(func(p *agent.Product) bool {
		for _, b := range p.Barcodes {
			if b == gtin14 {
				return true
			}
		}
		return false
	}, gtin14)
}

func (c *memCatalog) ProductByItemCode(_ context.Context, code int64) (*agent.Product, error) {
	return c.find(func(p *agent.Product) bool { return p.ItemCode == code }, "item")
}

func (c *memCatalog) CatalogVersion(context.Context) (uint64, error) { return 1, nil }

func scanFixture(t testing.TB) (*memCatalog, *agent.Policy, *agent.CardMatcher) {
	cat := &memCatalog{products: []agent.Product{
		{SKU: "milk", Barcodes: []string{"05901234123457"}, Name: "Milk 1L", PriceFen: 699},
		{SKU: "cola", Barcodes: []string{"00042100005264"}, Name: "Cola can", PriceFen: 350},
		{SKU: "case", Barcodes: []string{"09506000134352"}, Name: "Water case", PriceFen: 2400},
		{SKU: "ean8", Barcodes: []string{"00000096385074"}, Name: "Gum", PriceFen: 150},
		{SKU: "rcn", Barcodes: []string{"02500000000003"}, Name: "House bread", PriceFen: 800},
		{SKU: "apples", Name: "Apples", PriceFen: 1099, Weighed: true, ItemCode: 12345},
		{SKU: "beef", Name: "Beef", PriceFen: 2990, Weighed: true, ItemCode: 1234},
		{SKU: "salad", Name: "Salad box", PriceFen: 1500, ItemCode: 777},
	}}
	p := &agent.Policy{WeighedLayouts: []agent.WeighedLayout{
		{Prefix: "21", ItemDigits: 5, ValueDigits: 5, Value: agent.WeighedWeight},
		{Prefix: "22", ItemDigits: 4, ValueDigits: 5, Value: agent.WeighedPrice, PriceCheckDigit: true},
		{Prefix: "23", ItemDigits: 5, ValueDigits: 4, Value: agent.WeighedPrice, PriceCheckDigit: true},
		{Prefix: "24", ItemDigits: 5, ValueDigits: 5, Value: agent.WeighedPrice},
		{Prefix: "26", ItemDigits: 5, ValueDigits: 4, Value: agent.WeighedPrice}, // 12 digits: wrong
		{Prefix: "27", ItemDigits: 5, ValueDigits: 5, Value: "volume"},
	}}
	cards, err := agent.NewCardMatcher([]agent.CardPattern{{Name: "club", Prefix: "8800", Length: 13}})
	if err != nil {
		t.Fatal(err)
	}
	return cat, p, cards
}

func TestResolveScan(t *testing.T) {
	ctx := context.Background()
	cat, p, cards := scanFixture(t)
	tests := []struct {
		name, data string
		want       agent.ScanResult // Product compared by SKU
		sku        string
	}{
		{"EAN13", "5901234123457", agent.ScanResult{GTIN: "05901234123457", QuantityMilli: 1000}, "milk"},
		{"EAN13AIM", "]E05901234123457\r\n", agent.ScanResult{GTIN: "05901234123457", QuantityMilli: 1000}, "milk"},
		{"EAN8", "]E496385074", agent.ScanResult{GTIN: "00000096385074", QuantityMilli: 1000}, "ean8"},
		{"UPCE", "]E004252614", agent.ScanResult{GTIN: "00042100005264", QuantityMilli: 1000}, "cola"},
		{"UPCA", "042100005264", agent.ScanResult{GTIN: "00042100005264", QuantityMilli: 1000}, "cola"},
		{"GS1128", "]C101095060001343521720122510ABC123\x1d21XYZ", agent.ScanResult{GTIN: "09506000134352", QuantityMilli: 1000}, "case"},
		{"Card", " 8800123456787 ", agent.ScanResult{Kind: agent.ScanCard, Card: "8800123456787"}, ""},
		// "21" weight layout: item 12345, 01250 g, EAN-13 check 6.
		{"Weight", "2112345012506", agent.ScanResult{GTIN: "02112345012506", QuantityMilli: 1250}, "apples"},
		// "22" price layout with price check digit 6 for 14685 fen; beef at
		// 2990 fen/kg: 14685 × 1000 / 2990 = 4911.37 → 4911 g.
		{"PriceWeighed", "2212346146856", agent.ScanResult{GTIN: "02212346146856", QuantityMilli: 4911, FixedTotalFen: 14685}, "beef"},
		// "23": 4-digit price 2875 with price check digit 9; apples at 1099:
		// 2875000 / 1099 = 2616.01 → 2616 g.
		{"Price4", "2312345928757", agent.ScanResult{GTIN: "02312345928757", QuantityMilli: 2616, FixedTotalFen: 2875}, "apples"},
		// "24": a pack sold by the unit with its price on the label: one pack.
		{"PricePack", "2400777015005", agent.ScanResult{GTIN: "02400777015005", QuantityMilli: 1000, FixedTotalFen: 1500}, "salad"},
		// Prefix 25 has no layout: an ordinary GTIN the catalog holds.
		{"RestrictedNoLayout", "2500000000003", agent.ScanResult{GTIN: "02500000000003", QuantityMilli: 1000}, "rcn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := agent.ResolveScan(ctx, cat, p, cards, tt.data)
			if err != nil {
				t.Fatalf("ResolveScan(%q): %v", tt.data, err)
			}
			if tt.sku != "" && (got.Product == nil || got.Product.SKU != tt.sku) {
				t.Fatalf("product %+v, want %s", got.Product, tt.sku)
			}
			got.Product = nil
			if got != tt.want {
				t.Errorf("ResolveScan(%q) = %+v, want %+v", tt.data, got, tt.want)
			}
		})
	}
}

func TestResolveScan_Err(t *testing.T) {
	ctx := context.Background()
	cat, p, cards := scanFixture(t)
	tests := []struct {
		name, data, code, msg string
	}{
		{"Empty", " \r\n", agent.EINVALID, "empty scan"},
		{"TooLong", strings.Repeat("1", 129), agent.EINVALID, "too long"},
		{"Control", "59012\x0034123457", agent.EINVALID, "control characters"},
		{"CheckDigit", "5901234123458", agent.EINVALID, "barcode 5901234123458 failed its check digit — scan again or key the code"},
		{"CheckDigitAIM", "]E05901234123458", agent.EINVALID, "barcode 5901234123458 failed its check digit"},
		{"Unknown", "4006381333931", agent.ENOTFOUND, "unknown barcode 4006381333931 — not in the catalog"},
		{"NotGTIN", "HELLO-WORLD", agent.EINVALID, "code *******ORLD is not a product barcode"},
		{"Code128", "]C0ABC123", agent.EINVALID, "not a product barcode"},
		{"GS1NoGTIN", "]C110ABC123", agent.EINVALID, "not a product barcode"},
		{"CardNearMiss", "880012345678", agent.ENOTFOUND, "unknown barcode 880012345678"}, // 12 digits: a valid UPC-A
		{"WeighedCheckDigit", "2112345012507", agent.EINVALID, "failed its check digit"},
		{"PriceCheckDigit", "2212341146851", agent.EINVALID, "failed its check digit"},
		{"UnknownItem", "2100123012343", agent.ENOTFOUND, "unknown item code 123"},
		{"ZeroWeight", "2112345000008", agent.EINVALID, "weight 0 g"},
		{"WeightOnUnitItem", "2100777005005", agent.EINVALID, "not sold by weight"},
		{"BadLayout", "2600777015009", agent.EINVALID, `layout "26"`},
		{"BadValueKind", "2700777015006", agent.EINVALID, `"volume"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := agent.ResolveScan(ctx, cat, p, cards, tt.data)
			if agent.ErrorCode(err) != tt.code || !strings.Contains(agent.ErrorMessage(err), tt.msg) {
				t.Fatalf("ResolveScan(%q) = %+v, %v; want %s containing %q", tt.data, res, err, tt.code, tt.msg)
			}
			if res.Product != nil {
				t.Errorf("an error came with a product: %+v", res.Product)
			}
		})
	}
	t.Run("CatalogUnavailable", func(t *testing.T) {
		broken := &memCatalog{err: agent.Errorf(agent.EUNAVAILABLE, "catalog not loaded")}
		_, err := agent.ResolveScan(ctx, broken, p, cards, "5901234123457")
		if agent.ErrorCode(err) != agent.EUNAVAILABLE || !strings.Contains(err.Error(), "look up barcode 5901234123457") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("NilPolicyAndCards", func(t *testing.T) {
		// Without layouts a weighed label is just an unknown GTIN; without
		// card patterns a card number is just a (here invalid) barcode.
		for data, code := range map[string]string{"2112345012506": agent.ENOTFOUND, "8800123456787": agent.EINVALID} {
			if _, err := agent.ResolveScan(ctx, cat, nil, nil, data); agent.ErrorCode(err) != code {
				t.Errorf("ResolveScan(%q) = %v, want %s", data, err, code)
			}
		}
	})
}

// FuzzResolveScan checks that no input panics and that any product result
// is a usable line.
func FuzzResolveScan(f *testing.F) {
	for _, s := range []string{"5901234123457", "]E004252614", "2112345012506", "2212346146856", "2312345928757",
		"2400777015005", "8800123456787", "]C10109506000134352", "2600777015009", "", "]", "2112345999999"} {
		f.Add(s)
	}
	cat, p, cards := scanFixture(f)
	f.Fuzz(func(t *testing.T, data string) {
		res, err := agent.ResolveScan(context.Background(), cat, p, cards, data)
		if err != nil {
			if agent.ErrorCode(err) == agent.EINTERNAL {
				t.Fatalf("ResolveScan(%q): uncoded error %v", data, err)
			}
			return
		}
		switch res.Kind {
		case agent.ScanProduct:
			if res.Product == nil || res.QuantityMilli <= 0 || res.QuantityMilli > agent.MaxQuantityMilli || res.FixedTotalFen < 0 || len(res.GTIN) != 14 {
				t.Fatalf("ResolveScan(%q) = %+v", data, res)
			}
		case agent.ScanCard:
			if res.Card == "" || res.Product != nil {
				t.Fatalf("ResolveScan(%q) = %+v", data, res)
			}
		default:
			t.Fatalf("ResolveScan(%q): kind %d", data, res.Kind)
		}
	})
}
