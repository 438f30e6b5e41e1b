package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/sqlite"
)

func TestCommand_Tiers(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./central.yaml
	path, cards := classifyDB(t)
	run := func(args ...string) (string, error) {
		t.Helper()
		out, _, err := execute(t, context.Background(), "", append(args, "--db", path)...)
		for _, c := range cards {
			if strings.Contains(out, c) {
				t.Fatalf("%v printed a full card number:\n%s", args, out)
			}
		}
		return out, err
	}
	if _, err := run("tiers", "show", "--card", cards[0]); err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Fatalf("show before any run: err %v, want not_found", err)
	}
	// Six classified members: the top one (card 9) ordinary → silver,
	// the others small → regular.
	out, err := run("classify", "--as-of", "2026-02-01")
	if err != nil || !strings.Contains(out, "tiers: 6 cards, 6 raised, 0 lowered, 0 downgrades pending") {
		t.Fatalf("classify = %v:\n%s", err, out)
	}
	if out, err = run("tiers", "show", "--card", cards[5]); err != nil || !strings.Contains(out, "tier silver since 2026-02-01T00:00:00Z, floor none") {
		t.Fatalf("show card 9 = %v:\n%s", err, out)
	}
	if out, err = run("tiers", "set-floor", "--card", cards[0], "--tier", "gold"); err != nil || !strings.Contains(out, "tier gold since") ||
		!strings.Contains(out, "floor gold") {
		t.Fatalf("set-floor gold = %v:\n%s", err, out)
	}
	if _, err = run("tiers", "set-floor", "--card", cards[0], "--tier", "platinum"); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("set-floor platinum: err %v, want invalid", err)
	}
	if out, err = run("classify", "--as-of", "2026-02-02"); err != nil {
		t.Fatalf("classify again: %v", err)
	}
	if out, err = run("tiers", "show", "--card", cards[0]); err != nil || !strings.Contains(out, "tier gold") {
		t.Fatalf("floor after a recalculation = %v:\n%s", err, out)
	}
}

func TestRecalculateIfDue(t *testing.T) {
	path, cards := classifyDB(t)
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx := context.Background()
	c := DefaultConfig().Tiers
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, step := range []struct {
		now  time.Time
		want bool
	}{{t0, true}, {t0.Add(c.RecalculateEvery - time.Minute), false}, {t0.Add(c.RecalculateEvery), true}} {
		ran, err := recalculateIfDue(ctx, db, c, nil, step.now)
		if err != nil || ran != step.want {
			t.Fatalf("recalculateIfDue(%s) = %t, %v; want %t", step.now, ran, err, step.want)
		}
	}
	st, err := db.Tier(ctx, cards[5])
	if err != nil || st.Tier != "silver" {
		t.Fatalf("Tier(card 9) = %+v, %v; want silver", st, err)
	}
	run, err := db.LatestRun(ctx)
	if err != nil || !run.AsOf.Equal(t0.Add(c.RecalculateEvery)) {
		t.Fatalf("LatestRun = %+v, %v; want as of %s", run, err, t0.Add(c.RecalculateEvery))
	}
}

func TestConfig_Tiers(t *testing.T) {
	for name, mutate := range map[string]func(c *Config){
		"tiers":                   func(c *Config) { c.Tiers.Mapping.Big = "platinum" },
		"tiers ":                  func(c *Config) { c.Tiers.Downgrade = "sometimes" },
		"tiers.recalculate_every": func(c *Config) { c.Tiers.RecalculateEvery = time.Second },
	} {
		c := DefaultConfig()
		mutate(&c)
		p := c.Validate()
		if len(p) != 1 || !strings.HasPrefix(p[0], strings.TrimSpace(name)+":") {
			t.Errorf("%s: problems %v, want one naming %s", name, p, strings.TrimSpace(name))
		}
	}
	c := DefaultConfig()
	c.Tiers.RecalculateEvery = 0
	if p := c.Validate(); len(p) != 0 {
		t.Errorf("recalculate_every 0: problems %v", p)
	}
	if err := DefaultConfig().Tiers.policy().Validate(); err != nil || central.DefaultTierPolicy().Downgrade != c.Tiers.Downgrade {
		t.Errorf("default tiers policy: %v", err)
	}
}
