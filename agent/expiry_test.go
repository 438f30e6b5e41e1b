package agent_test

import (
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

// lastInstant is 23:59:59.999999999 of the day in loc.
func ptLastInstant(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 999_999_999, loc)
}

func TestPolicy_ExpiresAt(t *testing.T) {
	sh := ptShanghai(t)
	nye := time.Date(2026, 12, 31, 23, 59, 0, 0, sh)
	tests := []struct {
		name   string
		rule   agent.ExpiryRule
		earned time.Time
		want   time.Time
	}{
		{"EndOfYearOnLastMinute", agent.ExpiryRule{Kind: agent.ExpiryEndOfYear}, nye, ptLastInstant(2026, 12, 31, sh)},
		{"EndOfYearFirstInstant", agent.ExpiryRule{Kind: agent.ExpiryEndOfYear}, time.Date(2027, 1, 1, 0, 0, 0, 0, sh), ptLastInstant(2027, 12, 31, sh)},
		// 23:59 UTC on 31 Dec is already 1 Jan in Shanghai: the policy's zone decides the year.
		{"EndOfYearUTCInput", agent.ExpiryRule{Kind: agent.ExpiryEndOfYear}, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), ptLastInstant(2027, 12, 31, sh)},
		{"EndOfNextYear", agent.ExpiryRule{Kind: agent.ExpiryEndOfNextYear}, nye, ptLastInstant(2027, 12, 31, sh)},
		{"EndOfNextYearJanuary", agent.ExpiryRule{Kind: agent.ExpiryEndOfNextYear}, time.Date(2026, 1, 1, 8, 0, 0, 0, sh), ptLastInstant(2027, 12, 31, sh)},
		{"AfterDays", agent.ExpiryRule{Kind: agent.ExpiryAfterDays, Days: 30}, time.Date(2026, 12, 15, 10, 0, 0, 0, sh), ptLastInstant(2027, 1, 14, sh)},
		{"AfterDaysAcrossYear", agent.ExpiryRule{Kind: agent.ExpiryAfterDays, Days: 1}, nye, ptLastInstant(2027, 1, 1, sh)},
		{"AfterDaysLeapDay", agent.ExpiryRule{Kind: agent.ExpiryAfterDays, Days: 1}, time.Date(2028, 2, 28, 12, 0, 0, 0, sh), ptLastInstant(2028, 2, 29, sh)},
		{"EndOfMonthFebruary", agent.ExpiryRule{Kind: agent.ExpiryEndOfMonth}, time.Date(2027, 2, 3, 9, 0, 0, 0, sh), ptLastInstant(2027, 2, 28, sh)},
		{"EndOfMonthFebruaryLeap", agent.ExpiryRule{Kind: agent.ExpiryEndOfMonth}, time.Date(2028, 2, 3, 9, 0, 0, 0, sh), ptLastInstant(2028, 2, 29, sh)},
		{"EndOfMonthThirtyDays", agent.ExpiryRule{Kind: agent.ExpiryEndOfMonth}, time.Date(2026, 4, 30, 23, 59, 0, 0, sh), ptLastInstant(2026, 4, 30, sh)},
		{"EndOfMonthDecember", agent.ExpiryRule{Kind: agent.ExpiryEndOfMonth}, nye, ptLastInstant(2026, 12, 31, sh)},
		{"Never", agent.ExpiryRule{Kind: agent.ExpiryNever}, nye, time.Time{}},
		{"EmptyKindIsNever", agent.ExpiryRule{}, nye, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &agent.Policy{Location: "Asia/Shanghai", Expiry: tt.rule}
			if got := p.ExpiresAt(tt.earned); !got.Equal(tt.want) {
				t.Errorf("ExpiresAt(%s) = %s, want %s", tt.earned, got, tt.want)
			}
		})
	}
}

func TestPolicy_PendingUntil(t *testing.T) {
	sh := ptShanghai(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load Europe/Berlin: %v", err)
	}
	sale := time.Date(2026, 12, 28, 15, 4, 5, 0, sh)
	tests := []struct {
		name string
		p    agent.Policy
		sale time.Time
		want time.Time
	}{
		{"ZeroDaysAvailableAtOnce", agent.Policy{Location: "Asia/Shanghai"}, sale, sale},
		{"SevenDaysAcrossYear", agent.Policy{Location: "Asia/Shanghai", PendingDays: 7}, sale, time.Date(2027, 1, 4, 15, 4, 5, 0, sh)},
		// Calendar days: the day the clocks go forward is 23 hours long.
		{"CalendarDaysOverDST", agent.Policy{Location: "Europe/Berlin", PendingDays: 1},
			time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), time.Date(2026, 3, 29, 12, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.PendingUntil(tt.sale); !got.Equal(tt.want) {
				t.Errorf("PendingUntil = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPolicy_Loc(t *testing.T) {
	tests := []struct {
		name, location, want string
	}{
		{"OK", "Asia/Shanghai", "Asia/Shanghai"},
		{"EmptyIsUTC", "", "UTC"},
		{"UnknownIsUTC", "Mars/Olympus", "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &agent.Policy{Location: tt.location}
			if got := p.Loc().String(); got != tt.want {
				t.Errorf("Loc() = %s, want %s", got, tt.want)
			}
		})
	}
}
