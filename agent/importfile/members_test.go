package importfile_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/agent/importfile"
)

const membersHeader = "card,member_id,masked_name,phone_last4,tier,balance,blocked,block_reason,staff\n"

func TestParseMembersCSV(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		in := membersHeader +
			"8800123456787,M1,张*,1234,gold,300,false,,false\n" +
			"8800000000017,M2,,,regular,-50,true,lost card,false\n" +
			"8800000000024,M3,L*,,regular,0,false,,true\n"
		got, err := importfile.ParseMembersCSV(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d members", len(got))
		}
		if m := got[0]; m.Balance != 300 || len(m.Lots) != 1 || m.Lots[0].Points != 300 || !m.Lots[0].ExpiresAt.IsZero() ||
			!m.Lots[0].AvailableAt.IsZero() || m.Tier != "gold" || m.PhoneLast4 != "1234" || m.MaskedName != "张*" {
			t.Errorf("member 1: %+v", m)
		}
		if m := got[1]; m.Balance != 0 || m.Debt != 50 || len(m.Lots) != 0 || !m.Blocked || m.BlockReason != "lost card" {
			t.Errorf("member 2: %+v", m)
		}
		if m := got[2]; !m.Staff || m.Balance != 0 || m.Debt != 0 || len(m.Lots) != 0 {
			t.Errorf("member 3: %+v", m)
		}
	})
	t.Run("ExpiresUTC", func(t *testing.T) {
		in := strings.TrimSuffix(membersHeader, "\n") + ",expires\n8800123456787,M1,张*,1234,gold,300,false,,false,2026-12-31\n"
		got, err := importfile.ParseMembersCSV(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 12, 31, 23, 59, 59, 999e6, time.UTC); !got[0].Lots[0].ExpiresAt.Equal(want) {
			t.Errorf("expires %v, want %v", got[0].Lots[0].ExpiresAt, want)
		}
	})
	t.Run("Err", func(t *testing.T) {
		tests := []struct {
			name, in string
			want     []string
			never    string // must not appear (personal data, full card)
		}{
			{"PersonalName", "card,member_id,masked_name,phone_last4,tier,balance,blocked,block_reason,staff,full_name\n",
				[]string{"line 1, column full_name", "stores never hold personal data", "DESIGN §3"}, ""},
			{"PersonalColumns", "card,member_id,masked_name,phone_last4,tier,balance,blocked,block_reason,staff,phone,ID Number,address,income\n",
				[]string{"column phone: looks like personal", "column id number: looks like personal", "column address: looks", "column income: looks"}, ""},
			{"PhoneNotLast4", membersHeader + "8800123456787,M1,张*,13800138000,gold,0,false,,false\n",
				[]string{"line 2, column phone_last4", "exactly the last 4 digits"}, "13800138000"},
			{"UnmaskedName", membersHeader + "8800123456787,M1,张三丰,1234,gold,0,false,,false\n",
				[]string{"line 2, column masked_name", "never hold full names"}, "张三丰"},
			{"Balance", membersHeader + "8800123456787,M1,张*,1234,gold,12.5,false,,false\n",
				[]string{`line 2, column balance, value "12.5": points, an integer`}, ""},
			{"BadCard", membersHeader + "8800-1234-5678,M1,张*,1234,gold,0,false,,false\n",
				[]string{"line 2, column card", "letters or digits"}, "8800-1234-5678"},
			{"DuplicateCard", membersHeader + "8800123456787,M1,张*,1234,gold,0,false,,false\n8800123456787,M2,李*,1234,gold,0,false,,false\n",
				[]string{`line 3, column card, value "*********6787": appears twice, first on line 2`}, "8800123456787"},
			{"DuplicateMember", membersHeader + "8800123456787,M1,张*,1234,gold,0,false,,false\n8800000000017,M1,李*,1234,gold,0,false,,false\n",
				[]string{`line 3, column member_id, value "M1": appears twice`}, ""},
			{"BlockedNoReason", membersHeader + "8800123456787,M1,张*,1234,gold,0,true,,false\n",
				[]string{"line 2, column block_reason", "needs a reason"}, ""},
			{"Expires", strings.TrimSuffix(membersHeader, "\n") + ",expires\n8800123456787,M1,张*,1234,gold,5,false,,false,31/12/2026\n",
				[]string{`line 2, column expires, value "31/12/2026": must be a date YYYY-MM-DD`}, ""},
			{"MissingColumn", "card,member_id\n", []string{"line 1, column masked_name: required column is missing"}, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := importfile.ParseMembersCSV(strings.NewReader(tt.in))
				if err == nil || got != nil {
					t.Fatalf("got %+v, %v; want an error", got, err)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if tt.never != "" && strings.Contains(err.Error(), tt.never) {
					t.Errorf("error %q shows %q", err, tt.never)
				}
				var pe *importfile.ParseError
				if !errors.As(err, &pe) || agent.ErrorCode(err) != agent.EINVALID {
					t.Errorf("error %T code %s, want *ParseError coded EINVALID", err, agent.ErrorCode(err))
				}
			})
		}
	})
}
