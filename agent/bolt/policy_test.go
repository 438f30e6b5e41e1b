package bolt

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

func testPolicy(version uint64) *agent.Policy {
	return &agent.Policy{
		Version: version, Location: "Asia/Shanghai", EarnPoints: 1, EarnPerFen: 100, Rounding: agent.RoundFloor,
		TierMultipliers:     map[string]int64{"gold": 150},
		CategoryMultipliers: map[string]int64{"fresh": 200}, ExcludedCategories: []string{"tobacco"},
		Promotions:       []agent.Promotion{{ID: "p1", Start: at(0), End: at(60 * 24), Multiplier: 300}},
		ReturnWindowDays: 7, PendingDays: 7, Expiry: agent.ExpiryRule{Kind: agent.ExpiryEndOfNextYear},
		OfflineDailyCap: 5000, PointsTenderPoints: 100, PointsTenderFen: 100,
		CardPatterns:   []agent.CardPattern{{Name: "chain", Prefix: "622588", Length: 16, Luhn: true}},
		WeighedLayouts: []agent.WeighedLayout{{Prefix: "2", ItemDigits: 5, ValueDigits: 5, Value: agent.WeighedPrice}},
	}
}

func TestLedger_SetPolicy(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		for _, v := range []uint64{1, 4} {
			if err := l.SetPolicy(ctx, testPolicy(v)); err != nil {
				t.Fatalf("SetPolicy(%d) = %v", v, err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := mustOpen(t, path, testOptions()).CurrentPolicy(ctx)
		if err != nil {
			t.Fatalf("CurrentPolicy() = %v", err)
		}
		if want := testPolicy(4); !reflect.DeepEqual(got, want) {
			t.Errorf("CurrentPolicy() =\n%+v\nwant\n%+v", got, want)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.SetPolicy(ctx, testPolicy(3)); err != nil {
			t.Fatal(err)
		}
		for _, v := range []uint64{3, 2} {
			err := l.SetPolicy(ctx, testPolicy(v))
			if agent.ErrorCode(err) != agent.ECONFLICT || !strings.Contains(err.Error(), "is not newer than 3") {
				t.Errorf("SetPolicy(%d) = %v, want ECONFLICT", v, err)
			}
		}
		if p, err := l.CurrentPolicy(ctx); err != nil || p.Version != 3 {
			t.Errorf("CurrentPolicy() = %+v, %v; want version 3", p, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.SetPolicy(ctx, nil); agent.ErrorCode(err) != agent.EINVALID {
			t.Errorf("SetPolicy(nil) = %v, want EINVALID", err)
		}
	})
}

func TestLedger_CurrentPolicy(t *testing.T) {
	t.Run("ErrUnavailable", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		_, err := l.CurrentPolicy(context.Background())
		if agent.ErrorCode(err) != agent.EUNAVAILABLE || !strings.Contains(agent.ErrorMessage(err), "tillsync-agent policy load") {
			t.Errorf("CurrentPolicy() = %v, want EUNAVAILABLE telling how to load one", err)
		}
	})
}
