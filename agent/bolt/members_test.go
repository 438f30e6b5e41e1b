package bolt

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
)

func testMember(card string) agent.Member {
	return agent.Member{
		Card: card, MemberID: "M-" + card, MaskedName: "张*", PhoneLast4: "5678", Tier: "gold",
		Balance: 1200, BalanceAt: at(0),
		Lots: []agent.Lot{{ID: "lot-1", Points: 1200, EarnedAt: at(-60), ExpiresAt: time.Date(2026, 12, 31, 15, 59, 59, 0, time.UTC)}},
	}
}

func TestLedger_ReplaceMembers(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := tempPath(t)
		l := mustOpen(t, path, testOptions())
		members := []agent.Member{testMember("6225880112345678"), testMember("6225880100000001")}
		if err := l.ReplaceMembers(ctx, 7, members); err != nil {
			t.Fatalf("ReplaceMembers() = %v", err)
		}
		if err := l.ReplaceMembers(ctx, 8, members[1:]); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path, testOptions())
		if v, err := l.MembersVersion(ctx); err != nil || v != 8 {
			t.Errorf("MembersVersion() = %d, %v; want 8", v, err)
		}
		got, err := l.MemberByCard(ctx, "6225880100000001")
		if err != nil || !reflect.DeepEqual(*got, members[1]) {
			t.Errorf("MemberByCard() = %+v, %v; want %+v", got, err, members[1])
		}
		if _, err := l.MemberByCard(ctx, "6225880112345678"); agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Errorf("MemberByCard(dropped card) = %v, want ENOTFOUND", err)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ReplaceMembers(ctx, 2, nil); err != nil {
			t.Fatal(err)
		}
		err := l.ReplaceMembers(ctx, 2, []agent.Member{testMember("1234")})
		if agent.ErrorCode(err) != agent.ECONFLICT || !strings.Contains(err.Error(), "member list version 2 is not newer than 2") {
			t.Errorf("ReplaceMembers(same version) = %v, want ECONFLICT", err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		tests := []struct {
			name    string
			members []agent.Member
			want    string
		}{
			{"NoCard", []agent.Member{{MemberID: "M1"}}, "card number must be"},
			{"LongCard", []agent.Member{testMember(strings.Repeat("9", 65))}, "card number must be"},
			{"DuplicateCard", []agent.Member{testMember("6225880112345678"), testMember("6225880112345678")}, "card ************5678 twice"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := mustOpen(t, tempPath(t), testOptions())
				err := l.ReplaceMembers(ctx, 1, tt.members)
				if agent.ErrorCode(err) != agent.EINVALID || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("ReplaceMembers() = %v, want EINVALID containing %q", err, tt.want)
				}
				if strings.Contains(err.Error(), "6225880112345678") {
					t.Errorf("error %q carries a full card number", err)
				}
			})
		}
	})
}

func TestLedger_PutMember(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.ReplaceMembers(ctx, 3, []agent.Member{testMember("6225880112345678")}); err != nil {
			t.Fatal(err)
		}
		blocked := testMember("6225880112345678")
		blocked.Blocked, blocked.BlockReason = true, "reported lost"
		added := testMember("6225880199990000")
		for _, m := range []agent.Member{blocked, added} {
			if err := l.PutMember(ctx, m); err != nil {
				t.Fatalf("PutMember() = %v", err)
			}
		}
		for _, want := range []agent.Member{blocked, added} {
			if got, err := l.MemberByCard(ctx, want.Card); err != nil || !reflect.DeepEqual(*got, want) {
				t.Errorf("MemberByCard() = %+v, %v; want %+v", got, err, want)
			}
		}
		if v, err := l.MembersVersion(ctx); err != nil || v != 3 {
			t.Errorf("MembersVersion() after PutMember = %d, %v; want 3 (unchanged)", v, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		if err := l.PutMember(ctx, agent.Member{}); agent.ErrorCode(err) != agent.EINVALID {
			t.Errorf("PutMember(no card) = %v, want EINVALID", err)
		}
	})
}

func TestLedger_MemberByCard(t *testing.T) {
	t.Run("ErrNotFound", func(t *testing.T) {
		l := mustOpen(t, tempPath(t), testOptions())
		_, err := l.MemberByCard(context.Background(), "6225880112345678")
		if agent.ErrorCode(err) != agent.ENOTFOUND {
			t.Fatalf("MemberByCard(unknown) = %v, want ENOTFOUND", err)
		}
		msg := agent.ErrorMessage(err)
		if !strings.Contains(msg, "card ************5678 is not known at this store") || strings.Contains(msg, "6225880112345678") {
			t.Errorf("message %q: want the masked card, never the full one", msg)
		}
	})
}
