package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

var _ agent.CentralKeySource = (*Ledger)(nil)

// Meta keys of the per-store streams and central's key.
const (
	// metaMembersStreamVer is the version of central's member records;
	// apart from metaMembersVer (a member file loaded by hand), whose
	// numbers are the operator's, not central's.
	metaMembersStreamVer = "members_stream_version" // 8-byte big-endian; absent = 0
	metaEnrollBlockVer   = "enroll_block_version"   // 8-byte big-endian; absent = 0
	metaCentralKeyVer    = "central_key_version"    // 8-byte big-endian; absent = 0
	metaCentralKey       = "central_key"            // 32 bytes; absent = none from central
)

// ApplyMembers applies central's member records in one transaction: a
// snapshot rebuilds the member cache, keeping the members this store
// enrolled that the snapshot does not list yet (their enrollment has not
// reached central's records), and a delta upserts and removes members.
// It fails with ECONFLICT for a stale version or a delta on another
// version, and with EINVALID for a member without a valid card; then
// nothing changes.
func (l *Ledger) ApplyMembers(ctx context.Context, u agent.MembersUpdate) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply members %d: %w", u.Version, err)
	}
	kvs := make([]kv, 0, len(u.Upserts))
	listed := make(map[string]bool, len(u.Upserts))
	for _, m := range u.Upserts {
		if err := checkMemberCard(m.Card); err != nil {
			return agent.Errorf(agent.EINVALID, "member records %d: %s", u.Version, err)
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode member %s: %w", agent.MaskCard(m.Card), err)
		}
		kvs = append(kvs, kv{[]byte(m.Card), raw})
		listed[m.Card] = true
	}
	err := l.db.Update(func(tx *bbolt.Tx) error {
		held, err := metaVersion(tx, metaMembersStreamVer)
		if err != nil {
			return err
		}
		if err := checkStreamVersion("members", held, u.Version, u.Base, u.Snapshot); err != nil {
			return err
		}
		if u.Snapshot {
			if kvs, err = keepEnrolled(tx, kvs, listed); err != nil {
				return err
			}
			if err := rebuildBucket(tx, bucketMembers, kvs); err != nil {
				return err
			}
		} else if err := patchBucket(tx.Bucket([]byte(bucketMembers)), kvs, u.Removed); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaMembersStreamVer), u64(u.Version))
	})
	if err != nil {
		return wrapUncoded(err, "apply members %d", u.Version)
	}
	l.logger.Info("member records applied", "version", u.Version, "snapshot", u.Snapshot,
		"upserts", len(u.Upserts), "removed", len(u.Removed))
	return nil
}

// keepEnrolled adds to kvs the cached members this store enrolled that
// listed lacks, so a snapshot taken before their enrollment reached
// central does not make the till forget them.
func keepEnrolled(tx *bbolt.Tx, kvs []kv, listed map[string]bool) ([]kv, error) {
	members := tx.Bucket([]byte(bucketMembers))
	err := tx.Bucket([]byte(bucketEnrollments)).ForEach(func(card, _ []byte) error {
		if listed[string(card)] {
			return nil
		}
		if v := members.Get(card); v != nil {
			kvs = append(kvs, kv{append([]byte{}, card...), append([]byte{}, v...)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("keep enrolled members: %w", err)
	}
	return kvs, nil
}

// MembersStreamVersion returns the version of central's member records
// held, 0 if none.
func (l *Ledger) MembersStreamVersion(ctx context.Context) (uint64, error) {
	return l.metaVersionOf(ctx, metaMembersStreamVer)
}

// ApplyEnrollBlock takes central's enrollment block by SetEnrollBlock's
// rules, then records its version. A block SetEnrollBlock refuses with
// ECONFLICT (it overlaps numbers already used) is logged and its version
// recorded all the same: HQ must assign another block, and resending this
// one would change nothing. The two steps are separate transactions; a
// crash between them leaves the version unrecorded, and the block, sent
// again, is taken again with no change (the same block is a no-op). A
// stale version fails with ECONFLICT and changes nothing.
func (l *Ledger) ApplyEnrollBlock(ctx context.Context, u agent.EnrollBlockUpdate) error {
	held, err := l.EnrollBlockVersion(ctx)
	if err != nil {
		return err
	}
	if err := checkStreamVersion("enroll block", held, u.Version, 0, true); err != nil {
		return err
	}
	err = l.SetEnrollBlock(ctx, u.Prefix, u.First, u.Last)
	switch {
	case agent.ErrorCode(err) == agent.ECONFLICT:
		l.logger.Warn("enroll block from central refused", "version", u.Version, "reason", agent.ErrorMessage(err))
	case err != nil:
		return err
	}
	return l.putMetaVersion(ctx, metaEnrollBlockVer, u.Version)
}

// EnrollBlockVersion returns the version of central's enrollment block
// held, 0 if none.
func (l *Ledger) EnrollBlockVersion(ctx context.Context) (uint64, error) {
	return l.metaVersionOf(ctx, metaEnrollBlockVer)
}

// ApplyCentralKey stores central's public key and its version in one
// transaction; a version not newer than the one held fails with
// ECONFLICT.
func (l *Ledger) ApplyCentralKey(ctx context.Context, u agent.CentralKeyUpdate) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply central key %d: %w", u.Version, err)
	}
	err := l.db.Update(func(tx *bbolt.Tx) error {
		held, err := metaVersion(tx, metaCentralKeyVer)
		if err != nil {
			return err
		}
		if err := checkStreamVersion("central key", held, u.Version, 0, true); err != nil {
			return err
		}
		meta := tx.Bucket([]byte(bucketMeta))
		if err := meta.Put([]byte(metaCentralKey), u.Key[:]); err != nil {
			return fmt.Errorf("put central key: %w", err)
		}
		return meta.Put([]byte(metaCentralKeyVer), u64(u.Version))
	})
	if err != nil {
		return wrapUncoded(err, "apply central key %d", u.Version)
	}
	l.logger.Info("central key applied", "version", u.Version)
	return nil
}

// CentralKeyVersion returns the version of central's key held, 0 if none.
func (l *Ledger) CentralKeyVersion(ctx context.Context) (uint64, error) {
	return l.metaVersionOf(ctx, metaCentralKeyVer)
}

// CentralKey returns central's public key as central last sent it, or nil
// when none has arrived (implements agent.CentralKeySource).
func (l *Ledger) CentralKey(ctx context.Context) (*[32]byte, error) {
	var key *[32]byte
	err := l.view(ctx, "central key", func(tx *bbolt.Tx) error {
		v := tx.Bucket([]byte(bucketMeta)).Get([]byte(metaCentralKey))
		switch {
		case v == nil:
			return nil
		case len(v) != 32:
			return fmt.Errorf("meta %s holds %d bytes, want 32: %w", metaCentralKey, len(v), ErrJournalDamaged)
		}
		key = new([32]byte)
		copy(key[:], v)
		return nil
	})
	return key, err
}

func (l *Ledger) metaVersionOf(ctx context.Context, key string) (uint64, error) {
	var v uint64
	err := l.view(ctx, key, func(tx *bbolt.Tx) (err error) {
		v, err = metaVersion(tx, key)
		return err
	})
	return v, err
}

func (l *Ledger) putMetaVersion(ctx context.Context, key string, v uint64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := l.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(key), u64(v))
	}); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}
