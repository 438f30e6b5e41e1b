package bolt

import (
	"context"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

func TestLedger_ApplyMembers(t *testing.T) {
	ctx := context.Background()
	member := func(card string, balance int64) agent.Member {
		return agent.Member{Card: card, MemberID: "M-" + card, MaskedName: "张*", Balance: balance, BalanceAt: at(5),
			Lots: []agent.Lot{{ID: "lot-" + card, Points: balance, EarnedAt: at(1)}}}
	}
	balance := func(t *testing.T, l *Ledger, card string) int64 {
		t.Helper()
		m, err := l.MemberByCard(ctx, card)
		if err != nil {
			t.Fatalf("MemberByCard(%s) = %v", card, err)
		}
		return m.Balance
	}
	t.Run("OKSnapshotThenDelta", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		snap := agent.MembersUpdate{Version: 1, Snapshot: true, Upserts: []agent.Member{member("C1", 100), member("C2", 200)}}
		if err := l.ApplyMembers(ctx, snap); err != nil {
			t.Fatal(err)
		}
		delta := agent.MembersUpdate{Version: 2, Base: 1, Upserts: []agent.Member{member("C1", 150), member("C3", 30)}, Removed: []string{"C2"}}
		if err := l.ApplyMembers(ctx, delta); err != nil {
			t.Fatalf("ApplyMembers(delta) = %v", err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path, testOptions())
		if v, err := l.MembersStreamVersion(ctx); err != nil || v != 2 {
			t.Fatalf("MembersStreamVersion = %d, %v; want 2", v, err)
		}
		if b := balance(t, l, "C1"); b != 150 {
			t.Fatalf("C1 balance %d; want 150", b)
		}
		if b := balance(t, l, "C3"); b != 30 {
			t.Fatalf("C3 balance %d; want 30", b)
		}
		if _, err := l.MemberByCard(ctx, "C2"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Fatalf("removed C2: %v; want ENOTFOUND", err)
		}
		// A new snapshot replaces everything.
		if err := l.ApplyMembers(ctx, agent.MembersUpdate{Version: 7, Snapshot: true, Upserts: []agent.Member{member("C9", 9)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.MemberByCard(ctx, "C1"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Fatalf("C1 after a snapshot without it: %v; want ENOTFOUND", err)
		}
	})
	t.Run("ErrConflictGapAndStale", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ApplyMembers(ctx, agent.MembersUpdate{Version: 3, Snapshot: true, Upserts: []agent.Member{member("C1", 100)}}); err != nil {
			t.Fatal(err)
		}
		for name, u := range map[string]agent.MembersUpdate{
			"gap":   {Version: 5, Base: 4, Upserts: []agent.Member{member("C1", 1)}},
			"stale": {Version: 3, Snapshot: true, Upserts: []agent.Member{member("C1", 2)}},
			"older": {Version: 2, Base: 1, Upserts: []agent.Member{member("C1", 3)}},
		} {
			if err := l.ApplyMembers(ctx, u); agent.ErrorCode(err) != agent.ECONFLICT {
				t.Fatalf("%s: ApplyMembers = %v; want ECONFLICT", name, err)
			}
		}
		if b := balance(t, l, "C1"); b != 100 {
			t.Fatalf("C1 balance %d after refused updates; want 100", b)
		}
		if err := l.ApplyMembers(ctx, agent.MembersUpdate{Version: 4, Base: 3, Upserts: []agent.Member{{}}}); agent.ErrorCode(err) != agent.EINVALID {
			t.Fatalf("member without a card: %v; want EINVALID", err)
		}
		if v, _ := l.MembersStreamVersion(ctx); v != 3 {
			t.Fatalf("version %d after refused updates; want 3", v)
		}
	})
	t.Run("OKSnapshotKeepsLocalEnrollment", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		mustSetBlock(t, l, "88", 1, 99)
		e := mustEnroll(t, l, testEnrollment("", 0))
		if err := l.ApplyMembers(ctx, agent.MembersUpdate{Version: 1, Snapshot: true, Upserts: []agent.Member{member("C1", 1)}}); err != nil {
			t.Fatal(err)
		}
		if m, err := l.MemberByCard(ctx, e.Member.Card); err != nil || m.MaskedName != "张*" {
			t.Fatalf("member enrolled here after a snapshot without it = %+v, %v; want kept", m, err)
		}
	})
}

func TestLedger_ApplyEnrollBlock(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ApplyEnrollBlock(ctx, agent.EnrollBlockUpdate{Version: 1, Prefix: "88", First: 1, Last: 99}); err != nil {
			t.Fatal(err)
		}
		if b := mustBlock(t, l); b.Prefix != "88" || b.Start != 1 || b.End != 99 {
			t.Fatalf("block = %+v; want 88 1..99", b)
		}
		if v, err := l.EnrollBlockVersion(ctx); err != nil || v != 1 {
			t.Fatalf("EnrollBlockVersion = %d, %v; want 1", v, err)
		}
		if err := l.ApplyEnrollBlock(ctx, agent.EnrollBlockUpdate{Version: 1, Prefix: "77", First: 1, Last: 9}); agent.ErrorCode(err) != agent.ECONFLICT {
			t.Fatalf("stale version: %v; want ECONFLICT", err)
		}
	})
	t.Run("OKOverlapRefusedNotFatal", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ApplyEnrollBlock(ctx, agent.EnrollBlockUpdate{Version: 1, Prefix: "88", First: 5, Last: 99}); err != nil {
			t.Fatal(err)
		}
		mustEnroll(t, l, testEnrollment("", 0)) // uses number 5
		// A block from 3 overlaps the used 5: refused and logged, but its
		// version is held so central does not send it again.
		if err := l.ApplyEnrollBlock(ctx, agent.EnrollBlockUpdate{Version: 2, Prefix: "88", First: 3, Last: 10}); err != nil {
			t.Fatalf("overlapping block: %v; want nil (logged)", err)
		}
		if b := mustBlock(t, l); b.Start != 5 || b.End != 99 || b.Next != 6 {
			t.Fatalf("block %+v after a refused one; want 5..99 next 6", b)
		}
		if v, _ := l.EnrollBlockVersion(ctx); v != 2 {
			t.Fatalf("EnrollBlockVersion %d; want 2", v)
		}
	})
}

func TestLedger_ApplyCentralKey(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	l := mustOpen(t, path, testOptions())
	if k, err := l.CentralKey(ctx); err != nil || k != nil {
		t.Fatalf("CentralKey before any = %v, %v; want nil, nil", k, err)
	}
	u := agent.CentralKeyUpdate{Version: 2}
	u.Key[0], u.Key[31] = 7, 9
	if err := l.ApplyCentralKey(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := l.ApplyCentralKey(ctx, agent.CentralKeyUpdate{Version: 2}); agent.ErrorCode(err) != agent.ECONFLICT {
		t.Fatalf("stale key version: %v; want ECONFLICT", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, path, testOptions())
	if k, err := l.CentralKey(ctx); err != nil || k == nil || *k != u.Key {
		t.Fatalf("CentralKey after reopen = %v, %v; want the applied key", k, err)
	}
	if v, err := l.CentralKeyVersion(ctx); err != nil || v != 2 {
		t.Fatalf("CentralKeyVersion = %d, %v; want 2", v, err)
	}
}
