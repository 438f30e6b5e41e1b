package central

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestRateBP(t *testing.T) {
	for _, tc := range []struct{ num, den, want int64 }{
		{1, 3, 3333}, {2, 3, 6667}, {1, 2, 5000}, {1, 20000, 1}, {1, 20001, 0},
		{0, 0, 0}, {5, 0, 0}, {5, -1, 0}, {3, 2, 15000}, {-1, 20000, -1},
		{math.MaxInt64, math.MaxInt64, 10000}, // the product overflows int64
	} {
		if got := RateBP(tc.num, tc.den); got != tc.want {
			t.Errorf("RateBP(%d, %d) = %d, want %d", tc.num, tc.den, got, tc.want)
		}
	}
}

func TestFormatBP(t *testing.T) {
	for bp, want := range map[int64]string{0: "0.00 %", 1234: "12.34 %", 10000: "100.00 %", 5: "0.05 %",
		-5: "-0.05 %", math.MinInt64: "-92233720368547758.08 %"} {
		if got := FormatBP(bp); got != want {
			t.Errorf("FormatBP(%d) = %q, want %q", bp, got, want)
		}
	}
}

func TestNewPointsLiability(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	t.Run("OK", func(t *testing.T) {
		// 1 expired of 3: 3333 bp. 1001 points at 0.5 fen: 500.5 → 501;
		// less breakage 1001 × 50 × 6667 ÷ 10^6 = 333.683 → 334.
		l, err := NewPointsLiability(now, 1001, 7, 1, 2, 50)
		if err != nil {
			t.Fatalf("NewPointsLiability: %v", err)
		}
		if l.BreakageBP != 3333 || l.GrossFen != 501 || l.LiabilityFen != 334 ||
			!l.BreakageFrom.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("liability = %+v", l)
		}
	})
	t.Run("OKAllExpired", func(t *testing.T) {
		l, err := NewPointsLiability(now, 1000, 1, 10, 0, 100)
		if err != nil || l.BreakageBP != 10000 || l.GrossFen != 1000 || l.LiabilityFen != 0 {
			t.Fatalf("liability = %+v, %v; want breakage 100 %% and nothing owed", l, err)
		}
	})
	t.Run("OKHugeBalances", func(t *testing.T) {
		l, err := NewPointsLiability(now, math.MaxInt64/2, 1, 0, 0, MaxPointValueFenPer100)
		if err != nil || l.GrossFen != math.MaxInt64 {
			t.Fatalf("liability = %+v, %v; want the value saturated, not wrapped", l, err)
		}
	})
	for _, tc := range []struct {
		name               string
		out, exp, red, val int64
	}{
		{"ErrNegativeValue", 1, 0, 0, -1}, {"ErrValueTooLarge", 1, 0, 0, MaxPointValueFenPer100 + 1},
		{"ErrNegativeOutstanding", -1, 0, 0, 100}, {"ErrNegativeExpired", 1, -1, 0, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPointsLiability(now, tc.out, 0, tc.exp, tc.red, tc.val)
			if ErrorCode(err) != EINVALID {
				t.Fatalf("err = %v, want %s", err, EINVALID)
			}
		})
	}
}

