package agent

import (
	"context"
	"fmt"
	"time"
)

// Service records sales: it checks and prices the client's input, commits
// the sale durably through the Ledger, and wakes the uplink.
// It is safe for concurrent use by several lanes.
type Service struct {
	StoreID string
	AgentID string
	Ledger  Ledger
	// Uplink is woken after every durable commit; nil runs the agent
	// without a link to central (sales still commit).
	Uplink Uplink
	Now    func() time.Time
	// NewID returns a fresh UUIDv7 for a sale.
	NewID func() (string, error)
}

// RecordSale validates in, computes its totals and commits it. It returns
// the committed sale (with Seq and ReceiptNo) only once the commit is
// durable; on any error nothing is written.
func (s *Service) RecordSale(ctx context.Context, in *SaleInput) (*Sale, error) {
	id := in.SaleID
	if id == "" {
		var err error
		if id, err = s.NewID(); err != nil {
			return nil, fmt.Errorf("new sale id: %w", err)
		}
	}
	sale, err := in.Build(id, s.StoreID, s.Now())
	if err != nil {
		return nil, err
	}
	if err := s.Ledger.CommitSale(ctx, sale); err != nil {
		if in.SaleID != "" && ErrorCode(err) == ECONFLICT {
			return s.replay(ctx, sale)
		}
		return nil, fmt.Errorf("commit sale: %w", err)
	}
	if s.Uplink != nil {
		s.Uplink.Notify()
	}
	return sale, nil
}

// replay answers a client's retry of a sale it already committed: the
// stored sale if the content is the same, ECONFLICT if the id was reused
// for a different sale.
func (s *Service) replay(ctx context.Context, retry *Sale) (*Sale, error) {
	stored, err := s.Ledger.Sale(ctx, retry.ID)
	if err != nil {
		return nil, fmt.Errorf("read sale %s for retry: %w", retry.ID, err)
	}
	if !sameContent(stored, retry) {
		return nil, Errorf(ECONFLICT, "sale_id %s is already used by a different sale", retry.ID)
	}
	return stored, nil
}

func sameContent(a, b *Sale) bool {
	if a.LaneID != b.LaneID || a.MemberCard != b.MemberCard || a.TotalFen != b.TotalFen || len(a.Lines) != len(b.Lines) {
		return false
	}
	for i := range a.Lines {
		if a.Lines[i] != b.Lines[i] {
			return false
		}
	}
	return true
}

// Sale returns a committed sale by id, or an ENOTFOUND *Error.
func (s *Service) Sale(ctx context.Context, id string) (*Sale, error) {
	return s.Ledger.Sale(ctx, id)
}

// Status is the agent's view of its own sync state.
type Status struct {
	StoreID        string
	AgentID        string
	Connected      bool
	LastSeq        uint64
	LastAckedSeq   uint64
	OutboxDepth    uint64
	OldestUnsynced time.Duration // age of the oldest unacked sale; 0 when synced
	LastAckAt      time.Time
	// Versions are the versions of central's streams the store holds, by
	// stream name (0 = none), when the ledger keeps them.
	Versions map[string]uint64
}

// Status returns the agent's sync state as of now.
func (s *Service) Status(ctx context.Context) (Status, error) {
	ls, err := s.Ledger.Status(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("ledger status: %w", err)
	}
	st := Status{
		StoreID: s.StoreID, AgentID: s.AgentID,
		LastSeq: ls.LastSeq, LastAckedSeq: ls.Watermark, OutboxDepth: ls.OutboxDepth(),
	}
	if !ls.OldestUnacked.IsZero() {
		if age := s.Now().Sub(ls.OldestUnacked); age > 0 {
			st.OldestUnsynced = age
		}
	}
	if s.Uplink != nil {
		us := s.Uplink.Status()
		st.Connected, st.LastAckAt = us.Connected, us.LastAckAt
	}
	if ds, ok := s.Ledger.(Downstream); ok {
		if st.Versions, err = StreamVersions(ctx, ds); err != nil {
			return Status{}, err
		}
	}
	return st, nil
}
