package central_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
)

func rebatePolicy(t *testing.T, year int) central.RebatePolicy {
	t.Helper()
	p, err := central.DefaultRebatePolicy(year)
	if err != nil {
		t.Fatalf("DefaultRebatePolicy: %v", err)
	}
	return p
}

func TestRebatePolicy_Validate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if err := rebatePolicy(t, 2026).Validate(); err != nil {
			t.Fatalf("default policy: %v", err)
		}
	})
	bad := map[string]func(p *central.RebatePolicy){
		"year":          func(p *central.RebatePolicy) { p.Year = 999 },
		"fen_per_point": func(p *central.RebatePolicy) { p.FenPerPoint = 0 },
		"location":      func(p *central.RebatePolicy) { p.Location = nil },
		"expiry":        func(p *central.RebatePolicy) { p.Expiry = "soon" },
		"untiered_tier": func(p *central.RebatePolicy) { p.UntieredTier = "a b" },
		"rates is empty": func(p *central.RebatePolicy) {
			p.RatesBP = nil
		},
		"rates.vip":  func(p *central.RebatePolicy) { p.RatesBP["vip"] = 10_001 },
		"rates \"\"": func(p *central.RebatePolicy) { p.RatesBP[""] = 1 },
	}
	for field, mutate := range bad {
		t.Run("ErrInvalid/"+field, func(t *testing.T) {
			p := rebatePolicy(t, 2026)
			mutate(&p)
			err := p.Validate()
			if central.ErrorCode(err) != central.EINVALID || !strings.Contains(err.Error(), field) {
				t.Fatalf("Validate() = %v, want EINVALID naming %q", err, field)
			}
		})
	}
}

func TestRebatePolicy_RatePoints(t *testing.T) {
	p := rebatePolicy(t, 2026)
	for _, c := range []struct {
		spend, rate, fpp, want int64
	}{
		{spend: 1_000_000, rate: 100, fpp: 100, want: 100}, // 1 % of ¥10,000 = ¥100 = 100 points
		{spend: 19_999, rate: 50, fpp: 100, want: 0},       // 0.5 % of ¥199.99 = 99.9995 fen: floor 0
		{spend: 20_000, rate: 50, fpp: 100, want: 1},
		{spend: 12_345, rate: 10_000, fpp: 1, want: 12_345},
		{spend: -500, rate: 100, fpp: 1, want: 0},
		{spend: 500, rate: 0, fpp: 1, want: 0},
		// spend × rate overflows int64 here; 128-bit product, capped.
		{spend: 1 << 62, rate: 10_000, fpp: 1, want: central.MaxEntryPoints},
		{spend: 1 << 62, rate: 10_000, fpp: 100_000_000, want: (1 << 62) / 100_000_000},
	} {
		p.FenPerPoint = c.fpp
		if got := p.RatePoints(c.spend, c.rate); got != c.want {
			t.Errorf("RatePoints(%d fen, %d bp, %d fen/pt) = %d, want %d", c.spend, c.rate, c.fpp, got, c.want)
		}
	}
}

func TestRebatePolicy_CheckRun(t *testing.T) {
	p := rebatePolicy(t, 2026)
	// Shanghai's year ends at 16:00 UTC on 31 December, but the UTC
	// buckets only at midnight UTC: the later one counts.
	for _, c := range []struct {
		now  time.Time
		code string
	}{
		{time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), central.EINVALID},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), central.EINVALID},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC), ""},
	} {
		if code := central.ErrorCode(p.CheckRun(c.now)); code != c.code {
			t.Errorf("CheckRun(%s) code %q, want %q", c.now, code, c.code)
		}
	}
	// West of UTC the local midnight is the later one.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	p.Location = ny
	if got, want := p.YearEnd(), time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("YearEnd in New York = %s, want %s", got, want)
	}
}

func TestRebateEntryID(t *testing.T) {
	if got := central.RebateEntryID(2026, "8800000000017"); got != "central:rebate:2026:8800000000017" {
		t.Errorf("RebateEntryID = %q", got)
	}
	long := strings.Repeat("9", 64)
	id := central.RebateEntryID(2026, long)
	if len(id) > 64 || !strings.HasPrefix(id, "central:rebate:2026~") {
		t.Errorf("RebateEntryID(64-digit card) = %q (%d bytes), want a hashed id of at most 64", id, len(id))
	}
	if id != central.RebateEntryID(2026, long) || id == central.RebateEntryID(2026, long[1:]+"8") {
		t.Errorf("hashed ids must be deterministic and differ per card")
	}
	if central.RebateEntryID(2026, "c") == central.RebateEntryID(2027, "c") {
		t.Errorf("years must give different ids")
	}
}

func TestRebatePolicy_RebateEntry(t *testing.T) {
	p := rebatePolicy(t, 2026)
	now := time.Date(2027, 1, 2, 3, 0, 0, 0, time.UTC)
	t.Run("OK", func(t *testing.T) {
		e, ok := p.RebateEntry("C1", "vip", 1_000_000, now)
		want := central.PointsEntry{ID: "central:rebate:2026:C1", Kind: central.PointsAdjust, Points: 200, Card: "C1",
			At: now, Reason: "year-end rebate 2026",
			ExpiresAt: time.Date(2027, 12, 31, 16, 0, 0, 0, time.UTC)} // 1 Jan 2028 in Shanghai
		if !ok || e != want {
			t.Fatalf("RebateEntry = %+v, %v; want %+v", e, ok, want)
		}
	})
	t.Run("UntieredGetsRegular", func(t *testing.T) {
		if e, ok := p.RebateEntry("C1", "", 1_000_000, now); !ok || e.Points != 50 {
			t.Fatalf("untiered = %+v, %v; want regular's 50 points", e, ok)
		}
	})
	t.Run("UnknownTierNothing", func(t *testing.T) {
		if e, ok := p.RebateEntry("C1", "platinum", 1_000_000, now); ok {
			t.Fatalf("unknown tier = %+v, want nothing", e)
		}
	})
	t.Run("NeverExpires", func(t *testing.T) {
		p.Expiry = central.RebateExpiryNever
		if e, _ := p.RebateEntry("C1", "vip", 1_000_000, now); !e.ExpiresAt.IsZero() || !e.AvailableAt.IsZero() {
			t.Fatalf("entry = %+v, want available at once and never expiring", e)
		}
	})
}