func TestRollupSales(t *testing.T) {
	utcHour := func(d, h int) time.Time { return time.Date(2026, 1, d, h, 0, 0, 0, time.UTC) }
	hours := []HourSales{
		{StoreID: "s2", Hour: utcHour(10, 18), Sales: 1, TotalFen: 100},
		{StoreID: "s1", Hour: utcHour(10, 19), Sales: 2, TotalFen: 200, MemberSales: 1, MemberFen: 50},
		{StoreID: "s1", Hour: utcHour(10, 18), Sales: 4, TotalFen: 400, MemberSales: 4, MemberFen: 400},
	}
	t.Run("OKHalfHourZone", func(t *testing.T) {
		// +05:30: 18:00Z is 23:30 on the 10th, 19:00Z is 00:30 on the 11th.
		loc := time.FixedZone("IST", 5*3600+1800)
		got := RollupSales(hours, PeriodDay, loc)
		want := []PeriodSales{
			{StoreID: "s1", Start: time.Date(2026, 1, 10, 0, 0, 0, 0, loc), Sales: 4, TotalFen: 400},
			{StoreID: "s1", Start: time.Date(2026, 1, 11, 0, 0, 0, 0, loc), Sales: 2, TotalFen: 200},
			{StoreID: "s2", Start: time.Date(2026, 1, 10, 0, 0, 0, 0, loc), Sales: 1, TotalFen: 100},
		}
		if len(got) != len(want) {
			t.Fatalf("RollupSales = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i].StoreID != want[i].StoreID || !got[i].Start.Equal(want[i].Start) || got[i].Sales != want[i].Sales ||
				got[i].TotalFen != want[i].TotalFen {
				t.Fatalf("RollupSales[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
		if h := RollupSales(hours, PeriodHour, loc); len(h) != 3 || h[0].Start.Hour() != 23 || h[0].Start.Minute() != 30 {
			t.Fatalf("RollupSales by hour = %+v, want UTC hours labelled 23:30 local", h)
		}
	})
	t.Run("OKMonths", func(t *testing.T) {
		got := RollupMemberContribution(hours, time.UTC)
		if len(got) != 2 || got[0].StoreID != "s1" || got[0].Sales != 6 || got[0].MemberFen != 450 || got[0].RateBP != 7500 ||
			got[1].RateBP != 0 {
			t.Fatalf("RollupMemberContribution = %+v", got)
		}
	})
}

func TestReportRange(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 1, 10, 17, 0, 0, 0, time.UTC) // 01:00 on the 11th in loc
	t.Run("OKDefaults", func(t *testing.T) {
		from, to, err := ReportRange("from", "", "to", "", now, loc)
		if err != nil || !to.Equal(time.Date(2026, 1, 12, 0, 0, 0, 0, loc)) || !from.Equal(time.Date(2025, 12, 13, 0, 0, 0, 0, loc)) {
			t.Fatalf("ReportRange = %v, %v, %v; want the 30 local days through today", from, to, err)
		}
	})
	t.Run("OKDateAndRFC3339", func(t *testing.T) {
		from, to, err := ReportRange("from", "2026-01-01", "to", "2026-01-02T00:00:00Z", now, loc)
		if err != nil || !from.Equal(time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC)) ||
			!to.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("ReportRange = %v, %v, %v", from, to, err)
		}
	})
	for _, tc := range []struct{ name, from, to, wantInMessage string }{
		{"ErrBadFrom", "yesterday", "", "--from"},
		{"ErrBadTo", "", "2026-13-01", "--to"},
		{"ErrReversed", "2026-02-01", "2026-01-01", "--from/--to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReportRange("--from", tc.from, "--to", tc.to, now, loc)
			if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tc.wantInMessage) {
				t.Fatalf("err = %v, want %s naming %s", err, EINVALID, tc.wantInMessage)
			}
		})
	}
}

func TestSyncStatusOf(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	presence := []Presence{
		{AgentID: "a1", StoreID: "s1", Online: true, OutboxDepth: 3, OldestUnsynced: now.Add(-90*time.Second - time.Millisecond),
			ClockSkew: 2 * time.Second},
		{AgentID: "a3", StoreID: "s3"},
	}
	agents := []AgentSync{{AgentID: "a1", StoreID: "s1", Events: 10, MaxSeq: 10, ContiguousThrough: 9},
		{AgentID: "a2", StoreID: "s2", Events: 1}}
	got := SyncStatusOf(presence, agents, now)
	if len(got) != 3 || got[0].AgentID != "a1" || got[1].AgentID != "a2" || got[2].AgentID != "a3" {
		t.Fatalf("SyncStatusOf = %+v, want a1, a2, a3", got)
	}
	if a := got[0]; !a.HasPresence || !a.Online || a.Lag != 90*time.Second || a.Events != 10 || a.ContiguousThrough != 9 {
		t.Errorf("a1 = %+v, want presence and journal joined, lag 90s", a)
	}
	if a := got[1]; a.HasPresence || a.Events != 1 {
		t.Errorf("a2 = %+v, want journal only", a)
	}
	if a := got[2]; !a.HasPresence || a.Lag != 0 || a.Events != 0 {
		t.Errorf("a3 = %+v, want presence only, no lag", a)
	}
}
