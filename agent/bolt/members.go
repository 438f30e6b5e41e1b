package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

var _ agent.Members = (*Ledger)(nil)

// ReplaceMembers replaces the whole member cache with members at version
// in one transaction (the bucket is dropped and rebuilt). It fails with
// ECONFLICT when version is not newer than the one held and with EINVALID
// for a member without a card or a card listed twice; then nothing
// changes. The store holds only what agent.Member has — card, masked name,
// last four phone digits, tier, balance — never personal fields (DESIGN
// §3, privacy).
func (l *Ledger) ReplaceMembers(ctx context.Context, version uint64, members []agent.Member) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("replace members with version %d: %w", version, err)
	}
	kvs := make([]kv, 0, len(members))
	seen := make(map[string]bool, len(members))
	for i, m := range members {
		if err := checkMemberCard(m.Card); err != nil {
			return agent.Errorf(agent.EINVALID, "member %d: %s", i+1, err)
		}
		if seen[m.Card] {
			return agent.Errorf(agent.EINVALID, "member list holds card %s twice", agent.MaskCard(m.Card))
		}
		seen[m.Card] = true
		raw, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode member %s: %w", agent.MaskCard(m.Card), err)
		}
		kvs = append(kvs, kv{[]byte(m.Card), raw})
	}
	err := l.db.Update(func(tx *bbolt.Tx) error {
		held, err := metaVersion(tx, metaMembersVer)
		if err != nil {
			return err
		}
		if version <= held {
			return agent.Errorf(agent.ECONFLICT, "member list version %d is not newer than %d", version, held)
		}
		if err := rebuildBucket(tx, bucketMembers, kvs); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(metaMembersVer), u64(version))
	})
	if err != nil {
		return wrapUncoded(err, "replace members with version %d", version)
	}
	l.logger.Info("members replaced", "version", version, "members", len(members))
	return nil
}

// PutMember stores or replaces one cached member (a balance or tier update,
// a card block) without changing the cache version. It fails with EINVALID
// for a member without a valid card.
func (l *Ledger) PutMember(ctx context.Context, m agent.Member) error {
	masked := agent.MaskCard(m.Card)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put member %s: %w", masked, err)
	}
	if err := checkMemberCard(m.Card); err != nil {
		return agent.Errorf(agent.EINVALID, "member: %s", err)
	}
	err := l.db.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket([]byte(bucketMembers)), []byte(m.Card), m)
	})
	if err != nil {
		return fmt.Errorf("put member %s: %w", masked, err)
	}
	return nil
}

// checkMemberCard returns a cashier-readable problem with card, or nil.
func checkMemberCard(card string) error {
	if card == "" || len(card) > maxKeyLen {
		return fmt.Errorf("card number must be 1 to %d characters", maxKeyLen)
	}
	return nil
}

// MemberByCard returns the cached member holding card, or an ENOTFOUND
// *Error (whose message masks the card, as every message does). A card on
// the chain-wide block list comes back Blocked with the block's reason,
// even when the store holds no member for it.
func (l *Ledger) MemberByCard(ctx context.Context, card string) (*agent.Member, error) {
	masked := agent.MaskCard(card)
	var m agent.Member
	err := l.view(ctx, "member "+masked, func(tx *bbolt.Tx) error {
		found, err := getJSON(tx.Bucket([]byte(bucketMembers)), []byte(card), &m)
		if err != nil {
			return err
		}
		// A chain-wide block (a card reported lost at another store) wins
		// over the member cache, and is known even for a card the store
		// has no member for.
		if blk, err := blockOf(tx, card); err != nil {
			return err
		} else if blk != nil {
			if !found {
				m = agent.Member{Card: card}
			}
			m.Blocked, m.BlockReason, found = true, blk.Reason, true
		}
		if !found {
			err = agent.Errorf(agent.ENOTFOUND, "card %s is not known at this store; the sale can go on and its points are kept for the card", masked)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// MembersVersion returns the version of the member cache held, 0 if none.
func (l *Ledger) MembersVersion(ctx context.Context) (uint64, error) {
	var v uint64
	err := l.view(ctx, "members version", func(tx *bbolt.Tx) (err error) {
		v, err = metaVersion(tx, metaMembersVer)
		return err
	})
	return v, err
}
