package bolt

import (
	"context"
	"fmt"

	"github.com/tillsync/tillsync/agent"
	bbolt "go.etcd.io/bbolt"
)

var _ agent.Policies = (*Ledger)(nil)

// SetPolicy stores p as the store's policy. It fails with ECONFLICT when
// p.Version is not newer than the policy held (downstream streams are
// versioned, DESIGN §5 rule 4) and with EINVALID for a nil policy; then
// the policy held is unchanged. Checking the policy's content is the
// caller's job: the ledger stores what it is given.
func (l *Ledger) SetPolicy(ctx context.Context, p *agent.Policy) error {
	if p == nil {
		return agent.Errorf(agent.EINVALID, "no policy given")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set policy version %d: %w", p.Version, err)
	}
	err := l.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucketPolicy))
		var held agent.Policy
		if _, err := getJSON(b, []byte(policyKey), &held); err != nil {
			return fmt.Errorf("read policy held: %w", err)
		}
		if p.Version <= held.Version {
			return agent.Errorf(agent.ECONFLICT, "policy version %d is not newer than %d", p.Version, held.Version)
		}
		return putJSON(b, []byte(policyKey), p)
	})
	if err != nil {
		return wrapUncoded(err, "set policy version %d", p.Version)
	}
	l.logger.Info("policy set", "version", p.Version)
	return nil
}

// CurrentPolicy returns the policy held, or an EUNAVAILABLE *Error if
// none was ever loaded.
func (l *Ledger) CurrentPolicy(ctx context.Context) (*agent.Policy, error) {
	var p agent.Policy
	err := l.view(ctx, "current policy", func(tx *bbolt.Tx) error {
		found, err := getJSON(tx.Bucket([]byte(bucketPolicy)), []byte(policyKey), &p)
		if err == nil && !found {
			err = agent.Errorf(agent.EUNAVAILABLE, "no loyalty policy loaded — load one with tillsync-agent policy load")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}
