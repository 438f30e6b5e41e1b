package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

func catalogContent(skus ...string) *syncproto.StreamContent {
	c := &syncproto.CatalogContent{}
	for _, s := range skus {
		c.Upserts = append(c.Upserts, &syncproto.CatalogItem{Sku: s, Name: s, PriceFen: 100})
	}
	return &syncproto.StreamContent{Content: &syncproto.StreamContent_Catalog{Catalog: c}}
}

// appendCatalog appends a catalog version whose snapshot lists skus.
func appendCatalog(t *testing.T, d central.Downstreams, skus ...string) *central.StreamVersion {
	t.Helper()
	v, err := d.AppendStreamVersion(context.Background(), syncproto.StreamCatalog, receivedAt,
		func(latest *central.StreamVersion) (*central.StreamVersion, error) {
			return &central.StreamVersion{Delta: catalogContent(skus...), Snapshot: catalogContent(skus...), DeltaIsWhole: latest == nil}, nil
		})
	if err != nil {
		t.Fatalf("AppendStreamVersion: %v", err)
	}
	return v
}

func downstreams(t *testing.T, open Opener) central.Downstreams {
	s := open(t)
	d, ok := s.(central.Downstreams)
	if !ok {
		t.Fatalf("%T does not implement central.Downstreams", s)
	}
	return d
}

