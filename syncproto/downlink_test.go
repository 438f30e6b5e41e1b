package syncproto

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"
)

// bigCatalog returns a catalog update of n products, big enough for
// several chunks when n is in the thousands.
func bigCatalog(n int) *StreamContent {
	items := make([]*CatalogItem, n)
	for i := range items {
		items[i] = &CatalogItem{
			Sku: fmt.Sprintf("SKU-%06d", i), Barcodes: []string{fmt.Sprintf("69%011d", i)},
			Name: fmt.Sprintf("product number %d with a longer receipt name", i), Category: "grocery",
			PriceFen: int64(100 + i), PointsEligible: i%3 != 0,
		}
	}
	return &StreamContent{Content: &StreamContent_Catalog{Catalog: &CatalogContent{Upserts: items}}}
}

func TestChunkUpdate_Assembler(t *testing.T) {
	t.Run("OKSingleChunk", func(t *testing.T) {
		u := Update{Stream: StreamCardBlocks, Version: 3, BaseVersion: 2, Content: &StreamContent{
			Content: &StreamContent_CardBlocks{CardBlocks: &CardBlocksContent{Blocked: []*CardBlock{{Card: "8800000000017", Reason: "lost"}}}}}}
		msgs, err := ChunkUpdate("demo", 1, u)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("ChunkUpdate = %d msgs, %v; want 1, nil", len(msgs), err)
		}
		var a Assembler
		got, err := a.Add(roundTripDownlink(t, msgs[0]).GetChunk())
		if err != nil || got == nil {
			t.Fatalf("Add = %v, %v", got, err)
		}
		if got.Version != 3 || got.BaseVersion != 2 || got.Snapshot || !proto.Equal(got.Content, u.Content) {
			t.Fatalf("assembled %+v, want %+v", got, u)
		}
	})
	t.Run("OKManyChunksShuffledAndRepeated", func(t *testing.T) {
		content := bigCatalog(20000)
		msgs, err := ChunkUpdate("demo", 1, Update{Stream: StreamCatalog, Version: 9, Snapshot: true, Content: content})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) < 4 {
			t.Fatalf("%d chunks; want several for a big catalog", len(msgs))
		}
		for _, m := range msgs {
			if n := len(m.GetChunk().GetData()); n > MaxChunkData {
				t.Fatalf("chunk of %d bytes, limit %d", n, MaxChunkData)
			}
		}
		order := rand.New(rand.NewPCG(1, 2)).Perm(len(msgs))
		order = append(order, order[0], order[1]) // redelivered chunks
		var a Assembler
		var got *Update
		for i, k := range order {
			u, err := a.Add(roundTripDownlink(t, msgs[k]).GetChunk())
			if err != nil {
				t.Fatal(err)
			}
			if u != nil {
				if got != nil {
					t.Fatalf("update completed twice")
				}
				if i != len(msgs)-1 {
					t.Fatalf("completed after %d of %d chunks", i+1, len(msgs))
				}
				got = u
			}
		}
		if got == nil || !proto.Equal(got.Content, content) || !got.Snapshot {
			t.Fatal("big catalog did not assemble to what was sent")
		}
	})
	t.Run("OKHalfUpdateYieldsNothing", func(t *testing.T) {
		msgs, err := ChunkUpdate("demo", 1, Update{Stream: StreamCatalog, Version: 2, Snapshot: true, Content: bigCatalog(20000)})
		if err != nil {
			t.Fatal(err)
		}
		var a Assembler
		for _, m := range msgs[:len(msgs)/2] {
			if u, err := a.Add(m.GetChunk()); u != nil || err != nil {
				t.Fatalf("half an update gave %v, %v", u, err)
			}
		}
		// A newer update starts over; the half one is forgotten.
		small, err := ChunkUpdate("demo", 1, Update{Stream: StreamCatalog, Version: 3, Snapshot: true, Content: bigCatalog(3)})
		if err != nil {
			t.Fatal(err)
		}
		if u, err := a.Add(small[0].GetChunk()); err != nil || u == nil || u.Version != 3 {
			t.Fatalf("newer update = %v, %v", u, err)
		}
		if len(a.open) != 0 {
			t.Fatalf("assembler holds %d updates after completing", len(a.open))
		}
	})
	t.Run("ErrDigestMismatch", func(t *testing.T) {
		msgs, err := ChunkUpdate("demo", 1, Update{Stream: StreamPolicy, Version: 1, Snapshot: true,
			Content: &StreamContent{Content: &StreamContent_Policy{Policy: &PolicyContent{Format: "yaml", Document: []byte("earn: {}")}}}})
		if err != nil {
			t.Fatal(err)
		}
		c := proto.Clone(msgs[0].GetChunk()).(*StreamChunk)
		c.Data[len(c.Data)-1] ^= 1
		var a Assembler
		if _, err := a.Add(c); !errors.Is(err, ErrMalformed) {
			t.Fatalf("Add of a tampered chunk = %v; want ErrMalformed", err)
		}
	})
	t.Run("ErrContentOfAnotherStream", func(t *testing.T) {
		msgs, err := ChunkUpdate("demo", 1, Update{Stream: StreamPolicy, Version: 1, Snapshot: true, Content: bigCatalog(1)})
		if err == nil {
			var a Assembler
			_, err = a.Add(msgs[0].GetChunk())
		}
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("catalog content on the policy stream = %v; want ErrMalformed", err)
		}
	})
}

