package agent_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/drivers/barcode"
	"github.com/tillsync/tillsync/syncproto"
	"golang.org/x/crypto/nacl/box"
	"google.golang.org/protobuf/proto"
)

// Enrollment tests run over newTill's ledger with an enrollment block,
// central's key pair and a policy in which 50 yuan within 30 minutes
// qualifies.

const (
	testName  = "张三丰"
	testPhone = "13812345678"
	testID    = "11010519491231002X" // GB 11643 example number, valid check character
)

type enrollFixture struct {
	*tillFixture
	pub, priv *[32]byte
}

func newEnrollTill(t *testing.T, collectID bool) *enrollFixture {
	t.Helper()
	ctx := context.Background()
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &enrollFixture{tillFixture: newTill(t), pub: pub, priv: priv}
	p := testPolicy()
	p.Version, p.EnrollQualifyingFen, p.EnrollWithinMinutes = 2, 5000, 30
	if err := f.ledger.SetPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := f.ledger.SetEnrollBlock(ctx, "8800", 1, 99999999); err != nil {
		t.Fatal(err)
	}
	f.till.EnrollConfig = &agent.EnrollConfig{CentralKey: pub, CollectIDNumber: collectID}
	return f
}

func (f *enrollFixture) reopen(t *testing.T) {
	t.Helper()
	f.tillFixture.reopen(t)
	f.till.EnrollConfig = &agent.EnrollConfig{CentralKey: f.pub}
}

func personal() agent.PersonalData {
	return agent.PersonalData{Name: testName, Phone: testPhone, IncomeBracket: agent.Income3000To8000}
}

// anonymousSale commits an anonymous sale of data's goods on lane-9, paid
// in cash, and returns it.
func (f *enrollFixture) anonymousSale(t *testing.T, data ...string) *agent.Sale {
	t.Helper()
	ctx := context.Background()
	b := f.scan(t, "lane-9", data...)
	must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-9", agent.Tender{Kind: agent.TenderCash, AmountFen: agent.PriceBasket(b).TotalFen}))
	return must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-9")).Sale
}

// openSealed opens the sealed personal data of the enrollment event at seq
// with central's private key.
func (f *enrollFixture) openSealed(t *testing.T, seq uint64) agent.PersonalData {
	t.Helper()
	entries := must[[]agent.JournalEntry](t)(f.ledger.Journal(context.Background(), seq, 1))
	var ev syncproto.Event
	if err := proto.Unmarshal(entries[0].Event, &ev); err != nil {
		t.Fatal(err)
	}
	plain, ok := box.OpenAnonymous(nil, ev.GetMemberEnrolled().GetSealedPersonal(), f.pub, f.priv)
	if !ok {
		t.Fatal("central's private key does not open the sealed personal data")
	}
	var pd agent.PersonalData
	if err := json.Unmarshal(plain, &pd); err != nil {
		t.Fatal(err)
	}
	return pd
}

