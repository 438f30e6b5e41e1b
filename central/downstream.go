package central

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tillsync/tillsync/drivers/barcode"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// StreamVersion is one version of a downstream stream (DESIGN §5 rule 4),
// chain-wide or, under a StoreStream key, one store's: the delta from the
// version before it and, for the latest versions, the whole content.
type StreamVersion struct {
	Stream  string // a chain-wide stream name or a StoreStream key
	Version uint64
	// Delta takes a store from Version-1 to Version; for version 1, and
	// for streams whose every version is whole (policy), it is the whole
	// content.
	Delta *syncproto.StreamContent
	// Snapshot is the whole content at Version; nil for versions whose
	// snapshot was pruned (only the latest is needed to catch a store up).
	Snapshot *syncproto.StreamContent
	// DeltaIsWhole: Delta replaces everything (policy; version 1).
	DeltaIsWhole bool
	CreatedAt    time.Time
	// Broadcast is when a central instance published the version to
	// every store; zero until then.
	Broadcast time.Time
}

// Downstreams stores the streams central sends to stores; stream is a
// chain-wide stream name or a StoreStream key.
// Implementations are safe for concurrent use, also by several central
// processes sharing one database.
type Downstreams interface {
	// AppendStreamVersion adds the next version of stream in one
	// transaction: next is given the latest version (nil when there is
	// none) and returns the new version's delta, snapshot and whether the
	// delta is whole; the store numbers it latest+1. next returning an
	// error aborts with nothing written. Two appends racing on one stream
	// never both win: the loser fails with ECONFLICT and may retry.
	AppendStreamVersion(ctx context.Context, stream string, now time.Time,
		next func(latest *StreamVersion) (*StreamVersion, error)) (*StreamVersion, error)
	// LatestStreamVersion returns the newest version of stream with its
	// snapshot, or nil when the stream has none.
	LatestStreamVersion(ctx context.Context, stream string) (*StreamVersion, error)
	// StreamDeltas returns the versions of stream after `after`, oldest
	// first, at most limit of them, without snapshots.
	StreamDeltas(ctx context.Context, stream string, after uint64, limit int) ([]*StreamVersion, error)
	// UnbroadcastVersions returns versions of every stream not yet marked
	// broadcast, oldest first, without snapshots.
	UnbroadcastVersions(ctx context.Context, limit int) ([]*StreamVersion, error)
	// MarkBroadcast records that stream's version was published to all
	// stores. Marking twice is harmless.
	MarkBroadcast(ctx context.Context, stream string, version uint64, at time.Time) error
}

// Streams are the chain-wide streams central publishes, in the order a
// catch-up sends them.
var Streams = []string{syncproto.StreamPolicy, syncproto.StreamCatalog, syncproto.StreamCardBlocks, syncproto.StreamCentralKey}

// StoreStreams are the per-store streams, sent on one store's down topic
// only; central keeps each store's versions under StoreStream(name, store).
var StoreStreams = []string{syncproto.StreamEnroll, syncproto.StreamMembers}

// StoreStream is the key central stores store's versions of the per-store
// stream name under: name/store. Store ids are MQTT topic levels and
// never hold '/', so the key splits back unambiguously (SplitStream),
// and every store numbers its own versions from 1.
func StoreStream(name, store string) string { return name + "/" + store }

// SplitStream returns the wire stream name and, for a per-store stream
// key, the store; store is "" for a chain-wide stream.
func SplitStream(key string) (name, store string) {
	name, store, _ = strings.Cut(key, "/")
	return name, store
}

// skuPattern is the SKU form stores accept (agent/importfile).
var skuPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

const (
	maxNameLen      = 200
	maxCategoryLen  = 64
	maxPriceFen     = 100_000_000 // ¥1,000,000 for one unit: a typo, not a price
	maxMultiplier   = 10_000
	maxReasonLength = 200
)

