package importfile_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/importfile"
)

func openExample(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "configs", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

func TestExamples_Catalog(t *testing.T) {
	ps, err := importfile.ParseCatalogCSV(openExample(t, "catalog.example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	bySKU := map[string]agent.Product{}
	for _, p := range ps {
		bySKU[p.SKU] = p
	}
	if len(ps) < 15 {
		t.Errorf("%d products, want at least 15", len(ps))
	}
	if p := bySKU["1001"]; p.PriceFen != 1290 || p.MemberPriceFen != 1150 || p.Barcodes[0] != "06901234000016" {
		t.Errorf("milk: %+v", p)
	}
	if p := bySKU["2001"]; !p.Weighed || p.ItemCode != 12345 || len(p.Barcodes) != 0 {
		t.Errorf("apples: %+v", p)
	}
	if p := bySKU["1011"]; p.PointsEligible || p.Category != "tobacco" {
		t.Errorf("tobacco: %+v", p)
	}
	if p := bySKU["1008"]; p.Barcodes[0] != "00000096385074" {
		t.Errorf("EAN-8 not normalised: %+v", p)
	}
	if p := bySKU["1006"]; len(p.Barcodes) != 2 || p.Barcodes[1] != "16901234000068" {
		t.Errorf("two barcodes: %+v", p)
	}
}

func TestExamples_Members(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := importfile.ParseMembersCSVIn(openExample(t, "members.example.csv"), loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 5 {
		t.Fatalf("%d members, want 5", len(ms))
	}
	vip := ms[0]
	wantExp := time.Date(2027, 12, 31, 23, 59, 59, 999e6, loc)
	if vip.Tier != "vip" || vip.Balance != 52000 || len(vip.Lots) != 1 || !vip.Lots[0].ExpiresAt.Equal(wantExp) {
		t.Errorf("vip: %+v", vip)
	}
	var blocked, staff, debt int
	for _, m := range ms {
		if m.Blocked && m.BlockReason != "" {
			blocked++
		}
		if m.Staff {
			staff++
		}
		if m.Debt > 0 && m.Balance == 0 && len(m.Lots) == 0 {
			debt++
		}
	}
	if blocked != 1 || staff != 1 || debt != 1 {
		t.Errorf("blocked %d, staff %d, in debt %d; want 1 each", blocked, staff, debt)
	}
}

func TestExamples_Policy(t *testing.T) {
	p, err := importfile.ParsePolicyYAML(openExample(t, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.EarnPoints != 1 || p.EarnPerFen != 100 || p.Rounding != agent.RoundFloor || p.TierMultipliers["vip"] != 200 ||
		p.TierMultipliers["gold"] != 150 || p.Expiry.Kind != agent.ExpiryEndOfNextYear || p.OfflineDailyCap != 5000 ||
		p.PointsTenderPoints != 100 || p.PointsTenderFen != 100 || len(p.Rewards) != 2 || p.Location != "Asia/Shanghai" ||
		p.ReturnWindowDays != 7 || p.PendingDays != 7 || p.ExcludedCategories[0] != "tobacco" {
		t.Errorf("policy: %+v", p)
	}
	if len(p.Promotions) != 1 || p.Promotions[0].Start.Format(time.RFC3339) != "2026-02-10T00:00:00+08:00" {
		t.Errorf("promotions: %+v", p.Promotions)
	}
	if len(p.CardPatterns) != 1 || p.CardPatterns[0].Prefix != "8800" || p.CardPatterns[0].Length != 13 {
		t.Errorf("card patterns: %+v", p.CardPatterns)
	}
	if len(p.WeighedLayouts) != 2 || p.WeighedLayouts[0] != (agent.WeighedLayout{Prefix: "21", ItemDigits: 5, ValueDigits: 5, Value: agent.WeighedWeight}) {
		t.Errorf("weighed layouts: %+v", p.WeighedLayouts)
	}
	// The example must also pass the rules between fields, as the CLI checks.
	if err := p.Validate(); err != nil {
		t.Errorf("example policy does not validate: %v", err)
	}
}

// TestExamples_ScanTogether scans example labels against the example
// catalog and policy: a card, an EAN-13, and a weight label for apples.
func TestExamples_ScanTogether(t *testing.T) {
	p, err := importfile.ParsePolicyYAML(openExample(t, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cards, err := agent.NewCardMatcher(p.CardPatterns)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := importfile.ParseMembersCSV(openExample(t, "members.example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if _, ok := cards.Match(m.Card); !ok {
			t.Errorf("example card %s is not recognised by the example card pattern", agent.MaskCard(m.Card))
		}
	}
}