func TestTill_Enroll(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		f := newEnrollTill(t, true)
		in := agent.EnrollInput{Lane: "lane-1", MarketingOptOut: true,
			Personal: agent.PersonalData{Name: "  张三丰 ", Phone: "138-1234-5678", IDNumber: strings.ToLower(testID), IncomeBracket: agent.IncomeOver20000}}
		e := must[*agent.Enrollment](t)(f.till.Enroll(ctx, in))
		m := e.Member
		if m.Card != "8800000000013" || m.MemberID != "S-store-1-8800000000013" || m.MaskedName != "张**" ||
			m.PhoneLast4 != "5678" || m.Tier != agent.TierRegular || m.Balance != 0 || !barcode.Luhn(m.Card) {
			t.Errorf("enrolled member %+v", m)
		}
		want := agent.PersonalData{Name: testName, Phone: testPhone, IDNumber: testID, IncomeBracket: agent.IncomeOver20000}
		if got := f.openSealed(t, e.Seq); got != want {
			t.Errorf("sealed personal data opens to %+v, want %+v", got, want)
		}
		// The new card is usable at once, from the card reader or the scanner.
		b := must[*agent.Basket](t)(f.till.AttachCard(ctx, "lane-1", m.Card))
		if b.Member == nil || b.Member.MaskedName != "张**" || b.Member.MemberID != m.MemberID {
			t.Errorf("AttachCard() member %+v", b.Member)
		}
		if b := f.scan(t, "lane-2", m.Card); b.Member == nil || b.Card != m.Card {
			t.Errorf("scanned new card: basket member %+v", b.Member)
		}
		if err := f.ledger.Check(ctx); err != nil {
			t.Errorf("Check() = %v", err)
		}
		// Nothing personal in clear anywhere in the file.
		f.reopen(t) // flushes nothing more: every commit is already on disk
		raw, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{testName, testPhone, testID, strings.ToLower(testID), "1234-5678", agent.IncomeOver20000} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("ledger file holds %q in clear", secret)
			}
		}
	})

	t.Run("OKSequentialAcrossReopen", func(t *testing.T) {
		f := newEnrollTill(t, false)
		var cards []string
		for i := range 3 {
			if i == 2 {
				f.reopen(t)
			}
			cards = append(cards, must[*agent.Enrollment](t)(f.till.Enroll(ctx, agent.EnrollInput{Lane: "lane-1", Personal: personal()})).Member.Card)
		}
		if strings.Join(cards, ",") != "8800000000013,8800000000021,8800000000039" {
			t.Errorf("cards %v, want 8800000000013, 8800000000021, 8800000000039", cards)
		}
	})

	t.Run("ErrExhausted", func(t *testing.T) {
		f := newEnrollTill(t, false)
		if err := f.ledger.SetEnrollBlock(ctx, "99", 1, 1); err != nil {
			t.Fatal(err)
		}
		must[*agent.Enrollment](t)(f.till.Enroll(ctx, agent.EnrollInput{Lane: "lane-1", Personal: personal()}))
		_, err := f.till.Enroll(ctx, agent.EnrollInput{Lane: "lane-1", Personal: personal()})
		wantMessage(t, err, agent.EUNAVAILABLE, "the store's enrollment numbers are used up; ask HQ for a new block")
	})

	t.Run("ErrNoCentralKey", func(t *testing.T) {
		f := newEnrollTill(t, false)
		f.till.EnrollConfig = nil
		_, err := f.till.Enroll(ctx, agent.EnrollInput{Lane: "lane-1", Personal: personal()})
		wantMessage(t, err, agent.EUNAVAILABLE, "enrollment is off: no central key configured")
	})
}

func wantMessage(t *testing.T, err error, code, msg string) {
	t.Helper()
	if agent.ErrorCode(err) != code || !strings.Contains(agent.ErrorMessage(err), msg) {
		t.Fatalf("got %v, want %s containing %q", err, code, msg)
	}
}

func TestTill_Enroll_Invalid(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("张", 65)
	tests := []struct {
		name      string
		collectID bool
		edit      func(*agent.EnrollInput)
		msg       string
	}{
		{"ErrLane", false, func(in *agent.EnrollInput) { in.Lane = "" }, "lane"},
		{"ErrNoName", false, func(in *agent.EnrollInput) { in.Personal.Name = "  " }, "name is required"},
		{"ErrLongName", false, func(in *agent.EnrollInput) { in.Personal.Name = long }, "1 to 64 characters"},
		{"ErrNameControl", false, func(in *agent.EnrollInput) { in.Personal.Name = "张\x00三" }, "cannot be printed"},
		{"ErrNameUTF8", false, func(in *agent.EnrollInput) { in.Personal.Name = "张\xff" }, "cannot be printed"},
		{"ErrNoPhone", false, func(in *agent.EnrollInput) { in.Personal.Phone = "" }, "phone is required"},
		{"ErrPhoneLetters", false, func(in *agent.EnrollInput) { in.Personal.Phone = "138x1234567" }, "6 to 15 digits"},
		{"ErrPhoneShort", false, func(in *agent.EnrollInput) { in.Personal.Phone = "12345" }, "6 to 15 digits"},
		{"ErrNotMobile", false, func(in *agent.EnrollInput) { in.Personal.Phone = "12012345678" }, "not a valid mobile"},
		{"ErrIDNotCollected", false, func(in *agent.EnrollInput) { in.Personal.IDNumber = testID }, "does not collect ID numbers"},
		{"ErrIDCheck", true, func(in *agent.EnrollInput) { in.Personal.IDNumber = "110105194912310021" }, "check character"},
		{"ErrIDShape", true, func(in *agent.EnrollInput) { in.Personal.IDNumber = "12-34" }, "5 to 20 letters and digits"},
		{"ErrBracket", false, func(in *agent.EnrollInput) { in.Personal.IncomeBracket = "rich" }, "income bracket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEnrollTill(t, tt.collectID)
			in := agent.EnrollInput{Lane: "lane-1", Personal: personal()}
			tt.edit(&in)
			_, err := f.till.Enroll(ctx, in)
			wantMessage(t, err, agent.EINVALID, tt.msg)
			for _, secret := range []string{testName, testPhone, testID, long} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes a personal field", err)
				}
			}
			if st := must[agent.LedgerStatus](t)(f.ledger.Status(ctx)); st.LastSeq != 0 {
				t.Errorf("refused enrollment wrote to the journal: %+v", st)
			}
		})
	}
}

