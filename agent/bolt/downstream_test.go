package bolt

import (
	"context"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

func TestLedger_ApplyCatalog(t *testing.T) {
	ctx := context.Background()
	snapshot := agent.CatalogUpdate{Version: 1, Snapshot: true, Upserts: testProducts()}

	t.Run("OKDelta", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		if err := l.ApplyCatalog(ctx, snapshot); err != nil {
			t.Fatal(err)
		}
		// A1 changes price and loses a barcode, B2 goes, C3 comes with
		// the barcode A1 gave up.
		a1 := testProducts()[0]
		a1.PriceFen, a1.Barcodes = 1390, []string{"6901234567892"}
		c3 := agent.Product{SKU: "C3", Barcodes: []string{"96385074"}, Name: "新品", PriceFen: 500}
		delta := agent.CatalogUpdate{Version: 2, Base: 1, Upserts: []agent.Product{a1, c3}, Removed: []string{"B2"}}
		if err := l.ApplyCatalog(ctx, delta); err != nil {
			t.Fatalf("ApplyCatalog(delta) = %v", err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path, testOptions())
		if v, err := l.CatalogVersion(ctx); err != nil || v != 2 {
			t.Fatalf("CatalogVersion = %d, %v; want 2", v, err)
		}
		if p, err := l.ProductBySKU(ctx, "A1"); err != nil || p.PriceFen != 1390 {
			t.Fatalf("A1 = %+v, %v; want price 1390", p, err)
		}
		if _, err := l.ProductBySKU(ctx, "B2"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Fatalf("removed B2: %v; want ENOTFOUND", err)
		}
		if p, err := l.ProductByBarcode(ctx, "00000096385074"); err != nil || p.SKU != "C3" {
			t.Fatalf("B2's old barcode = %+v, %v; want C3", p, err)
		}
		if _, err := l.ProductByBarcode(ctx, "06901234567892"); err != nil {
			t.Fatalf("A1's kept barcode: %v", err)
		}
		if p, err := l.ProductByItemCode(ctx, 12345); err != nil || p.SKU != "P7" {
			t.Fatalf("untouched P7 = %+v, %v", p, err)
		}
	})
	t.Run("ErrGapOrStaleChangesNothing", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ApplyCatalog(ctx, snapshot); err != nil {
			t.Fatal(err)
		}
		gap := agent.CatalogUpdate{Version: 4, Base: 3, Removed: []string{"A1"}}
		stale := agent.CatalogUpdate{Version: 1, Snapshot: true}
		for name, u := range map[string]agent.CatalogUpdate{"gap": gap, "stale": stale} {
			if err := l.ApplyCatalog(ctx, u); agent.ErrorCode(err) != agent.ECONFLICT {
				t.Fatalf("%s: ApplyCatalog = %v; want ECONFLICT", name, err)
			}
		}
		checkCatalog(t, l, 1)
	})
	t.Run("ErrBarcodeOfAnotherProductChangesNothing", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ApplyCatalog(ctx, snapshot); err != nil {
			t.Fatal(err)
		}
		thief := agent.Product{SKU: "X9", Barcodes: []string{"96385074"}, Name: "冲突", PriceFen: 1}
		err := l.ApplyCatalog(ctx, agent.CatalogUpdate{Version: 2, Base: 1, Upserts: []agent.Product{thief}, Removed: []string{"A1"}})
		if agent.ErrorCode(err) != agent.EINVALID {
			t.Fatalf("ApplyCatalog = %v; want EINVALID", err)
		}
		checkCatalog(t, l, 1)
	})
}

func TestLedger_ApplyCardBlocks(t *testing.T) {
	ctx := context.Background()
	const lost, stolen, other = "8800000000017", "8800000000025", "8800000000033"
	l := mustOpen(t, tempPath(t), testOptions())
	if err := l.PutMember(ctx, agent.Member{Card: lost, MemberID: "M1", MaskedName: "张*", Tier: "gold"}); err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(1_700_000_000_000)
	snap := agent.CardBlocksUpdate{Version: 1, Snapshot: true, Blocked: []agent.CardBlock{{Card: lost, Reason: "reported lost", BlockedAt: at}}}
	if err := l.ApplyCardBlocks(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if m, err := l.MemberByCard(ctx, lost); err != nil || !m.Blocked || m.BlockReason != "reported lost" || m.Tier != "gold" {
		t.Fatalf("blocked member = %+v, %v", m, err)
	}
	delta := agent.CardBlocksUpdate{Version: 2, Base: 1, Blocked: []agent.CardBlock{{Card: stolen, Reason: "stolen"}}, Unblocked: []string{lost}}
	if err := l.ApplyCardBlocks(ctx, delta); err != nil {
		t.Fatal(err)
	}
	if m, err := l.MemberByCard(ctx, lost); err != nil || m.Blocked {
		t.Fatalf("unblocked member = %+v, %v", m, err)
	}
	// A card the store holds no member for is still refused when blocked.
	if m, err := l.MemberByCard(ctx, stolen); err != nil || !m.Blocked || m.BlockReason != "stolen" {
		t.Fatalf("blocked unknown card = %+v, %v", m, err)
	}
	if _, err := l.MemberByCard(ctx, other); agent.ErrorCode(err) != agent.ENOTFOUND {
		t.Fatalf("unknown card: %v; want ENOTFOUND", err)
	}
	if err := l.ApplyCardBlocks(ctx, agent.CardBlocksUpdate{Version: 5, Base: 3}); agent.ErrorCode(err) != agent.ECONFLICT {
		t.Fatalf("delta with a gap = %v; want ECONFLICT", err)
	}
	if v, err := l.CardBlocksVersion(ctx); err != nil || v != 2 {
		t.Fatalf("CardBlocksVersion = %d, %v; want 2", v, err)
	}
	// A snapshot replaces the whole list.
	if err := l.ApplyCardBlocks(ctx, agent.CardBlocksUpdate{Version: 7, Snapshot: true}); err != nil {
		t.Fatal(err)
	}
	if m, err := l.MemberByCard(ctx, stolen); agent.ErrorCode(err) != agent.ENOTFOUND {
		t.Fatalf("card after an empty snapshot = %+v, %v; want ENOTFOUND", m, err)
	}
}
