package bolt

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/drivers/barcode"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// testEnrollment is an enrollment on lane L1, crediting points of saleID
// when points > 0.
func testEnrollment(saleID string, points int64) *agent.Enrollment {
	e := &agent.Enrollment{
		Member:  agent.Member{MaskedName: "张*", PhoneLast4: "5678", Tier: agent.TierRegular},
		StoreID: testStore, LaneID: "L1", SealedPersonal: []byte("sealed for central"),
		QualifyingSaleID: saleID,
	}
	if points > 0 {
		e.Points = []agent.PointsEntry{{ID: "earn-" + saleID, Kind: agent.PointsEarn, Points: points, SaleID: saleID,
			AvailableAt: at(60 * 24 * 7), ExpiresAt: at(60 * 24 * 700)}}
	}
	return e
}

func mustSetBlock(tb testing.TB, l *Ledger, prefix string, start, end uint64) {
	tb.Helper()
	if err := l.SetEnrollBlock(context.Background(), prefix, start, end); err != nil {
		tb.Fatalf("SetEnrollBlock(%s, %d, %d) = %v", prefix, start, end, err)
	}
}

func mustEnroll(tb testing.TB, l *Ledger, e *agent.Enrollment) *agent.Enrollment {
	tb.Helper()
	if err := l.CommitEnrollment(context.Background(), e); err != nil {
		tb.Fatalf("CommitEnrollment() = %v", err)
	}
	return e
}

func mustBlock(tb testing.TB, l *Ledger) agent.EnrollBlock {
	tb.Helper()
	b, err := l.EnrollBlock(context.Background())
	if err != nil {
		tb.Fatalf("EnrollBlock() = %v", err)
	}
	return b
}

func TestLedger_SetEnrollBlock(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name         string
		prefix       string
		start, end   uint64
		code         string
		wantPrefix   string
		wantNext     uint64
		wantEnd      uint64
		enrollBefore int
	}{
		{"OKSameAgain", "8800", 1, 99999999, "", "8800", 3, 99999999, 2},
		{"OKResizeKeepsNext", "8800", 1, 50000000, "", "8800", 3, 50000000, 2},
		{"OKAfterUsed", "8800", 3, 10, "", "8800", 3, 10, 2},
		{"OKOtherPrefix", "8801", 1, 10, "", "8801", 1, 10, 2},
		{"OKNothingUsedYet", "8800", 5, 10, "", "8800", 5, 10, 0},
		{"ErrOverlapsUsed", "8800", 2, 10, agent.ECONFLICT, "8800", 3, 99999999, 2},
		{"ErrPrefix", "88a", 1, 10, agent.EINVALID, "8800", 3, 99999999, 2},
		{"ErrRange", "8800", 10, 9, agent.EINVALID, "8800", 3, 99999999, 2},
		{"ErrZeroStart", "8800", 0, 9, agent.EINVALID, "8800", 3, 99999999, 2},
		{"ErrTooLong", "8800000000000", 1, 999999, agent.EINVALID, "8800", 3, 99999999, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			l := mustOpen(t, path, testOptions())
			mustSetBlock(t, l, "8800", 1, 99999999)
			for range tt.enrollBefore {
				mustEnroll(t, l, testEnrollment("", 0))
			}
			err := l.SetEnrollBlock(ctx, tt.prefix, tt.start, tt.end)
			if agent.ErrorCode(err) != tt.code {
				t.Fatalf("SetEnrollBlock() = %v, want code %q", err, tt.code)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = mustOpen(t, path, testOptions())
			b := mustBlock(t, l)
			if b.Prefix != tt.wantPrefix || b.Next != tt.wantNext || b.End != tt.wantEnd {
				t.Errorf("block after reopen = %+v, want prefix %s next %d end %d", b, tt.wantPrefix, tt.wantNext, tt.wantEnd)
			}
		})
	}
}

