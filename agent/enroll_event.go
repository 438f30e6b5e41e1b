package agent

import (
	"bytes"
	"fmt"
	"time"

	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// EnrollmentEvent returns the journal event of a committed enrollment
// (e.Seq and e.Member.Card set). It carries the sealed personal data and
// nothing personal in clear (DESIGN §3, privacy), and the points that
// credit the qualifying purchase.
func EnrollmentEvent(e *Enrollment, eventID string) *syncproto.Event {
	return &syncproto.Event{
		Seq: e.Seq, EventId: eventID, WallTimeMs: e.WallTime.UnixMilli(),
		Payload: &syncproto.Event_MemberEnrolled{MemberEnrolled: &syncproto.MemberEnrolled{
			MemberCard: e.Member.Card, MemberId: e.Member.MemberID, StoreId: e.StoreID, LaneId: e.LaneID,
			MaskedName: e.Member.MaskedName, PhoneLast4: e.Member.PhoneLast4,
			SealedPersonal: e.SealedPersonal, QualifyingSaleId: e.QualifyingSaleID,
			MarketingOptOut: e.MarketingOptOut, Points: PointsEntriesToWire(e.Points),
		}},
	}
}

// EncodeEnrollmentEvent returns the wire bytes of EnrollmentEvent(e, eventID).
func EncodeEnrollmentEvent(e *Enrollment, eventID string) ([]byte, error) {
	b, err := proto.Marshal(EnrollmentEvent(e, eventID))
	if err != nil {
		return nil, fmt.Errorf("encode enrollment of card %s: %w", MaskCard(e.Member.Card), err)
	}
	return b, nil
}

// EnrollmentFromEvent rebuilds an enrollment from its journal event. It
// fails for an event of another kind.
func EnrollmentFromEvent(ev *syncproto.Event) (*Enrollment, error) {
	me := ev.GetMemberEnrolled()
	if me == nil {
		return nil, fmt.Errorf("event %d is not an enrollment", ev.GetSeq())
	}
	wall := time.UnixMilli(ev.GetWallTimeMs()).UTC()
	points := PointsEntriesFromWire(me.Points)
	for i := range points {
		// The wire keeps one time per event: its entries happened then.
		points[i].At = wall
	}
	return &Enrollment{
		Member: Member{Card: me.MemberCard, MemberID: me.MemberId, MaskedName: me.MaskedName,
			PhoneLast4: me.PhoneLast4, Tier: TierRegular},
		StoreID: me.StoreId, LaneID: me.LaneId, Seq: ev.GetSeq(),
		WallTime:       wall,
		SealedPersonal: bytes.Clone(me.SealedPersonal), QualifyingSaleID: me.QualifyingSaleId,
		MarketingOptOut: me.MarketingOptOut, Points: points,
	}, nil
}
