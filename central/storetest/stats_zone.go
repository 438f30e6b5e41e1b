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
	}{
		{"Shanghai", sh, 1, 49, 0, time.Date(2028, 1, 2, 0, 0, 0, 0, sh)},
		{"UTC", time.UTC, 0, 0, 49, time.Date(2028, 1, 2, 0, 0, 0, 0, sh)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, tc.zone)
			ingest(t, s, Batch("s1", "a1", sale1(1, rebateUntiered, newYear, 999_000)))
			a, err := statsStore(t, s).MemberStats(context.Background(), rebateUntiered, time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC), 1)
			if err != nil {
				t.Fatal(err)
			}
			if a.Visits != tc.january {
				t.Errorf("visits in January 2027 = %d, want %d", a.Visits, tc.january)
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