func testDownstreams(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("EnrollBlocks", func(t *testing.T) { testEnrollBlocks(t, open) })
	t.Run("MembersStream", func(t *testing.T) { testMembersStream(t, open) })
	t.Run("OKVersionsAndSnapshots", func(t *testing.T) {
		d := downstreams(t, open)
		if v, err := d.LatestStreamVersion(ctx, syncproto.StreamCatalog); err != nil || v != nil {
			t.Fatalf("latest of an empty stream = %+v, %v; want nil, nil", v, err)
		}
		for i, skus := range [][]string{{"A"}, {"A", "B"}, {"B", "C"}} {
			if v := appendCatalog(t, d, skus...); v.Version != uint64(i+1) {
				t.Fatalf("version %d appended as %d", i+1, v.Version)
			}
		}
		latest, err := d.LatestStreamVersion(ctx, syncproto.StreamCatalog)
		if err != nil || latest.Version != 3 || !proto.Equal(latest.Snapshot, catalogContent("B", "C")) {
			t.Fatalf("latest = %+v, %v; want version 3 with its snapshot", latest, err)
		}
		deltas, err := d.StreamDeltas(ctx, syncproto.StreamCatalog, 1, 10)
		if err != nil || len(deltas) != 2 || deltas[0].Version != 2 || deltas[1].Version != 3 {
			t.Fatalf("deltas after 1 = %+v, %v; want versions 2 and 3", deltas, err)
		}
		if !proto.Equal(deltas[0].Delta, catalogContent("A", "B")) || deltas[0].DeltaIsWhole {
			t.Fatalf("delta 2 = %+v", deltas[0])
		}
		if other, err := d.LatestStreamVersion(ctx, syncproto.StreamPolicy); err != nil || other != nil {
			t.Fatalf("another stream = %+v, %v; want none", other, err)
		}
	})
	t.Run("ErrNextAbortsWithNothingWritten", func(t *testing.T) {
		d := downstreams(t, open)
		appendCatalog(t, d, "A")
		boom := errors.New("bad catalog")
		_, err := d.AppendStreamVersion(ctx, syncproto.StreamCatalog, receivedAt, func(*central.StreamVersion) (*central.StreamVersion, error) {
			return nil, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("AppendStreamVersion = %v; want the callback's error", err)
		}
		if v, err := d.LatestStreamVersion(ctx, syncproto.StreamCatalog); err != nil || v.Version != 1 || v.Snapshot == nil {
			t.Fatalf("latest after an aborted append = %+v, %v; want version 1 with its snapshot", v, err)
		}
	})
	t.Run("OKBroadcastMarks", func(t *testing.T) {
		d := downstreams(t, open)
		appendCatalog(t, d, "A")
		appendCatalog(t, d, "B")
		pending, err := d.UnbroadcastVersions(ctx, 10)
		if err != nil || len(pending) != 2 {
			t.Fatalf("unbroadcast = %+v, %v; want 2", pending, err)
		}
		at := receivedAt.Add(time.Minute)
		for range 2 { // marking twice is harmless
			if err := d.MarkBroadcast(ctx, syncproto.StreamCatalog, 1, at); err != nil {
				t.Fatal(err)
			}
		}
		pending, err = d.UnbroadcastVersions(ctx, 10)
		if err != nil || len(pending) != 1 || pending[0].Version != 2 {
			t.Fatalf("unbroadcast after marking 1 = %+v, %v; want version 2", pending, err)
		}
	})
	t.Run("OKConcurrentAppendsNumberedOnce", func(t *testing.T) {
		d := downstreams(t, open)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				for {
					_, err := d.AppendStreamVersion(ctx, syncproto.StreamCatalog, receivedAt,
						func(latest *central.StreamVersion) (*central.StreamVersion, error) {
							return &central.StreamVersion{Delta: catalogContent("A"), Snapshot: catalogContent("A")}, nil
						})
					if central.ErrorCode(err) == central.ECONFLICT {
						continue // lost the race: try again on the new latest
					}
					errs <- err
					return
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		deltas, err := d.StreamDeltas(ctx, syncproto.StreamCatalog, 0, 100)
		if err != nil || len(deltas) != 8 {
			t.Fatalf("%d versions after 8 appends, %v", len(deltas), err)
		}
		for i, v := range deltas {
			if v.Version != uint64(i+1) {
				t.Fatalf("versions %+v are not 1..8", deltas)
			}
		}
	})
	t.Run("OKPublishCatalogAndBlocks", func(t *testing.T) {
		d := downstreams(t, open)
		cat := func(prices ...int64) *syncproto.CatalogContent {
			c := &syncproto.CatalogContent{}
			for i, p := range prices {
				c.Upserts = append(c.Upserts, &syncproto.CatalogItem{Sku: string(rune('A' + i)), Name: "x", PriceFen: p})
			}
			return c
		}
		if v, err := central.PublishCatalog(ctx, d, cat(100, 200), receivedAt); err != nil || v.Version != 1 || !v.DeltaIsWhole {
			t.Fatalf("first catalog = %+v, %v", v, err)
		}
		v, err := central.PublishCatalog(ctx, d, cat(100, 250, 300), receivedAt)
		if err != nil || v.Version != 2 || v.DeltaIsWhole || len(v.Delta.GetCatalog().GetUpserts()) != 2 {
			t.Fatalf("second catalog = %+v, %v; want a delta of B and C", v, err)
		}
		if v, err := central.PublishCatalog(ctx, d, cat(100, 250, 300), receivedAt); err != nil || v.Version != 2 {
			t.Fatalf("unchanged catalog = %+v, %v; want version 2 kept", v, err)
		}
		if _, err := central.PublishCatalog(ctx, d, cat(-1), receivedAt); central.ErrorCode(err) != central.EINVALID {
			t.Fatalf("bad catalog: %v; want EINVALID", err)
		}
		lost := []*syncproto.CardBlock{{Card: "8800000000017", Reason: "lost"}}
		if v, err := central.ChangeCardBlocks(ctx, d, lost, false, receivedAt); err != nil || v.Version != 1 {
			t.Fatalf("block = %+v, %v", v, err)
		}
		v, err = central.ChangeCardBlocks(ctx, d, lost, true, receivedAt)
		if err != nil || v.Version != 2 || len(v.Delta.GetCardBlocks().GetUnblocked()) != 1 || len(v.Snapshot.GetCardBlocks().GetBlocked()) != 0 {
			t.Fatalf("unblock = %+v, %v", v, err)
		}
		if v, err := central.PublishPolicy(ctx, d, "yaml", []byte("earn: {}"), receivedAt); err != nil || v.Version != 1 || !v.DeltaIsWhole {
			t.Fatalf("policy = %+v, %v", v, err)
		}
	})
}