func TestValidateChunk(t *testing.T) {
	good := func() *StreamChunk {
		return &StreamChunk{Stream: StreamCatalog, Version: 2, BaseVersion: 1, Index: 0, Count: 1,
			ContentSha256: make([]byte, 32), ContentSize: 10, Data: make([]byte, 10)}
	}
	if err := ValidateChunk(good()); err != nil {
		t.Fatalf("good chunk: %v", err)
	}
	for name, edit := range map[string]func(c *StreamChunk){
		"UnknownStream":   func(c *StreamChunk) { c.Stream = "prices" },
		"VersionZero":     func(c *StreamChunk) { c.Version = 0 },
		"DeltaNotNewer":   func(c *StreamChunk) { c.BaseVersion = 2 },
		"IndexPastCount":  func(c *StreamChunk) { c.Index = 1 },
		"NoCount":         func(c *StreamChunk) { c.Count = 0 },
		"ShortDigest":     func(c *StreamChunk) { c.ContentSha256 = c.ContentSha256[:4] },
		"HugeSize":        func(c *StreamChunk) { c.ContentSize = MaxUpdateSize + 1; c.Count = 257 },
		"CountSizeDiffer": func(c *StreamChunk) { c.Count = 5 },
		"DataTooLong":     func(c *StreamChunk) { c.Data = make([]byte, MaxChunkData+1) },
	} {
		t.Run("Err"+name, func(t *testing.T) {
			c := good()
			edit(c)
			if err := ValidateChunk(c); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ValidateChunk = %v; want ErrMalformed", err)
			}
		})
	}
}

func roundTripDownlink(t *testing.T, d *Downlink) *Downlink {
	t.Helper()
	b, err := EncodeDownlink(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeDownlink(b)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// FuzzDecodeDownlink: any bytes either fail to decode or give a chunk the
// assembler takes without panicking.
func FuzzDecodeDownlink(f *testing.F) {
	msgs, err := ChunkUpdate("demo", 1, Update{Stream: StreamCatalog, Version: 2, BaseVersion: 1, Content: bigCatalog(3)})
	if err != nil {
		f.Fatal(err)
	}
	b, err := EncodeDownlink(msgs[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, g := range garbage {
		f.Add(g)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeDownlink(data)
		if err != nil {
			if d != nil {
				t.Fatal("decode error with a message")
			}
			return
		}
		var a Assembler
		if u, err := a.Add(d.GetChunk()); u != nil && err != nil {
			t.Fatal("assembler returned an update and an error")
		}
	})
}
