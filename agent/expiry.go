package agent

import "time"

// PendingUntil returns when points earned by a sale at saleAt become
// available: PendingDays calendar days (in Loc) later, so a return inside
// the window cancels pending points first (DESIGN §3, pending points).
// PendingDays 0 makes them available at once (saleAt itself).
func (p *Policy) PendingUntil(saleAt time.Time) time.Time {
	if p.PendingDays <= 0 {
		return saleAt
	}
	return saleAt.In(p.Loc()).AddDate(0, 0, p.PendingDays)
}

// ExpiresAt returns when points earned at earnedAt expire under the
// policy's ExpiryRule (DESIGN §3, expiry in lots): always the last instant
// (23:59:59.999999999) of a day in Loc — the day N days after earning
// (after_days), the last day of the month earned (end_of_month), 31
// December of the year earned (end_of_year) or of the year after
// (end_of_next_year). It returns the zero time (never expires) for
// ExpiryNever, an empty kind, and an unknown kind (which Validate reports):
// keeping points is the safe side of a bad policy.
func (p *Policy) ExpiresAt(earnedAt time.Time) time.Time {
	loc := p.Loc()
	t := earnedAt.In(loc)
	y, m, d := t.Date()
	switch p.Expiry.Kind {
	case ExpiryAfterDays:
		return endOfDay(y, m, d+p.Expiry.Days, loc)
	case ExpiryEndOfMonth:
		// Day 0 of the next month is the last day of this one, which
		// handles 28/29/30/31-day months and leap years alike.
		return endOfDay(y, m+1, 0, loc)
	case ExpiryEndOfYear:
		return endOfDay(y, time.December, 31, loc)
	case ExpiryEndOfNextYear:
		return endOfDay(y+1, time.December, 31, loc)
	}
	return time.Time{}
}

// endOfDay returns the last instant of the day y-m-d in loc (time.Date
// normalises out-of-range months and days). It is computed as the next
// midnight minus 1ns so a day shortened by a daylight-saving change still
// ends at its real last instant.
func endOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
}

// lotLive reports whether l has not expired at now: a lot expires at its
// ExpiresAt instant; a zero ExpiresAt never expires.
func lotLive(l Lot, now time.Time) bool {
	return l.ExpiresAt.IsZero() || now.Before(l.ExpiresAt)
}
