package central

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tillsync/tillsync/syncproto"
)

// A lost card (DESIGN §3: "a lost card is blocked and a new card number
// is linked to the same member") keeps its history; what it still holds
// moves to the new card as transfer entries, so both cards' balances stay
// the sums of their entries. Every live lot moves on its own — its points,
// its pending period and its expiry date unchanged — so the member loses
// nothing to the move and gains no earlier access to pending points; a
// debt moves whole, to be repaid by the new card's earnings.

// Validate checks r and returns an EINVALID *Error naming the bad field.
func (r CardReplacement) Validate() error {
	switch {
	case !cardPattern.MatchString(r.Old):
		return Errorf(EINVALID, "lost card must be 1 to 32 letters or digits")
	case !cardPattern.MatchString(r.New):
		return Errorf(EINVALID, "new card must be 1 to 32 letters or digits")
	case r.Old == r.New:
		return Errorf(EINVALID, "the new card must differ from the lost one")
	case len(r.Reason) > maxReasonLength || strings.ContainsRune(r.Reason, 0):
		return Errorf(EINVALID, "reason must be at most %d characters", maxReasonLength)
	}
	return nil
}

// DefaultReplaceReason is a replacement's reason when none is given.
const DefaultReplaceReason = "reported lost"

// TransferEntries returns the entries that move what the old card holds
// as of r.At to the new card: for each live lot a transfer_out on the old
// card and a transfer_in on the new, and for a debt one of each. Entry ids
// derive from the lot (and, for a debt, from debtMoves, the number of debt
// transfers the old card already has), so computing again after posting
// returns nothing.
func TransferEntries(r CardReplacement, memberID string, oldEntries []PointsEntry, debtMoves int) []PointsEntry {
	lots, debt := liveLots(oldEntries, r.At)
	at := r.At.UTC()
	var out []PointsEntry
	for _, l := range lots {
		pending := int64(0)
		if l.e.AvailableAt.After(at) {
			pending = l.left
		}
		out = append(out,
			PointsEntry{ID: centralIDPrefix + "xfer:out:" + l.e.ID, Kind: PointsTransferOut, Points: -l.left,
				Card: r.Old, MemberID: memberID, SaleID: l.e.SaleID, At: at, LotID: l.e.ID,
				PendingPoints: pending, Reason: "moved to the card replacing this one"},
			PointsEntry{ID: centralIDPrefix + "xfer:in:" + l.e.ID, Kind: PointsTransferIn, Points: l.left,
				Card: r.New, MemberID: memberID, SaleID: l.e.SaleID, At: at, LotID: l.e.ID,
				AvailableAt: l.e.AvailableAt, ExpiresAt: l.e.ExpiresAt, Reason: "moved from the lost card this one replaces"})
	}
	if debt > 0 {
		id := centralIDPrefix + "xfer:debt:" + r.Old + ":" + strconv.Itoa(debtMoves+1)
		out = append(out,
			PointsEntry{ID: id + ":out", Kind: PointsTransferOut, Points: debt, Card: r.Old, MemberID: memberID,
				At: at, Reason: "debt moved to the card replacing this one"},
			PointsEntry{ID: id + ":in", Kind: PointsTransferIn, Points: -debt, Card: r.New, MemberID: memberID,
				At: at, Reason: "debt moved from the lost card this one replaces"})
	}
	return out
}

// DebtMoves counts the debt transfers among a card's entries.
func DebtMoves(entries []PointsEntry) int {
	n := 0
	for _, e := range entries {
		if e.Kind == PointsTransferOut && e.Points > 0 {
			n++
		}
	}
	return n
}

// Tally adds the entries TransferEntries made to res (counting the old
// card's side, so a move counts once).
func (res *CardTransferResult) Tally(es []PointsEntry, posted func(PointsEntry) bool) {
	for _, e := range es {
		if !posted(e) {
			continue
		}
		res.Entries++
		if e.Kind != PointsTransferOut {
			continue
		}
		if e.Points < 0 {
			res.Points += -e.Points
		} else {
			res.Debt += e.Points
		}
	}
}

// ReplaceLostCard replaces the lost card r.Old by r.New at the member
// master (MemberStore.ReplaceCard: link, points moved) and then blocks
// r.Old at every store with a reason naming the new card (masked). Both
// steps are idempotent, so after a failure between them running it again
// finishes the job.
func ReplaceLostCard(ctx context.Context, members MemberStore, ds Downstreams, r CardReplacement) (CardTransferResult, error) {
	if err := r.Validate(); err != nil {
		return CardTransferResult{}, err
	}
	if r.Reason == "" {
		r.Reason = DefaultReplaceReason
	}
	res, err := members.ReplaceCard(ctx, r)
	if err != nil {
		return res, err
	}
	block := &syncproto.CardBlock{Card: r.Old, Reason: r.Reason + "; replaced by card " + MaskCard(r.New),
		BlockedAtMs: r.At.UnixMilli()}
	if _, err := ChangeCardBlocks(ctx, ds, []*syncproto.CardBlock{block}, false, r.At); err != nil {
		return res, fmt.Errorf("block lost card %s: %w", MaskCard(r.Old), err)
	}
	return res, nil
}