// ValidateCatalog checks a whole catalog before central publishes it:
// SKUs well-formed and unique; names, categories and prices within what a
// till accepts; barcodes valid GTINs (check digit included, GS1 General
// Specifications §7.9) and each on one product only. It fails with an
// EINVALID *Error listing up to 20 problems by SKU.
func ValidateCatalog(c *syncproto.CatalogContent) error {
	var problems []string
	bad := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	skus := map[string]bool{}
	owner := map[string]string{}
	for i, it := range c.GetUpserts() {
		sku := it.GetSku()
		switch {
		case !skuPattern.MatchString(sku):
			bad("product %d: sku %q must be 1 to 64 letters, digits, '.', '_' or '-'", i+1, sku)
		case skus[sku]:
			bad("sku %s: listed twice", sku)
		}
		skus[sku] = true
		if n := it.GetName(); n == "" || len(n) > maxNameLen || !utf8.ValidString(n) {
			bad("sku %s: name must be valid text of 1 to %d bytes", sku, maxNameLen)
		}
		if len(it.GetCategory()) > maxCategoryLen || !utf8.ValidString(it.GetCategory()) {
			bad("sku %s: category must be valid text of at most %d bytes", sku, maxCategoryLen)
		}
		if p := it.GetPriceFen(); p < 0 || p > maxPriceFen {
			bad("sku %s: price_fen %d out of range 0..%d", sku, p, maxPriceFen)
		}
		if mp := it.GetMemberPriceFen(); mp < 0 || (mp > it.GetPriceFen() && it.GetPriceFen() > 0) {
			bad("sku %s: member_price_fen %d must be 0 (none) or at most the price %d", sku, mp, it.GetPriceFen())
		}
		if m := it.GetPointsMultiplier(); m < 0 || m > maxMultiplier {
			bad("sku %s: points_multiplier %d out of range 0..%d", sku, m, maxMultiplier)
		}
		if it.GetItemCode() < 0 {
			bad("sku %s: item_code %d is negative", sku, it.GetItemCode())
		}
		for _, bc := range it.GetBarcodes() {
			if err := barcode.ValidGTIN(bc); err != nil {
				bad("sku %s: barcode %q: %v", sku, bc, err)
				continue
			}
			g := strings.Repeat("0", 14-len(bc)) + bc
			if o, dup := owner[g]; dup && o != sku {
				bad("sku %s: barcode %s already belongs to sku %s", sku, bc, o)
			}
			owner[g] = sku
		}
	}
	if len(problems) > 0 {
		return Errorf(EINVALID, "catalog has problems: %s", strings.Join(problems, "; "))
	}
	return nil
}

// DiffCatalog returns the delta that takes a store from old to next:
// products new or changed in next, and SKUs next no longer lists.
func DiffCatalog(old, next *syncproto.CatalogContent) *syncproto.CatalogContent {
	before := make(map[string]*syncproto.CatalogItem, len(old.GetUpserts()))
	for _, it := range old.GetUpserts() {
		before[it.GetSku()] = it
	}
	d := &syncproto.CatalogContent{}
	for _, it := range next.GetUpserts() {
		if prev, ok := before[it.GetSku()]; !ok || !proto.Equal(prev, it) {
			d.Upserts = append(d.Upserts, it)
		}
		delete(before, it.GetSku())
	}
	for sku := range before {
		d.RemovedSkus = append(d.RemovedSkus, sku)
	}
	slices.Sort(d.RemovedSkus)
	return d
}

// BlockCards returns the card block list after blocking cards (blocked)
// or lifting their blocks (unblock), and the delta between the two; a
// card already in the state asked for is left out of the delta.
func BlockCards(old *syncproto.CardBlocksContent, change []*syncproto.CardBlock, unblock bool) (next, delta *syncproto.CardBlocksContent, err error) {
	held := make(map[string]*syncproto.CardBlock, len(old.GetBlocked()))
	for _, b := range old.GetBlocked() {
		held[b.GetCard()] = b
	}
	delta = &syncproto.CardBlocksContent{}
	for _, b := range change {
		if err := checkBlockedCard(b); err != nil {
			return nil, nil, err
		}
		_, was := held[b.GetCard()]
		switch {
		case unblock && was:
			delete(held, b.GetCard())
			delta.Unblocked = append(delta.Unblocked, b.GetCard())
		case !unblock && !was:
			held[b.GetCard()] = b
			delta.Blocked = append(delta.Blocked, b)
		}
	}
	next = &syncproto.CardBlocksContent{Blocked: make([]*syncproto.CardBlock, 0, len(held))}
	for _, b := range held {
		next.Blocked = append(next.Blocked, b)
	}
	slices.SortFunc(next.Blocked, func(a, b *syncproto.CardBlock) int { return strings.Compare(a.GetCard(), b.GetCard()) })
	return next, delta, nil
}

// cardPattern is the card number form stores accept.
var cardPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

