package central

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/tillsync/tillsync/syncproto"
)

// maxPolicyDocument bounds a policy document: a policy is a page of YAML.
const maxPolicyDocument = 1 << 20

// PublishCatalog checks catalog and stores it as the next catalog version,
// with the delta from the version before; the instances broadcast it to
// every store. An unchanged catalog publishes nothing and returns the
// version held (nil if none).
func PublishCatalog(ctx context.Context, ds Downstreams, catalog *syncproto.CatalogContent, now time.Time) (*StreamVersion, error) {
	if err := ValidateCatalog(catalog); err != nil {
		return nil, err
	}
	whole := &syncproto.StreamContent{Content: &syncproto.StreamContent_Catalog{Catalog: catalog}}
	return appendChange(ctx, ds, syncproto.StreamCatalog, now, func(latest *StreamVersion) (*StreamVersion, bool) {
		if latest == nil {
			return &StreamVersion{Delta: whole, Snapshot: whole, DeltaIsWhole: true}, true
		}
		d := DiffCatalog(latest.Snapshot.GetCatalog(), catalog)
		if len(d.GetUpserts()) == 0 && len(d.GetRemovedSkus()) == 0 {
			return nil, false
		}
		return &StreamVersion{Delta: &syncproto.StreamContent{Content: &syncproto.StreamContent_Catalog{Catalog: d}}, Snapshot: whole}, true
	})
}

// PublishPolicy stores a policy document (format "yaml", the file
// tillsync-agent policy load reads) as the next policy version. Central
// does not interpret it: each agent parses it as it parses its local file
// and keeps its current policy when the document does not parse.
func PublishPolicy(ctx context.Context, ds Downstreams, format string, doc []byte, now time.Time) (*StreamVersion, error) {
	switch {
	case format != "yaml":
		return nil, Errorf(EINVALID, "policy format %q: stores read yaml", format)
	case len(doc) == 0 || len(doc) > maxPolicyDocument || !utf8.Valid(doc):
		return nil, Errorf(EINVALID, "policy document must be UTF-8 text of 1 byte to %d bytes", maxPolicyDocument)
	}
	whole := &syncproto.StreamContent{Content: &syncproto.StreamContent_Policy{Policy: &syncproto.PolicyContent{Format: format, Document: doc}}}
	return appendChange(ctx, ds, syncproto.StreamPolicy, now, func(*StreamVersion) (*StreamVersion, bool) {
		return &StreamVersion{Delta: whole, Snapshot: whole, DeltaIsWhole: true}, true
	})
}

// ChangeCardBlocks blocks cards (or lifts their blocks with unblock) in
// the chain-wide block list, as the next card_blocks version. Cards
// already in the state asked for change nothing; when none changes, no
// version is added and the version held is returned.
func ChangeCardBlocks(ctx context.Context, ds Downstreams, cards []*syncproto.CardBlock, unblock bool, now time.Time) (*StreamVersion, error) {
	var bad error
	v, err := appendChange(ctx, ds, syncproto.StreamCardBlocks, now, func(latest *StreamVersion) (*StreamVersion, bool) {
		var old *syncproto.CardBlocksContent
		if latest != nil {
			old = latest.Snapshot.GetCardBlocks()
		}
		next, delta, err := BlockCards(old, cards, unblock)
		if err != nil {
			bad = err
			return nil, false
		}
		if len(delta.GetBlocked()) == 0 && len(delta.GetUnblocked()) == 0 {
			return nil, false
		}
		wrap := func(c *syncproto.CardBlocksContent) *syncproto.StreamContent {
			return &syncproto.StreamContent{Content: &syncproto.StreamContent_CardBlocks{CardBlocks: c}}
		}
		if latest == nil {
			return &StreamVersion{Delta: wrap(next), Snapshot: wrap(next), DeltaIsWhole: true}, true
		}
		return &StreamVersion{Delta: wrap(delta), Snapshot: wrap(next)}, true
	})
	if bad != nil {
		return nil, bad
	}
	return v, err
}

// errUnchanged aborts an append that would change nothing.
var errUnchanged = Errorf(ECONFLICT, "unchanged")

// appendChange appends the version change computes from the latest, or
// returns the latest when change reports nothing to publish. It retries a
// lost race between instances a few times.
func appendChange(ctx context.Context, ds Downstreams, stream string, now time.Time,
	change func(latest *StreamVersion) (*StreamVersion, bool)) (*StreamVersion, error) {
	var err error
	for range 5 {
		var held *StreamVersion
		var v *StreamVersion
		v, err = ds.AppendStreamVersion(ctx, stream, now, func(latest *StreamVersion) (*StreamVersion, error) {
			held = latest
			next, ok := change(latest)
			if !ok {
				return nil, errUnchanged
			}
			return next, nil
		})
		if errors.Is(err, errUnchanged) {
			return held, nil
		}
		if ErrorCode(err) != ECONFLICT {
			return v, err
		}
	}
	return nil, err
}
