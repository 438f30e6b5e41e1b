package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

var _ agent.Catalog = (*Ledger)(nil)

// ReplaceCatalog replaces the whole catalog with products at version, in
// one transaction: the catalog, barcode and item code buckets are dropped
// and rebuilt, and the version stored, so a till never sees half of two
// catalogs. Barcodes are stored as 14-digit GTINs (GS1 General
// Specifications §3.3.2: a GTIN-8, -12 or -13 is the GTIN-14 with leading
// zeros). It fails with ECONFLICT when version is not newer than the one
// held (downstream streams are versioned, DESIGN §5 rule 4) and with
// EINVALID for a product without a SKU, a SKU listed twice, a malformed
// barcode, or a barcode or item code claimed by two SKUs; then nothing
// changes.
func (l *Ledger) ReplaceCatalog(ctx context.Context, version uint64, products []agent.Product) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("replace catalog with version %d: %w", version, err)
	}
	idx, err := indexCatalog(products)
	if err != nil {
		return err
	}
	err = l.db.Update(func(tx *bbolt.Tx) error {
		held, err := metaVersion(tx, metaCatalogVer)
		if err != nil {
			return err
		}
		if version <= held {
			return agent.Errorf(agent.ECONFLICT, "catalog version %d is not newer than %d", version, held)
		}
		for name, kvs := range map[string][]kv{
			bucketCatalog: idx.products, bucketCatalogBarcodes: idx.barcodes, bucketCatalogItems: idx.items,
		} {
			if err := rebuildBucket(tx, name, kvs); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaCatalogVer), u64(version))
	})
	if err != nil {
		return wrapUncoded(err, "replace catalog with version %d", version)
	}
	l.logger.Info("catalog replaced", "version", version, "products", len(products))
	return nil
}

// catalogIndex is a catalog encoded for its three buckets.
type catalogIndex struct {
	products, barcodes, items []kv
}

// indexCatalog checks products and encodes them; see ReplaceCatalog.
func indexCatalog(products []agent.Product) (*catalogIndex, error) {
	idx := &catalogIndex{products: make([]kv, 0, len(products))}
	skus := make(map[string]bool, len(products))
	barcodeSKU := make(map[string]string, len(products))
	itemSKU := make(map[int64]string)
	for i, p := range products {
		switch {
		case p.SKU == "" || len(p.SKU) > maxKeyLen:
			return nil, agent.Errorf(agent.EINVALID, "catalog product %d: SKU must be 1 to %d characters", i+1, maxKeyLen)
		case skus[p.SKU]:
			return nil, agent.Errorf(agent.EINVALID, "catalog lists SKU %s twice", p.SKU)
		case p.ItemCode < 0:
			return nil, agent.Errorf(agent.EINVALID, "SKU %s has negative item code %d", p.SKU, p.ItemCode)
		}
		skus[p.SKU] = true
		for _, bc := range p.Barcodes {
			g, ok := gtin14(bc)
			if !ok {
				return nil, agent.Errorf(agent.EINVALID, "SKU %s has barcode %q, which is not an 8, 12, 13 or 14 digit GTIN", p.SKU, bc)
			}
			if other, dup := barcodeSKU[g]; dup && other != p.SKU {
				return nil, agent.Errorf(agent.EINVALID, "barcode %s belongs to both SKU %s and SKU %s", g, other, p.SKU)
			} else if !dup {
				barcodeSKU[g] = p.SKU
				idx.barcodes = append(idx.barcodes, kv{[]byte(g), []byte(p.SKU)})
			}
		}
		if p.ItemCode != 0 {
			if other, dup := itemSKU[p.ItemCode]; dup {
				return nil, agent.Errorf(agent.EINVALID, "item code %d belongs to both SKU %s and SKU %s", p.ItemCode, other, p.SKU)
			}
			itemSKU[p.ItemCode] = p.SKU
			idx.items = append(idx.items, kv{u64(uint64(p.ItemCode)), []byte(p.SKU)})
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode product %s: %w", p.SKU, err)
		}
		idx.products = append(idx.products, kv{[]byte(p.SKU), raw})
	}
	return idx, nil
}

// gtin14 returns a GTIN-8, -12, -13 or -14 as 14 digits (left-padded with
// zeros, GS1 General Specifications §3.3.2). The check digit is the
// scanner's to verify; the catalog matches what it is given.
func gtin14(s string) (string, bool) {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return strings.Repeat("0", 14-len(s)) + s, true
}

// ProductBySKU returns the product with sku, or an ENOTFOUND *Error.
func (l *Ledger) ProductBySKU(ctx context.Context, sku string) (*agent.Product, error) {
	var p *agent.Product
	err := l.view(ctx, "product "+sku, func(tx *bbolt.Tx) (err error) {
		p, err = productBySKU(tx, []byte(sku))
		if err == nil && p == nil {
			err = agent.Errorf(agent.ENOTFOUND, "SKU %s is not in the catalog; check the code or ask for the catalog to be updated", sku)
		}
		return err
	})
	return p, err
}

// ProductByBarcode returns the product a GTIN scans to, or an ENOTFOUND
// *Error. gtin is normally already 14 digits; a shorter GTIN is padded.
func (l *Ledger) ProductByBarcode(ctx context.Context, gtin string) (*agent.Product, error) {
	notFound := agent.Errorf(agent.ENOTFOUND, "barcode %s is not in the catalog; key the item in by SKU or call a supervisor", gtin)
	g, ok := gtin14(gtin)
	if !ok {
		return nil, notFound
	}
	return l.productVia(ctx, "barcode "+gtin, bucketCatalogBarcodes, []byte(g), notFound)
}

// ProductByItemCode returns the product with a restricted-circulation
// (scale label) item code, or an ENOTFOUND *Error.
func (l *Ledger) ProductByItemCode(ctx context.Context, code int64) (*agent.Product, error) {
	notFound := agent.Errorf(agent.ENOTFOUND, "scale item code %d is not in the catalog; check the scale's PLU setup or key the item in by SKU", code)
	if code <= 0 {
		return nil, notFound
	}
	return l.productVia(ctx, fmt.Sprintf("item code %d", code), bucketCatalogItems, u64(uint64(code)), notFound)
}

// productVia looks key up in the index bucket, then its SKU in the catalog.
func (l *Ledger) productVia(ctx context.Context, what, index string, key []byte, notFound error) (*agent.Product, error) {
	var p *agent.Product
	err := l.view(ctx, what, func(tx *bbolt.Tx) (err error) {
		sku := tx.Bucket([]byte(index)).Get(key)
		if sku == nil {
			return notFound
		}
		if p, err = productBySKU(tx, sku); err == nil && p == nil {
			err = fmt.Errorf("%s points at SKU %s, which is missing: %w", index, sku, ErrJournalDamaged)
		}
		return err
	})
	return p, err
}

// productBySKU decodes the product at sku; nil when there is none.
func productBySKU(tx *bbolt.Tx, sku []byte) (*agent.Product, error) {
	var p agent.Product
	found, err := getJSON(tx.Bucket([]byte(bucketCatalog)), sku, &p)
	if !found {
		return nil, err
	}
	return &p, nil
}

// CatalogVersion returns the version of the catalog held, 0 if none.
func (l *Ledger) CatalogVersion(ctx context.Context) (uint64, error) {
	var v uint64
	err := l.view(ctx, "catalog version", func(tx *bbolt.Tx) (err error) {
		v, err = metaVersion(tx, metaCatalogVer)
		return err
	})
	return v, err
}
