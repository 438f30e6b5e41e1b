package bolt

import (
	"context"
	"fmt"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

// initMeta stamps a new file with the schema version and ids, or checks that
// an existing file is a ledger of this schema, store and agent.
func (l *Ledger) initMeta(tx *bbolt.Tx) error {
	meta := tx.Bucket([]byte(bucketMeta))
	if meta == nil {
		return l.createLedger(tx)
	}
	if err := checkSchema(meta); err != nil {
		return err
	}
	store, agentID := string(meta.Get([]byte(metaStoreID))), string(meta.Get([]byte(metaAgentID)))
	if store != l.storeID || agentID != l.agentID {
		return fmt.Errorf("ledger belongs to store %s agent %s, not store %s agent %s: %w",
			store, agentID, l.storeID, l.agentID, ErrWrongOwner)
	}
	if _, err := watermark(tx); err != nil {
		return err
	}
	for _, name := range []string{bucketJournal, bucketSales} {
		if tx.Bucket([]byte(name)) == nil {
			return fmt.Errorf("bucket %s is missing: %w", name, ErrJournalDamaged)
		}
	}
	return createTillBuckets(tx)
}

// createTillBuckets creates the additive buckets a file written before
// them lacks (see tillBuckets).
func createTillBuckets(tx *bbolt.Tx) error {
	for _, name := range tillBuckets() {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// metaVersion reads a version kept in meta under key; absent is 0.
func metaVersion(tx *bbolt.Tx, key string) (uint64, error) {
	b := tx.Bucket([]byte(bucketMeta)).Get([]byte(key))
	if b == nil {
		return 0, nil
	}
	v, ok := parseU64(b)
	if !ok {
		return 0, fmt.Errorf("meta %s is malformed: %w", key, ErrBadMeta)
	}
	return v, nil
}

// createLedger lays out an empty file. A file that already holds other
// buckets is somebody else's data and is left untouched.
func (l *Ledger) createLedger(tx *bbolt.Tx) error {
	var other string
	err := tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
		other = string(name)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list buckets: %w", err)
	}
	if other != "" {
		return fmt.Errorf("found bucket %q but no %s bucket: %w", other, bucketMeta, ErrNotLedger)
	}
	meta, err := tx.CreateBucket([]byte(bucketMeta))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
	}
	for k, v := range map[string][]byte{
		metaSchemaVersion: u64(SchemaVersion),
		metaStoreID:       []byte(l.storeID),
		metaAgentID:       []byte(l.agentID),
		metaWatermark:     u64(0),
	} {
		if err := meta.Put([]byte(k), v); err != nil {
			return fmt.Errorf("put meta %s: %w", k, err)
		}
	}
	for _, name := range []string{bucketJournal, bucketSales} {
		if _, err := tx.CreateBucket([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return createTillBuckets(tx)
}

func checkSchema(meta *bbolt.Bucket) error {
	v, ok := parseU64(meta.Get([]byte(metaSchemaVersion)))
	switch {
	case !ok || v == 0:
		return fmt.Errorf("meta %s is missing or malformed: %w", metaSchemaVersion, ErrBadMeta)
	case v > SchemaVersion:
		return fmt.Errorf("file has schema version %d, this tillsync reads up to %d: %w",
			v, SchemaVersion, agent.ErrLedgerTooNew)
	}
	return nil
}

// watermark reads the stored watermark.
func watermark(tx *bbolt.Tx) (uint64, error) {
	v, ok := parseU64(tx.Bucket([]byte(bucketMeta)).Get([]byte(metaWatermark)))
	if !ok {
		return 0, fmt.Errorf("meta %s is missing or malformed: %w", metaWatermark, ErrBadMeta)
	}
	return v, nil
}

// SetWatermark persists that every seq ≤ seq is acked. A seq at or below
// the stored watermark is ignored (acks may arrive twice or out of order);
// one above the journal head fails with ErrWatermarkAhead.
func (l *Ledger) SetWatermark(ctx context.Context, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set watermark %d: %w", seq, err)
	}
	// A stale ack is common after a resend; answering it from a read
	// transaction spares a write and its fsync.
	var cur uint64
	err := l.db.View(func(tx *bbolt.Tx) (err error) {
		cur, err = watermark(tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("set watermark %d: %w", seq, err)
	}
	if seq <= cur {
		return nil
	}
	err = l.db.Update(func(tx *bbolt.Tx) error {
		cur, err := watermark(tx)
		if err != nil || seq <= cur {
			return err
		}
		if head := tx.Bucket([]byte(bucketJournal)).Sequence(); seq > head {
			return fmt.Errorf("journal head is %d: %w", head, ErrWatermarkAhead)
		}
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaWatermark), u64(seq))
	})
	if err != nil {
		return fmt.Errorf("set watermark %d: %w", seq, err)
	}
	return nil
}
