package central

import (
	"strconv"
	"time"
)

// The ...Records functions render reports as CSV records, a header then one
// record per row, so the HTTP CSV export and the CLI's csv and table
// formats show the same columns. Money is in fen and in yuan, rates in
// basis points and as "12.34 %"; local periods are in the report's zone
// (a day "2006-01-02", an hour "2006-01-02 15:04", a month "2006-01") and
// instants in RFC 3339 UTC, empty when unknown.

// SalesRecords renders SalesByPeriod rows of period by.
func SalesRecords(rows []PeriodSales, by string) [][]string {
	layout := time.DateOnly
	if by == PeriodHour {
		layout = "2006-01-02 15:04"
	}
	out := [][]string{{"store_id", "period_start", "sales", "total_fen", "total_yuan"}}
	for _, r := range rows {
		out = append(out, []string{r.StoreID, r.Start.Format(layout), itoa(r.Sales), itoa(r.TotalFen), FormatFen(r.TotalFen)})
	}
	return out
}

// ContributionRecords renders MemberContribution rows.
func ContributionRecords(rows []MemberContribution) [][]string {
	out := [][]string{{"store_id", "month", "sales", "total_fen", "member_sales", "member_fen", "rate_bp", "rate"}}
	for _, r := range rows {
		out = append(out, []string{r.StoreID, r.Month.Format("2006-01"), itoa(r.Sales), itoa(r.TotalFen),
			itoa(r.MemberSales), itoa(r.MemberFen), itoa(r.RateBP), FormatBP(r.RateBP)})
	}
	return out
}

// LiabilityRecords renders a PointsLiability as one record.
func LiabilityRecords(l PointsLiability) [][]string {
	return [][]string{
		{"as_of", "outstanding_points", "cards", "point_value_fen_per_100_points", "breakage_from", "expired_points",
			"redeemed_points", "breakage_bp", "breakage", "gross_fen", "liability_fen", "liability_yuan"},
		{instant(l.AsOf), itoa(l.OutstandingPoints), itoa(l.Cards), itoa(l.PointValueFenPer100), instant(l.BreakageFrom),
			itoa(l.ExpiredPoints), itoa(l.RedeemedPoints), itoa(l.BreakageBP), FormatBP(l.BreakageBP), itoa(l.GrossFen),
			itoa(l.LiabilityFen), FormatFen(l.LiabilityFen)},
	}
}

// RedemptionRecords renders a RedemptionRate as one record.
func RedemptionRecords(r RedemptionRate) [][]string {
	return [][]string{
		{"from", "to", "earned_points", "redeemed_points", "rate_bp", "rate"},
		{instant(r.From), instant(r.To), itoa(r.EarnedPoints), itoa(r.RedeemedPoints), itoa(r.RateBP), FormatBP(r.RateBP)},
	}
}

// SyncStatusRecords renders SyncStatusOf rows; durations in whole
// milliseconds or seconds as the column names say.
func SyncStatusRecords(rows []SyncStatus) [][]string {
	out := [][]string{{"store_id", "agent_id", "online", "last_seen", "outbox_depth", "oldest_unsynced",
		"lag_seconds", "clock_skew_ms", "events", "max_seq", "contiguous_through", "last_received", "max_clock_skew_ms"}}
	for _, r := range rows {
		online := ""
		if r.HasPresence {
			online = strconv.FormatBool(r.Online)
		}
		out = append(out, []string{r.StoreID, r.AgentID, online, instant(r.LastSeen), utoa(r.OutboxDepth),
			instant(r.OldestUnsynced), itoa(int64(r.Lag / time.Second)), itoa(r.ClockSkew.Milliseconds()),
			itoa(r.Events), utoa(r.MaxSeq), utoa(r.ContiguousThrough), instant(r.LastReceivedAt),
			itoa(r.MaxClockSkew.Milliseconds())})
	}
	return out
}

func itoa(n int64) string  { return strconv.FormatInt(n, 10) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }

// instant is t in RFC 3339 UTC, "" for the zero time.
func instant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
