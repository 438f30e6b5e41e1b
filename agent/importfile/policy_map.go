package importfile

import "github.com/tillsync/tillsync/agent"

// policy converts the file form to agent.Policy, field for field.
func (f *policyFile) policy() *agent.Policy {
	p := &agent.Policy{
		Version: uint64(f.Version), Location: f.Location, // Version checked non-negative
		EarnPoints: int64(f.EarnPoints), EarnPerFen: int64(f.EarnPerFen), Rounding: agent.Rounding(f.Rounding),
		TierMultipliers: int64Map(f.TierMultipliers), CategoryMultipliers: int64Map(f.CategoryMultipliers),
		ExcludedCategories: f.ExcludedCategories, ExcludedSKUs: f.ExcludedSKUs,
		ReturnWindowDays: int(f.ReturnWindowDays), PendingDays: int(f.PendingDays),
		Expiry:          agent.ExpiryRule{Kind: agent.ExpiryKind(f.Expiry.Kind), Days: int(f.Expiry.Days)},
		OfflineDailyCap: int64(f.OfflineDailyCap), PointsTenderPoints: int64(f.PointsTenderPoints),
		PointsTenderFen: int64(f.PointsTenderFen), EnrollQualifyingFen: int64(f.EnrollQualifyingFen),
		EnrollWithinMinutes: int(f.EnrollWithinMinutes), OfflineWarnAfterHours: int(f.OfflineWarnAfterHours),
	}
	for _, x := range f.Promotions {
		p.Promotions = append(p.Promotions, agent.Promotion{ID: x.ID, Name: x.Name, Start: x.Start.Time, End: x.End.Time,
			SKUs: x.SKUs, Categories: x.Categories, Tiers: x.Tiers, Multiplier: int64(x.Multiplier)})
	}
	for _, x := range f.Rewards {
		p.Rewards = append(p.Rewards, agent.Reward{ID: x.ID, GiftSKU: x.GiftSKU, Name: x.Name, Points: int64(x.Points)})
	}
	for _, x := range f.CardPatterns {
		p.CardPatterns = append(p.CardPatterns, agent.CardPattern{Name: x.Name, Prefix: x.Prefix, Length: int(x.Length), Regexp: x.Regexp, Luhn: x.Luhn})
	}
	for _, x := range f.WeighedLayouts {
		p.WeighedLayouts = append(p.WeighedLayouts, agent.WeighedLayout{Prefix: x.Prefix, ItemDigits: int(x.ItemDigits),
			ValueDigits: int(x.ValueDigits), Value: agent.WeighedValue(x.Value), PriceCheckDigit: x.PriceCheckDigit})
	}
	return p
}

func int64Map(m map[string]integer) map[string]int64 {
	if m == nil {
		return nil
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = int64(v)
	}
	return out
}