func TestLedger_CommitEnrollment(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		mustSetBlock(t, l, "8800", 1, 99999999)
		commitN(t, l, 1)
		e := mustEnroll(t, l, testEnrollment("sale-1", 12))
		// 8800 00000001 and the Luhn digit.
		if e.Member.Card != "8800000000013" || e.Member.MemberID != "S-S001-8800000000013" || e.Seq != 2 {
			t.Errorf("enrolled %+v seq %d, want card 8800000000013, member S-S001-8800000000013, seq 2", e.Member, e.Seq)
		}
		if !e.WallTime.Equal(at(0)) || len(e.Points) != 1 || e.Points[0].Card != e.Member.Card || !e.Points[0].At.Equal(at(0)) {
			t.Errorf("enrollment not stamped: %+v", e)
		}
		m, err := l.MemberByCard(ctx, e.Member.Card)
		if err != nil || !reflect.DeepEqual(*m, e.Member) {
			t.Errorf("MemberByCard() = %+v, %v; want %+v", m, err, e.Member)
		}
		if es := mustLocalEntries(t, l, e.Member.Card); !reflect.DeepEqual(es, e.Points) {
			t.Errorf("LocalEntries() = %+v, want %+v", es, e.Points)
		}
		if card, err := l.EnrolledBySale(ctx, "sale-1"); err != nil || card != e.Member.Card {
			t.Errorf("EnrolledBySale() = %q, %v", card, err)
		}
		entries, err := l.Journal(ctx, 2, 1)
		if err != nil || len(entries) != 1 {
			t.Fatalf("Journal(2) = %v, %v", entries, err)
		}
		var ev syncproto.Event
		if err := proto.Unmarshal(entries[0].Event, &ev); err != nil {
			t.Fatal(err)
		}
		got, err := agent.EnrollmentFromEvent(&ev)
		want := *e
		want.Points = append([]agent.PointsEntry(nil), e.Points...)
		for i := range want.Points {
			want.Points[i].At = e.WallTime // the wire keeps the event's time
		}
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("journal holds\n%+v, %v\nwant\n%+v", got, err, want)
		}
		if err := l.Check(ctx); err != nil {
			t.Errorf("Check() = %v", err)
		}
	})

	t.Run("OKSequentialLuhnAcrossReopen", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		mustSetBlock(t, l, "8800", 1, 99999999)
		// A card the member cache already holds is skipped, not issued twice.
		if err := l.PutMember(ctx, agent.Member{Card: agent.EnrollBlock{Prefix: "8800", End: 99999999}.Card(2)}); err != nil {
			t.Fatal(err)
		}
		var cards []string
		for i := range 4 {
			if i == 2 {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				l = mustOpen(t, path, testOptions())
				mustSetBlock(t, l, "8800", 1, 99999999) // as at every start
			}
			cards = append(cards, mustEnroll(t, l, testEnrollment("", 0)).Member.Card)
		}
		want := []string{"8800000000013", "8800000000039", "8800000000047", "8800000000054"}
		if !reflect.DeepEqual(cards, want) {
			t.Errorf("cards %v, want %v", cards, want)
		}
		for _, c := range cards {
			if !barcode.Luhn(c) {
				t.Errorf("card %s fails its Luhn check", c)
			}
		}
		if b := mustBlock(t, l); b.Next != 6 || b.Left() != 99999999-5 {
			t.Errorf("block %+v left %d, want next 6", b, b.Left())
		}
	})

	// Lanes enroll at once through the group commit: every number is
	// handed out once, in order, and one sale qualifies one enrollment.
	t.Run("OKConcurrent", func(t *testing.T) {
		const lanes = 8
		l := mustOpen(t, tempPath(t), testOptions())
		mustSetBlock(t, l, "8800", 1, 99999999)
		commitN(t, l, 1)
		var wg sync.WaitGroup
		errs := make([]error, lanes)
		cards := make([]string, lanes)
		for i := range lanes {
			wg.Go(func() {
				e := testEnrollment("sale-1", 3)
				errs[i] = l.CommitEnrollment(ctx, e)
				cards[i] = e.Member.Card
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch agent.ErrorCode(err) {
			case "":
				won++
				if cards[i] != "8800000000013" {
					t.Errorf("winner got card %s, want the block's first", cards[i])
				}
			case agent.ECONFLICT:
			default:
				t.Errorf("lane %d: %v", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d enrollments credited sale-1, want exactly 1", won)
		}
		for i := range lanes {
			wg.Go(func() { errs[i] = l.CommitEnrollment(ctx, testEnrollment("", 0)) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("lane %d: %v", i, err)
			}
		}
		if b := mustBlock(t, l); b.Next != lanes+2 {
			t.Errorf("block next %d after %d enrollments, want %d", b.Next, lanes+1, lanes+2)
		}
	})

	t.Run("ErrExhausted", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		mustSetBlock(t, l, "77", 1, 2)
		mustEnroll(t, l, testEnrollment("", 0))
		mustEnroll(t, l, testEnrollment("", 0))
		refuseEnroll(t, l, testEnrollment("", 0), agent.EUNAVAILABLE, "used up; ask HQ for a new block")
	})

	t.Run("ErrNoBlock", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		refuseEnroll(t, l, testEnrollment("", 0), agent.EUNAVAILABLE, "ask HQ for a block")
	})

	t.Run("ErrSaleQualifiesOnce", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		mustSetBlock(t, l, "8800", 1, 99999999)
		commitN(t, l, 1)
		mustEnroll(t, l, testEnrollment("sale-1", 5))
		refuseEnroll(t, l, testEnrollment("sale-1", 5), agent.ECONFLICT, "already qualified the enrollment of card *********0013")
		refuseEnroll(t, l, testEnrollment("sale-2", 0), agent.ENOTFOUND, "not in this store's records")
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		mustSetBlock(t, l, "8800", 1, 99999999)
		for _, tt := range []struct {
			name string
			edit func(*agent.Enrollment)
			msg  string
		}{
			{"OtherStore", func(e *agent.Enrollment) { e.StoreID = "S002" }, "store"},
			{"NoLane", func(e *agent.Enrollment) { e.LaneID = "" }, "lane"},
			{"NotSealed", func(e *agent.Enrollment) { e.SealedPersonal = nil }, "sealed personal data"},
			{"PointsWithoutSale", func(e *agent.Enrollment) {
				e.Points = []agent.PointsEntry{{Kind: agent.PointsEarn, Points: 1}}
			}, "only its qualifying sale"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e := testEnrollment("", 0)
				tt.edit(e)
				refuseEnroll(t, l, e, agent.EINVALID, tt.msg)
			})
		}
	})

	t.Run("OKCompact", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		mustSetBlock(t, l, "8800", 1, 99999999)
		commitN(t, l, 1)
		e := mustEnroll(t, l, testEnrollment("sale-1", 7))
		if err := l.SetWatermark(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if n, err := l.Compact(ctx, at(100), 10); err != nil || n != 2 {
			t.Fatalf("Compact() = %d, %v; want 2", n, err)
		}
		if es := mustLocalEntries(t, l, e.Member.Card); len(es) != 0 {
			t.Errorf("LocalEntries() after compaction = %+v, want none", es)
		}
		if card, err := l.EnrolledBySale(ctx, "sale-1"); err != nil || card != e.Member.Card {
			t.Errorf("EnrolledBySale() after compaction = %q, %v; the sale's use must be kept", card, err)
		}
		if err := l.Check(ctx); err != nil {
			t.Errorf("Check() = %v", err)
		}
	})
}

// refuseEnroll checks that CommitEnrollment refuses e with code and a
// message containing want, and changes neither the ledger nor e.
func refuseEnroll(t *testing.T, l *Ledger, e *agent.Enrollment, code, want string) {
	t.Helper()
	before, copied := mustStatus(t, l), *e
	blockBefore, blockErr := l.EnrollBlock(context.Background())
	err := l.CommitEnrollment(context.Background(), e)
	if agent.ErrorCode(err) != code || !strings.Contains(agent.ErrorMessage(err), want) {
		t.Fatalf("CommitEnrollment() = %v, want %s containing %q", err, code, want)
	}
	if after := mustStatus(t, l); after != before {
		t.Errorf("refused enrollment moved the journal from %+v to %+v", before, after)
	}
	if blockAfter, err := l.EnrollBlock(context.Background()); blockAfter != blockBefore || agent.ErrorCode(err) != agent.ErrorCode(blockErr) {
		t.Errorf("refused enrollment moved the block from %+v to %+v", blockBefore, blockAfter)
	}
	if !reflect.DeepEqual(*e, copied) {
		t.Errorf("refused CommitEnrollment changed the enrollment: %+v, was %+v", *e, copied)
	}
}
