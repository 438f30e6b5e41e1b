package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	bbolt "go.etcd.io/bbolt"
)

// maxKeyLen bounds ids, SKUs, lanes and cards used as bbolt keys; the
// domain's own limit is 64 (agent.SaleInput), bbolt's is 32 KiB.
const maxKeyLen = 64

// view runs fn in a read transaction after checking ctx, and wraps an
// internal error with what ("catalog version", "member ****5678"...). A
// coded *agent.Error passes through unwrapped: it is written for the cashier.
func (l *Ledger) view(ctx context.Context, what string, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := l.db.View(fn); err != nil {
		return wrapUncoded(err, "%s", what)
	}
	return nil
}

// getJSON decodes the value at key into v; found is false when key is
// absent. json.Unmarshal copies every string out of the mmap, so v stays
// valid after the transaction ends. Errors never quote the key, which may
// be a card number: the caller names the record, masked.
func getJSON(b *bbolt.Bucket, key []byte, v any) (found bool, err error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode: %w: %w", ErrJournalDamaged, err)
	}
	return true, nil
}

// putJSON encodes v as the value at key. Like getJSON's, its errors never
// quote the key.
func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := b.Put(key, raw); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	return nil
}

// kv is one key/value to put.
type kv struct{ k, v []byte }

// rebuildBucket replaces bucket name with one holding exactly kvs. Keys go
// in in sorted order, which bbolt packs densely (FillPercent 1.0) instead
// of splitting pages half full.
func rebuildBucket(tx *bbolt.Tx, name string, kvs []kv) error {
	if tx.Bucket([]byte(name)) != nil {
		if err := tx.DeleteBucket([]byte(name)); err != nil {
			return fmt.Errorf("drop bucket %s: %w", name, err)
		}
	}
	b, err := tx.CreateBucket([]byte(name))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	slices.SortFunc(kvs, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	b.FillPercent = 1.0
	for _, e := range kvs {
		if err := b.Put(e.k, e.v); err != nil {
			return fmt.Errorf("put into %s: %w", name, err) // the key may be a card: not quoted
		}
	}
	return nil
}