func checkBlockedCard(b *syncproto.CardBlock) error {
	if !cardPattern.MatchString(b.GetCard()) {
		return Errorf(EINVALID, "card number must be 1 to 32 letters or digits")
	}
	if r := b.GetReason(); len(r) > maxReasonLength || !utf8.ValidString(r) || strings.ContainsRune(r, 0) {
		return Errorf(EINVALID, "block reason must be valid text of at most %d bytes", maxReasonLength)
	}
	return nil
}

// CatchUp returns the updates that bring a store holding version held of
// a stream to latest: the deltas when there are at most window of them
// and all are kept, else the latest snapshot. deltas are the versions
// after held as StreamDeltas returns them.
func CatchUp(held uint64, latest *StreamVersion, deltas []*StreamVersion, window int) []syncproto.Update {
	if latest == nil || held >= latest.Version {
		return nil
	}
	n := latest.Version - held
	if held > 0 && n <= uint64(window) && uint64(len(deltas)) == n && !anyWhole(deltas) {
		out := make([]syncproto.Update, 0, len(deltas))
		for _, d := range deltas {
			out = append(out, syncproto.Update{Stream: wireName(d.Stream), Version: d.Version, BaseVersion: d.Version - 1, Content: d.Delta})
		}
		return out
	}
	return []syncproto.Update{{Stream: wireName(latest.Stream), Version: latest.Version, Snapshot: true, Content: latest.Snapshot}}
}

func anyWhole(vs []*StreamVersion) bool {
	return slices.ContainsFunc(vs, func(v *StreamVersion) bool { return v.DeltaIsWhole })
}

// BroadcastUpdate is the update that publishes version v to the stores it
// is for (every store, or the one store of a per-store stream key).
func BroadcastUpdate(v *StreamVersion) syncproto.Update {
	if v.DeltaIsWhole {
		return syncproto.Update{Stream: wireName(v.Stream), Version: v.Version, Snapshot: true, Content: v.Delta}
	}
	return syncproto.Update{Stream: wireName(v.Stream), Version: v.Version, BaseVersion: v.Version - 1, Content: v.Delta}
}

func wireName(key string) string {
	name, _ := SplitStream(key)
	return name
}

// EncodeContent and DecodeContent store stream content in the database.
func EncodeContent(c *syncproto.StreamContent) ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode stream content: %w", err)
	}
	return b, nil
}

// DecodeContent is EncodeContent's inverse; nil bytes give nil content.
func DecodeContent(b []byte) (*syncproto.StreamContent, error) {
	if b == nil {
		return nil, nil
	}
	var c syncproto.StreamContent
	if err := proto.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode stream content: %w", err)
	}
	return &c, nil
}

// StreamVersionFromRow builds a StreamVersion from its database columns
// (snapshot nil when pruned, broadcastMs 0 when not yet broadcast).
func StreamVersionFromRow(stream string, version uint64, delta []byte, whole bool, snapshot []byte, createdMs, broadcastMs int64) (*StreamVersion, error) {
	v := &StreamVersion{Stream: stream, Version: version, DeltaIsWhole: whole, CreatedAt: time.UnixMilli(createdMs).UTC()}
	if broadcastMs != 0 {
		v.Broadcast = time.UnixMilli(broadcastMs).UTC()
	}
	var err error
	if v.Delta, err = DecodeContent(delta); err != nil {
		return nil, fmt.Errorf("%s version %d: %w", stream, version, err)
	}
	if v.Snapshot, err = DecodeContent(snapshot); err != nil {
		return nil, fmt.Errorf("%s version %d: %w", stream, version, err)
	}
	return v, nil
}

// NextStreamVersion runs next on the latest version of stream (nil when
// none) and numbers what it returns latest+1, created at now; it returns
// the new version with its delta and snapshot encoded for the database.
// Every store's AppendStreamVersion calls it inside its transaction.
func NextStreamVersion(stream string, latest *StreamVersion, now time.Time,
	next func(*StreamVersion) (*StreamVersion, error)) (v *StreamVersion, delta, snapshot []byte, err error) {
	if v, err = next(latest); err != nil {
		return nil, nil, nil, err
	}
	v.Stream, v.Version, v.CreatedAt = stream, 1, now
	if latest != nil {
		v.Version = latest.Version + 1
	}
	if delta, err = EncodeContent(v.Delta); err != nil {
		return nil, nil, nil, err
	}
	if snapshot, err = EncodeContent(v.Snapshot); err != nil {
		return nil, nil, nil, err
	}
	return v, delta, snapshot, nil
}
