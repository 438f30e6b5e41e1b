package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

var _ agent.Baskets = (*Ledger)(nil)

// SaveBasket stores b as its lane's open basket, replacing the one there.
// It returns after an fsynced DB.Update of its own (never a Batch that
// could wait for company): a scan the screen showed must survive an agent
// restart. It fails with EINVALID for a basket without an id or lane.
func (l *Ledger) SaveBasket(ctx context.Context, b *agent.Basket) error {
	switch {
	case b == nil:
		return agent.Errorf(agent.EINVALID, "no basket given")
	case b.ID == "" || len(b.ID) > maxKeyLen:
		return agent.Errorf(agent.EINVALID, "basket id must be 1 to %d characters", maxKeyLen)
	case b.LaneID == "" || len(b.LaneID) > maxKeyLen:
		return agent.Errorf(agent.EINVALID, "basket %s: lane must be 1 to %d characters", b.ID, maxKeyLen)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save basket %s: %w", b.ID, err)
	}
	err := l.db.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket([]byte(bucketBaskets)), []byte(b.LaneID), b)
	})
	if err != nil {
		return fmt.Errorf("save basket %s of lane %s: %w", b.ID, b.LaneID, err)
	}
	return nil
}

// Basket returns the lane's open basket, or an ENOTFOUND *Error.
func (l *Ledger) Basket(ctx context.Context, lane string) (*agent.Basket, error) {
	var b agent.Basket
	err := l.view(ctx, "basket of lane "+lane, func(tx *bbolt.Tx) error {
		found, err := getJSON(tx.Bucket([]byte(bucketBaskets)), []byte(lane), &b)
		if err == nil && !found {
			err = agent.Errorf(agent.ENOTFOUND, "lane %s has no open basket; scan an item to start one", lane)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// Baskets returns every open basket, ordered by lane.
func (l *Ledger) Baskets(ctx context.Context) ([]agent.Basket, error) {
	var out []agent.Basket
	err := l.view(ctx, "open baskets", func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bucketBaskets)).ForEach(func(k, v []byte) error {
			var b agent.Basket
			if err := json.Unmarshal(v, &b); err != nil {
				return fmt.Errorf("basket of lane %s: %w: %w", k, ErrJournalDamaged, err)
			}
			out = append(out, b)
			return nil
		})
	})
	return out, err
}

// DeleteBasket removes the lane's open basket if its id is id, and does
// nothing otherwise: a late delete of a committed basket must not drop
// the next customer's.
func (l *Ledger) DeleteBasket(ctx context.Context, lane, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete basket %s of lane %s: %w", id, lane, err)
	}
	err := l.db.Update(func(tx *bbolt.Tx) error {
		return deleteBasket(tx, lane, id)
	})
	if err != nil {
		return fmt.Errorf("delete basket %s of lane %s: %w", id, lane, err)
	}
	return nil
}

// deleteBasket removes the lane's basket if its id is id. It decodes only
// the id, not the lines, since CommitSale calls it on every tender.
func deleteBasket(tx *bbolt.Tx, lane, id string) error {
	b := tx.Bucket([]byte(bucketBaskets))
	raw := b.Get([]byte(lane))
	if raw == nil {
		return nil
	}
	var held struct{ ID string }
	if err := json.Unmarshal(raw, &held); err != nil {
		return fmt.Errorf("basket of lane %s: %w: %w", lane, ErrJournalDamaged, err)
	}
	if held.ID != id {
		return nil
	}
	if err := b.Delete([]byte(lane)); err != nil {
		return fmt.Errorf("delete basket of lane %s: %w", lane, err)
	}
	return nil
}
