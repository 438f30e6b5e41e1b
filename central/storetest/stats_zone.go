package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

// ZoneOpener opens a fresh, empty store whose member statistics follow
// the calendar of zone; it registers the store's Close with t.Cleanup.
type ZoneOpener func(t *testing.T, zone *time.Location) central.Store

// RunStatsZone checks that the member statistics' months are months of
// the store's calendar: a sale at 00:30 on 1 January in Shanghai (16:30
// UTC on 31 December) is January's in a Shanghai store — in the
// statistics window and in the new year's rebate — and December's in a
// UTC one.
func RunStatsZone(t *testing.T, open ZoneOpener) {
	sh := shanghai(t)
	newYear := time.Date(2027, 1, 1, 0, 30, 0, 0, sh)
	for _, tc := range []struct {
		name      string
		zone      *time.Location
		january   int64 // visits in a one-month window of January 2027
		rebate    int64 // points of the 2027 rebate (0.5 % of 999,000 fen at 100 fen a point)
		rebate26  int64 // points of the 2026 rebate
		rebateNow time.Time
		// spendAt7 is the window spend of one month read at 07:00 on 1
		// January in Shanghai (23:00 UTC on 31 December): January's in a
		// Shanghai store, December's in a UTC one.
		spendAt7 int64
	}{
		{"Shanghai", sh, 1, 49, 0, time.Date(2028, 1, 2, 0, 0, 0, 0, sh), 999_000},
		{"UTC", time.UTC, 0, 0, 49, time.Date(2028, 1, 2, 0, 0, 0, 0, sh), 999_100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, tc.zone)
			ingest(t, s, Batch("s1", "a1", sale1(1, rebateUntiered, newYear, 999_000),
				sale1(2, rebateUntiered, time.Date(2026, 12, 31, 23, 0, 0, 0, sh), 100)))
			a, err := statsStore(t, s).MemberStats(context.Background(), rebateUntiered, time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC), 1)
			if err != nil {
				t.Fatal(err)
			}
			if a.Visits != tc.january {
				t.Errorf("visits in January 2027 = %d, want %d", a.Visits, tc.january)
			}
			at7 := time.Date(2027, 1, 1, 7, 0, 0, 0, sh).UTC() // the window follows the store's zone, not now's
			if a, err := statsStore(t, s).MemberStats(context.Background(), rebateUntiered, at7, 1); err != nil || a.SpendFen != tc.spendAt7 {
				t.Errorf("window spend at %s = %d, %v; want %d", at7, a.SpendFen, err, tc.spendAt7)
			}
			var all int
			if err := statsStore(t, s).AllMemberStats(context.Background(), at7, 1, func(a central.MemberActivity) error {
				all++
				if a.SpendFen != tc.spendAt7 {
					t.Errorf("AllMemberStats window spend = %d, want %d", a.SpendFen, tc.spendAt7)
				}
				return nil
			}); err != nil || all != 1 {
				t.Errorf("AllMemberStats = %d members, %v", all, err)
			}
			for year, want := range map[int]int64{2027: tc.rebate, 2026: tc.rebate26} {
				p, err := central.DefaultRebatePolicy(year)
				if err != nil {
					t.Fatal(err)
				}
				res := postRebate(t, s, p, tc.rebateNow)
				if res.Points != want {
					t.Errorf("rebate %d = %+v, want %d points", year, res, want)
				}
			}
		})
	}
}
