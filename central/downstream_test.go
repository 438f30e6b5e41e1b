package central

import (
	"strings"
	"testing"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

func item(sku string, price int64, barcodes ...string) *syncproto.CatalogItem {
	return &syncproto.CatalogItem{Sku: sku, Name: "name " + sku, PriceFen: price, Barcodes: barcodes}
}

func TestValidateCatalog(t *testing.T) {
	ok := &syncproto.CatalogContent{Upserts: []*syncproto.CatalogItem{item("A1", 1290, "6901234567892"), item("B2", 350, "96385074")}}
	if err := ValidateCatalog(ok); err != nil {
		t.Fatalf("ValidateCatalog(good) = %v", err)
	}
	for name, tc := range map[string]struct {
		items []*syncproto.CatalogItem
		want  string
	}{
		"BadCheckDigit":  {[]*syncproto.CatalogItem{item("A1", 1, "6901234567893")}, "barcode"},
		"DuplicateSKU":   {[]*syncproto.CatalogItem{item("A1", 1), item("A1", 2)}, "listed twice"},
		"SharedBarcode":  {[]*syncproto.CatalogItem{item("A1", 1, "96385074"), item("B2", 1, "96385074")}, "already belongs"},
		"NegativePrice":  {[]*syncproto.CatalogItem{item("A1", -1)}, "price_fen"},
		"BadSKU":         {[]*syncproto.CatalogItem{item("A 1", 1)}, "sku"},
		"MemberAbovePrc": {[]*syncproto.CatalogItem{{Sku: "A1", Name: "x", PriceFen: 100, MemberPriceFen: 200}}, "member_price_fen"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			err := ValidateCatalog(&syncproto.CatalogContent{Upserts: tc.items})
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ValidateCatalog = %v; want EINVALID naming %q", err, tc.want)
			}
		})
	}
}

func TestDiffCatalog(t *testing.T) {
	old := &syncproto.CatalogContent{Upserts: []*syncproto.CatalogItem{item("A", 100), item("B", 200), item("C", 300)}}
	next := &syncproto.CatalogContent{Upserts: []*syncproto.CatalogItem{item("A", 100), item("B", 250), item("D", 400)}}
	d := DiffCatalog(old, next)
	want := &syncproto.CatalogContent{Upserts: []*syncproto.CatalogItem{item("B", 250), item("D", 400)}, RemovedSkus: []string{"C"}}
	if !proto.Equal(d, want) {
		t.Fatalf("DiffCatalog = %v; want %v", d, want)
	}
	if d := DiffCatalog(next, next); len(d.GetUpserts())+len(d.GetRemovedSkus()) != 0 {
		t.Fatalf("diff of equal catalogs = %v; want empty", d)
	}
}

func TestBlockCards(t *testing.T) {
	lost := &syncproto.CardBlock{Card: "8800000000017", Reason: "lost"}
	next, delta, err := BlockCards(nil, []*syncproto.CardBlock{lost}, false)
	if err != nil || len(next.GetBlocked()) != 1 || len(delta.GetBlocked()) != 1 {
		t.Fatalf("block = %v, %v, %v", next, delta, err)
	}
	// Blocking again changes nothing; unblocking lifts it.
	if _, delta, _ := BlockCards(next, []*syncproto.CardBlock{lost}, false); len(delta.GetBlocked()) != 0 {
		t.Fatalf("re-block delta = %v; want empty", delta)
	}
	after, delta, err := BlockCards(next, []*syncproto.CardBlock{{Card: lost.Card}}, true)
	if err != nil || len(after.GetBlocked()) != 0 || len(delta.GetUnblocked()) != 1 {
		t.Fatalf("unblock = %v, %v, %v", after, delta, err)
	}
	if _, _, err := BlockCards(nil, []*syncproto.CardBlock{{Card: "88-00"}}, false); ErrorCode(err) != EINVALID {
		t.Fatalf("bad card number: %v; want EINVALID", err)
	}
}

func TestCatchUp(t *testing.T) {
	content := &syncproto.StreamContent{Content: &syncproto.StreamContent_Catalog{Catalog: &syncproto.CatalogContent{}}}
	versions := func(from, to uint64) []*StreamVersion {
		var out []*StreamVersion
		for v := from; v <= to; v++ {
			out = append(out, &StreamVersion{Stream: syncproto.StreamCatalog, Version: v, Delta: content})
		}
		return out
	}
	latest := &StreamVersion{Stream: syncproto.StreamCatalog, Version: 8, Delta: content, Snapshot: content}
	t.Run("OKDeltasWithinWindow", func(t *testing.T) {
		ups := CatchUp(5, latest, versions(6, 8), 3)
		if len(ups) != 3 || ups[0].BaseVersion != 5 || ups[2].Version != 8 || ups[0].Snapshot {
			t.Fatalf("CatchUp = %+v; want deltas 6..8", ups)
		}
	})
	t.Run("OKSnapshotPastWindow", func(t *testing.T) {
		ups := CatchUp(4, latest, versions(5, 7), 3)
		if len(ups) != 1 || !ups[0].Snapshot || ups[0].Version != 8 {
			t.Fatalf("CatchUp = %+v; want the snapshot", ups)
		}
	})
	t.Run("OKSnapshotForNewStore", func(t *testing.T) {
		if ups := CatchUp(0, latest, versions(1, 8), 10); len(ups) != 1 || !ups[0].Snapshot {
			t.Fatalf("CatchUp(0) = %+v; want the snapshot", ups)
		}
	})
	t.Run("OKNothingWhenCurrent", func(t *testing.T) {
		if ups := CatchUp(8, latest, nil, 10); ups != nil {
			t.Fatalf("CatchUp(current) = %+v; want none", ups)
		}
	})
}