func TestTill_Enroll_Qualifying(t *testing.T) {
	ctx := context.Background()

	t.Run("OKCreditedOnce", func(t *testing.T) {
		f := newEnrollTill(t, false)
		// Two beers (×2 SKU multiplier) and a milk at shelf price: 6599 fen.
		s := f.anonymousSale(t, "4006381333931", "4006381333931", "5901234123457")
		f.clock.Add(29 * time.Minute)
		e := must[*agent.Enrollment](t)(f.till.Enroll(ctx, agent.EnrollInput{Lane: "lane-1", Personal: personal(), QualifyingSaleID: s.ID}))
		// (6000 × 2 + 599) / 100 = 125.99 → 125, tier regular ×1.
		p := must[*agent.Policy](t)(f.ledger.CurrentPolicy(ctx))
		if got := e.PointsCreditedPending(); got != 125 {
			t.Errorf("credited %d points, want 125", got)
		}
		es := must[[]agent.PointsEntry](t)(f.ledger.LocalEntries(ctx, e.Member.Card))
		if len(es) != 1 || es[0].Kind != agent.PointsEarn || es[0].SaleID != s.ID || es[0].MemberID != e.Member.MemberID ||
			!es[0].AvailableAt.Equal(p.PendingUntil(s.WallTime)) || !es[0].ExpiresAt.Equal(p.ExpiresAt(s.WallTime)) {
			t.Errorf("points book %+v", es)
		}
		f.scan(t, "lane-1", e.Member.Card, "5901234123457")
		must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 1000}))
		r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
		if r.Pending != 125+4 || r.Available != 0 {
			t.Errorf("member's next receipt: pending %d available %d, want 129 and 0", r.Pending, r.Available)
		}
		_, err := f.till.Enroll(ctx, agent.EnrollInput{Lane: "lane-2", Personal: personal(), QualifyingSaleID: s.ID})
		wantMessage(t, err, agent.ECONFLICT, "already qualified the enrollment of card *********0013")
		if err := f.ledger.Check(ctx); err != nil {
			t.Errorf("Check() = %v", err)
		}
	})

	t.Run("OKReturnTakesCreditBack", func(t *testing.T) {
		f := newEnrollTill(t, false)
		s := f.anonymousSale(t, "4006381333931", "4006381333931", "5901234123457")
		e := must[*agent.Enrollment](t)(f.till.Enroll(ctx, agent.EnrollInput{Lane: "lane-1", Personal: personal(), QualifyingSaleID: s.ID}))
		ret := func(lines ...agent.ReturnLineInput) *agent.ReturnReceipt {
			return must[*agent.ReturnReceipt](t)(f.till.Return(ctx, agent.ReturnInput{LaneID: "lane-1", SaleID: s.ID, Refund: agent.TenderCash, Lines: lines}))
		}
		first := ret(agent.ReturnLineInput{LineNo: 1, QuantityMilli: 1000})
		rest := ret(agent.ReturnLineInput{LineNo: 1}, agent.ReturnLineInput{LineNo: 2})
		if first.Return.Card != e.Member.Card || first.PointsReversed <= 0 {
			t.Errorf("first return: card %q reversed %d", first.Return.Card, first.PointsReversed)
		}
		if got := first.PointsReversed + rest.PointsReversed; got != e.PointsCreditedPending() {
			t.Errorf("reversed %d in all, credited %d", got, e.PointsCreditedPending())
		}
		if rest.Balance != 0 || rest.Pending != 0 {
			t.Errorf("after returning everything: balance %d pending %d, want 0", rest.Balance, rest.Pending)
		}
	})

	tests := []struct {
		name string
		sale func(*enrollFixture, *testing.T) string
		code string
		msg  string
	}{
		{"ErrTooOld", func(f *enrollFixture, t *testing.T) string {
			s := f.anonymousSale(t, "4006381333931", "4006381333931")
			f.clock.Add(31 * time.Minute)
			return s.ID
		}, agent.EINVALID, "more than 30 minutes ago"},
		{"ErrTooSmall", func(f *enrollFixture, t *testing.T) string {
			return f.anonymousSale(t, "5901234123457").ID
		}, agent.EINVALID, "totals 5.99 yuan, less than the 50.00 yuan"},
		{"ErrWithCard", func(f *enrollFixture, t *testing.T) string {
			return f.anonymousSale(t, cardPlain, "4006381333931", "4006381333931").ID
		}, agent.EINVALID, "made with member card *********0031"},
		{"ErrReturned", func(f *enrollFixture, t *testing.T) string {
			s := f.anonymousSale(t, "4006381333931", "4006381333931")
			must[*agent.ReturnReceipt](t)(f.till.Return(context.Background(), agent.ReturnInput{
				LaneID: "lane-9", SaleID: s.ID, Lines: []agent.ReturnLineInput{{LineNo: 1, QuantityMilli: 1000}}, Refund: agent.TenderCash}))
			return s.ID
		}, agent.EINVALID, "were returned"},
		{"ErrUnknownSale", func(*enrollFixture, *testing.T) string { return "0193a8f0-0000-7000-8000-999999999999" },
			agent.ENOTFOUND, "not in this store's records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEnrollTill(t, false)
			id := tt.sale(f, t)
			before := must[agent.LedgerStatus](t)(f.ledger.Status(ctx))
			_, err := f.till.Enroll(ctx, agent.EnrollInput{Lane: "lane-1", Personal: personal(), QualifyingSaleID: id})
			wantMessage(t, err, tt.code, tt.msg)
			if st := must[agent.LedgerStatus](t)(f.ledger.Status(ctx)); st.LastSeq != before.LastSeq {
				t.Errorf("refused enrollment wrote to the journal: %+v, was %+v", st, before)
			}
		})
	}
}

func TestParseCentralKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name, in, code string
	}{
		{"OK", base64.StdEncoding.EncodeToString(key), ""},
		{"OKSpaces", " " + base64.StdEncoding.EncodeToString(key) + "\n", ""},
		{"ErrBase64", "not base64!", agent.EINVALID},
		{"ErrLength", base64.StdEncoding.EncodeToString(key[:31]), agent.EINVALID},
		{"ErrEmpty", "", agent.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := agent.ParseCentralKey(tt.in)
			if agent.ErrorCode(err) != tt.code {
				t.Fatalf("ParseCentralKey() = %v, want code %q", err, tt.code)
			}
			if err == nil && !bytes.Equal(k[:], key) {
				t.Errorf("key %x, want %x", k[:], key)
			}
		})
	}
}

func TestMaskName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"张三", "张*"}, {"张三丰", "张**"}, {"张", "张*"}, {"John Smith", "J*** S****"}, {"阿依古丽·买买提", "阿*******"},
	} {
		if got := agent.MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnrollBlock_Card(t *testing.T) {
	for _, tt := range []struct {
		b    agent.EnrollBlock
		n    uint64
		want string
	}{
		{agent.EnrollBlock{Prefix: "8800", Start: 1, End: 99999999}, 1, "8800000000013"},
		{agent.EnrollBlock{Prefix: "8800", Start: 1, End: 99999999}, 99999999, "8800999999993"},
		{agent.EnrollBlock{Prefix: "77", Start: 1, End: 2}, 2, "7724"},
	} {
		got := tt.b.Card(tt.n)
		if got != tt.want || !barcode.Luhn(got) {
			t.Errorf("%+v.Card(%d) = %q (Luhn %v), want %q", tt.b, tt.n, got, barcode.Luhn(got), tt.want)
		}
	}
}
