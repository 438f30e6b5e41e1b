package bolt

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

func testProducts() []agent.Product {
	return []agent.Product{
		{SKU: "A1", Barcodes: []string{"6901234567892", "06901234567892"}, Name: "酱油 500ml", Category: "condiments",
			PriceFen: 1290, MemberPriceFen: 1190, PointsEligible: true, PointsMultiplier: 200},
		{SKU: "B2", Barcodes: []string{"96385074"}, Name: "口香糖", PriceFen: 350, PointsEligible: true},
		{SKU: "P7", Name: "猪肉 散装", Category: "fresh", PriceFen: 2680, Weighed: true, ItemCode: 12345},
	}
}

func TestLedger_ReplaceCatalog(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		if err := l.ReplaceCatalog(ctx, 3, testProducts()); err != nil {
			t.Fatalf("ReplaceCatalog() = %v", err)
		}
		checkCatalog(t, l, 3)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		checkCatalog(t, mustOpen(t, path, testOptions()), 3) // survives a reopen
	})

	// A newer catalog replaces the old one whole: a SKU, barcode or item
	// code it no longer lists is gone.
	t.Run("ReplacesWhole", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ReplaceCatalog(ctx, 1, testProducts()); err != nil {
			t.Fatal(err)
		}
		if err := l.ReplaceCatalog(ctx, 2, testProducts()[1:2]); err != nil {
			t.Fatal(err)
		}
		if _, err := l.ProductBySKU(ctx, "A1"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("ProductBySKU(A1) after replace = %v, want ENOTFOUND", err)
		}
		if _, err := l.ProductByBarcode(ctx, "06901234567892"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("ProductByBarcode(A1's) after replace = %v, want ENOTFOUND", err)
		}
		if _, err := l.ProductByItemCode(ctx, 12345); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("ProductByItemCode(12345) after replace = %v, want ENOTFOUND", err)
		}
		if p, err := l.ProductByBarcode(ctx, "00000096385074"); err != nil || p.SKU != "B2" {
			t.Errorf("ProductByBarcode(B2's) = %+v, %v", p, err)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ReplaceCatalog(ctx, 5, testProducts()); err != nil {
			t.Fatal(err)
		}
		for _, v := range []uint64{5, 4} {
			err := l.ReplaceCatalog(ctx, v, nil)
			if agent.ErrorCode(err) != agent.ECONFLICT || !strings.Contains(err.Error(), "is not newer than 5") {
				t.Errorf("ReplaceCatalog(%d) = %v, want ECONFLICT not newer than 5", v, err)
			}
		}
		checkCatalog(t, l, 5)
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		tests := []struct {
			name string
			edit func([]agent.Product) []agent.Product
			want string
		}{
			{"NoSKU", func(ps []agent.Product) []agent.Product { ps[0].SKU = ""; return ps }, "SKU must be"},
			{"DuplicateSKU", func(ps []agent.Product) []agent.Product { return append(ps, ps[0]) }, "lists SKU A1 twice"},
			{"DuplicateBarcode", func(ps []agent.Product) []agent.Product {
				ps[1].Barcodes = []string{"6901234567892"}
				return ps
			}, "barcode 06901234567892 belongs to both SKU A1 and SKU B2"},
			{"BadBarcode", func(ps []agent.Product) []agent.Product { ps[1].Barcodes = []string{"12AB5"}; return ps }, "not an 8, 12, 13 or 14 digit GTIN"},
			{"DuplicateItemCode", func(ps []agent.Product) []agent.Product { ps[1].ItemCode = 12345; return ps }, "item code 12345 belongs to both"},
			{"NegativeItemCode", func(ps []agent.Product) []agent.Product { ps[1].ItemCode = -1; return ps }, "negative item code"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := mustOpen(t, tempPath(t), testOptions())
				err := l.ReplaceCatalog(ctx, 1, tt.edit(testProducts()))
				if agent.ErrorCode(err) != agent.EINVALID || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("ReplaceCatalog() = %v, want EINVALID containing %q", err, tt.want)
				}
				if v, err := l.CatalogVersion(ctx); err != nil || v != 0 {
					t.Errorf("CatalogVersion() after a refused catalog = %d, %v; want 0", v, err)
				}
			})
		}
	})
}

// checkCatalog verifies that l holds testProducts at version by every key.
func checkCatalog(t *testing.T, l *Ledger, version uint64) {
	t.Helper()
	ctx := context.Background()
	if v, err := l.CatalogVersion(ctx); err != nil || v != version {
		t.Errorf("CatalogVersion() = %d, %v; want %d", v, err, version)
	}
	want := testProducts()
	lookups := []struct {
		name string
		get  func() (*agent.Product, error)
		want agent.Product
	}{
		{"SKU", func() (*agent.Product, error) { return l.ProductBySKU(ctx, "A1") }, want[0]},
		{"EAN13", func() (*agent.Product, error) { return l.ProductByBarcode(ctx, "06901234567892") }, want[0]},
		{"EAN13Unpadded", func() (*agent.Product, error) { return l.ProductByBarcode(ctx, "6901234567892") }, want[0]},
		{"EAN8", func() (*agent.Product, error) { return l.ProductByBarcode(ctx, "00000096385074") }, want[1]},
		{"ItemCode", func() (*agent.Product, error) { return l.ProductByItemCode(ctx, 12345) }, want[2]},
	}
	for _, lk := range lookups {
		got, err := lk.get()
		if err != nil || !reflect.DeepEqual(*got, lk.want) {
			t.Errorf("lookup by %s = %+v, %v; want %+v", lk.name, got, err, lk.want)
		}
	}
}

func TestLedger_ProductBySKU(t *testing.T) {
	ctx := context.Background()
	l := mustOpen(t, tempPath(t), testOptions())
	if err := l.ReplaceCatalog(ctx, 1, testProducts()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		get  func() (*agent.Product, error)
		want string
	}{
		{"SKU", func() (*agent.Product, error) { return l.ProductBySKU(ctx, "ZZ9") }, "SKU ZZ9 is not in the catalog"},
		{"Barcode", func() (*agent.Product, error) { return l.ProductByBarcode(ctx, "04006381333931") }, "barcode 04006381333931 is not in the catalog"},
		{"MalformedBarcode", func() (*agent.Product, error) { return l.ProductByBarcode(ctx, "abc") }, "barcode abc is not in the catalog"},
		{"ItemCode", func() (*agent.Product, error) { return l.ProductByItemCode(ctx, 999) }, "scale item code 999 is not in the catalog"},
		{"ItemCodeZero", func() (*agent.Product, error) { return l.ProductByItemCode(ctx, 0) }, "scale item code 0"},
	}
	for _, tt := range tests {
		t.Run("ErrNotFound"+tt.name, func(t *testing.T) {
			_, err := tt.get()
			if agent.ErrorCode(err) != agent.ENOTFOUND || !strings.Contains(agent.ErrorMessage(err), tt.want) {
				t.Errorf("lookup = %v, want ENOTFOUND containing %q", err, tt.want)
			}
		})
	}
	t.Run("ErrNotFoundEmpty", func(t *testing.T) {
		empty := mustOpen(t, tempPath(t), testOptions())
		if _, err := empty.ProductBySKU(ctx, "A1"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("ProductBySKU() with no catalog = %v, want ENOTFOUND", err)
		}
	})
}
