package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

var _ agent.Downstream = (*Ledger)(nil)

// checkStreamVersion enforces DESIGN §5 rule 4 inside an update: a
// snapshot must be newer than held, a delta must start at held.
func checkStreamVersion(stream string, held, version, base uint64, snapshot bool) error {
	switch {
	case version <= held:
		return agent.Errorf(agent.ECONFLICT, "%s version %d is not newer than %d", stream, version, held)
	case !snapshot && base != held:
		return agent.Errorf(agent.ECONFLICT, "%s delta %d→%d does not apply on version %d held", stream, base, version, held)
	}
	return nil
}

// ApplyCatalog applies a catalog update from central in one transaction.
// A snapshot replaces the catalog (see ReplaceCatalog); a delta removes
// and upserts products, keeping the barcode and item code indexes exact,
// and fails with EINVALID, changing nothing, when a barcode or item code
// would then belong to two products.
func (l *Ledger) ApplyCatalog(ctx context.Context, u agent.CatalogUpdate) error {
	if u.Snapshot {
		return l.ReplaceCatalog(ctx, u.Version, u.Upserts)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply catalog delta %d: %w", u.Version, err)
	}
	idx, err := indexCatalog(u.Upserts)
	if err != nil {
		return err
	}
	err = l.db.Update(func(tx *bbolt.Tx) error {
		held, err := metaVersion(tx, metaCatalogVer)
		if err != nil {
			return err
		}
		if err := checkStreamVersion("catalog", held, u.Version, u.Base, false); err != nil {
			return err
		}
		for _, sku := range u.Removed {
			if err := dropProduct(tx, sku); err != nil {
				return err
			}
		}
		for _, p := range u.Upserts {
			if err := dropProduct(tx, p.SKU); err != nil {
				return err
			}
		}
		if err := putIndexed(tx, idx); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaCatalogVer), u64(u.Version))
	})
	if err != nil {
		return wrapUncoded(err, "apply catalog delta %d→%d", u.Base, u.Version)
	}
	l.logger.Info("catalog delta applied", "version", u.Version, "upserts", len(u.Upserts), "removed", len(u.Removed))
	return nil
}

// dropProduct deletes sku and the barcodes and item code that point to
// it; a SKU not held is nothing to drop.
func dropProduct(tx *bbolt.Tx, sku string) error {
	products := tx.Bucket([]byte(bucketCatalog))
	var p agent.Product
	found, err := getJSON(products, []byte(sku), &p)
	if err != nil || !found {
		return err
	}
	barcodes := tx.Bucket([]byte(bucketCatalogBarcodes))
	for _, bc := range p.Barcodes {
		if g, ok := gtin14(bc); ok && string(barcodes.Get([]byte(g))) == sku {
			if err := barcodes.Delete([]byte(g)); err != nil {
				return fmt.Errorf("drop barcode %s: %w", g, err)
			}
		}
	}
	if p.ItemCode > 0 {
		items := tx.Bucket([]byte(bucketCatalogItems))
		if string(items.Get(u64(uint64(p.ItemCode)))) == sku {
			if err := items.Delete(u64(uint64(p.ItemCode))); err != nil {
				return fmt.Errorf("drop item code %d: %w", p.ItemCode, err)
			}
		}
	}
	return products.Delete([]byte(sku))
}

// putIndexed writes products of a delta, refusing a barcode or item code
// still held by another product.
func putIndexed(tx *bbolt.Tx, idx *catalogIndex) error {
	for _, set := range []struct {
		bucket, what string
		kvs          []kv
	}{{bucketCatalogBarcodes, "barcode", idx.barcodes}, {bucketCatalogItems, "item code", idx.items}} {
		b := tx.Bucket([]byte(set.bucket))
		for _, e := range set.kvs {
			if other := b.Get(e.k); other != nil && string(other) != string(e.v) {
				return agent.Errorf(agent.EINVALID, "a %s of SKU %s already belongs to SKU %s", set.what, e.v, other)
			}
			if err := b.Put(e.k, e.v); err != nil {
				return fmt.Errorf("put %s: %w", set.what, err)
			}
		}
	}
	products := tx.Bucket([]byte(bucketCatalog))
	for _, e := range idx.products {
		if err := products.Put(e.k, e.v); err != nil {
			return fmt.Errorf("put product %s: %w", e.k, err)
		}
	}
	return nil
}

// cardBlock is a card_blocks value.
type cardBlock struct {
	Reason      string `json:"reason"`
	BlockedAtMs int64  `json:"blocked_at_ms"`
}

// ApplyCardBlocks applies a card block update from central in one
// transaction: a snapshot replaces the list, a delta adds and lifts blocks.
func (l *Ledger) ApplyCardBlocks(ctx context.Context, u agent.CardBlocksUpdate) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply card blocks %d: %w", u.Version, err)
	}
	kvs := make([]kv, 0, len(u.Blocked))
	for _, b := range u.Blocked {
		if err := checkMemberCard(b.Card); err != nil {
			return err
		}
		raw, err := json.Marshal(cardBlock{Reason: b.Reason, BlockedAtMs: b.BlockedAt.UnixMilli()})
		if err != nil {
			return fmt.Errorf("encode card block: %w", err)
		}
		kvs = append(kvs, kv{[]byte(b.Card), raw})
	}
	err := l.db.Update(func(tx *bbolt.Tx) error {
		held, err := metaVersion(tx, metaCardBlocksVer)
		if err != nil {
			return err
		}
		if err := checkStreamVersion("card blocks", held, u.Version, u.Base, u.Snapshot); err != nil {
			return err
		}
		if u.Snapshot {
			if err := rebuildBucket(tx, bucketCardBlocks, kvs); err != nil {
				return err
			}
		} else if err := patchBucket(tx.Bucket([]byte(bucketCardBlocks)), kvs, u.Unblocked); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaCardBlocksVer), u64(u.Version))
	})
	if err != nil {
		return wrapUncoded(err, "apply card blocks %d", u.Version)
	}
	l.logger.Info("card blocks applied", "version", u.Version, "snapshot", u.Snapshot, "blocked", len(u.Blocked), "unblocked", len(u.Unblocked))
	return nil
}

func patchBucket(b *bbolt.Bucket, put []kv, del []string) error {
	for _, k := range del {
		if err := b.Delete([]byte(k)); err != nil {
			return fmt.Errorf("delete %s: %w", agent.MaskCard(k), err)
		}
	}
	for _, e := range put {
		if err := b.Put(e.k, e.v); err != nil {
			return fmt.Errorf("put %s: %w", agent.MaskCard(string(e.k)), err)
		}
	}
	return nil
}

// CardBlocksVersion returns the version of the card block list held, 0 if
// none.
func (l *Ledger) CardBlocksVersion(ctx context.Context) (uint64, error) {
	var v uint64
	err := l.view(ctx, "card blocks version", func(tx *bbolt.Tx) (err error) {
		v, err = metaVersion(tx, metaCardBlocksVer)
		return err
	})
	return v, err
}

// blockOf returns the chain-wide block of card, if any.
func blockOf(tx *bbolt.Tx, card string) (*cardBlock, error) {
	var b cardBlock
	found, err := getJSON(tx.Bucket([]byte(bucketCardBlocks)), []byte(card), &b)
	if err != nil || !found {
		return nil, err
	}
	return &b, nil
}
