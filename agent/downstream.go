package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// CatalogUpdate is one version of the chain's catalog from central: the
// whole catalog (Snapshot) or the products changed and removed since Base.
type CatalogUpdate struct {
	Version  uint64
	Base     uint64 // delta only: the version the delta applies on
	Snapshot bool
	Upserts  []Product
	Removed  []string // SKUs
}

// CardBlock is a card blocked chain-wide, e.g. reported lost: the till
// refuses it whatever store the member joined at.
type CardBlock struct {
	Card      string
	Reason    string
	BlockedAt time.Time
}

// CardBlocksUpdate is one version of the chain's card block list.
type CardBlocksUpdate struct {
	Version   uint64
	Base      uint64
	Snapshot  bool
	Blocked   []CardBlock
	Unblocked []string // delta only: cards no longer blocked
}

// MembersUpdate is one version of the store's member records from
// central: every member of the store (Snapshot) or the members changed and
// dropped since Base. A member's BalanceAt says which local entries
// central's balance leaves to the store (see PointsBook.LocalEntries).
type MembersUpdate struct {
	Version  uint64
	Base     uint64
	Snapshot bool
	Upserts  []Member
	Removed  []string // delta only: cards no longer the store's members
}

// EnrollBlockUpdate is one version of the store's enrollment block from
// central; every version is whole.
type EnrollBlockUpdate struct {
	Version     uint64
	Prefix      string
	First, Last uint64 // inclusive
}

// CentralKeyUpdate is one version of central's public key (whole).
type CentralKeyUpdate struct {
	Version uint64
	Key     [32]byte
}

// Downstream is what the store keeps of central's streams (DESIGN §5 rule
// 4). Each apply is atomic: it changes everything or nothing. A snapshot
// must be newer than the version held and a delta must apply on exactly
// the version held; otherwise the apply fails with ECONFLICT and nothing
// changes.
type Downstream interface {
	ApplyCatalog(ctx context.Context, u CatalogUpdate) error
	ApplyCardBlocks(ctx context.Context, u CardBlocksUpdate) error
	SetPolicy(ctx context.Context, p *Policy) error
	CatalogVersion(ctx context.Context) (uint64, error)
	CardBlocksVersion(ctx context.Context) (uint64, error)
	CurrentPolicy(ctx context.Context) (*Policy, error)
	// ApplyMembers applies the store's member records: a snapshot
	// replaces the member cache (members enrolled here that central does
	// not list yet stay), a delta upserts and removes.
	ApplyMembers(ctx context.Context, u MembersUpdate) error
	// MembersStreamVersion is the version of central's member records
	// held (0: none), apart from MembersVersion of a member file loaded
	// by hand.
	MembersStreamVersion(ctx context.Context) (uint64, error)
	// ApplyEnrollBlock takes central's block as SetEnrollBlock does. A
	// block SetEnrollBlock refuses (it overlaps numbers already used) is
	// logged and its version recorded as held, so central does not send
	// it again; the store keeps enrolling from the block it holds.
	ApplyEnrollBlock(ctx context.Context, u EnrollBlockUpdate) error
	EnrollBlockVersion(ctx context.Context) (uint64, error)
	// ApplyCentralKey stores central's public key; the till seals
	// enrollment data to it (CentralKeySource).
	ApplyCentralKey(ctx context.Context, u CentralKeyUpdate) error
	CentralKeyVersion(ctx context.Context) (uint64, error)
}

// CentralKeySource holds central's public key as central last sent it.
// Till.Enroll prefers it to EnrollConfig.CentralKey, the configured key,
// which stays the fallback until central's has arrived.
type CentralKeySource interface {
	// CentralKey returns the key held, or nil (and no error) when none
	// has arrived.
	CentralKey(ctx context.Context) (*[32]byte, error)
}

// StreamVersions returns the version of each of central's streams ds
// holds, by the stream names of the sync protocol (0: none). The policy's
// version is the policy held, 0 when none is loaded.
func StreamVersions(ctx context.Context, ds Downstream) (map[string]uint64, error) {
	out := make(map[string]uint64, 6)
	for _, s := range []struct {
		name string
		get  func(context.Context) (uint64, error)
	}{
		{syncproto.StreamCatalog, ds.CatalogVersion}, {syncproto.StreamCardBlocks, ds.CardBlocksVersion},
		{syncproto.StreamMembers, ds.MembersStreamVersion}, {syncproto.StreamEnroll, ds.EnrollBlockVersion},
		{syncproto.StreamCentralKey, ds.CentralKeyVersion},
	} {
		v, err := s.get(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s version: %w", s.name, err)
		}
		out[s.name] = v
	}
	switch p, err := ds.CurrentPolicy(ctx); {
	case err == nil:
		out[syncproto.StreamPolicy] = p.Version
	case ErrorCode(err) == EUNAVAILABLE: // none loaded
		out[syncproto.StreamPolicy] = 0
	default:
		return nil, fmt.Errorf("policy version: %w", err)
	}
	return out, nil
}
