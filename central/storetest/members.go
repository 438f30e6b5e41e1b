package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
	"golang.org/x/crypto/nacl/box"
)

func memberStore(t *testing.T, s central.Store) central.MemberStore {
	t.Helper()
	ms, ok := s.(central.MemberStore)
	if !ok {
		t.Fatalf("%T does not implement central.MemberStore", s)
	}
	return ms
}

// testKeys is a keyring of two fixed keys, k2 active.
func testKeys(t *testing.T, spec string) *central.Keyring {
	t.Helper()
	k, err := central.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const (
	keyA = "kA:" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	keyB = "kB:" + "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
)

// memberCSV is an import file of n good rows (member M%05d, card
// 77%08d) and the bad rows bad maps line numbers to (written in place of
// the good row of that line).
func memberCSV(n int, bad map[int]string) []byte {
	var b bytes.Buffer
	b.WriteString("member_id,card,name,phone,income_bracket,kind,joined,points\n")
	for i := 1; i <= n; i++ {
		line := i + 1
		if row, ok := bad[line]; ok {
			b.WriteString(row + "\n")
			continue
		}
		kind, income := "", ""
		switch {
		case i%100 == 0:
			kind = "staff"
		case i%7 == 0:
			income = syncproto.Income8000To20k
		}
		fmt.Fprintf(&b, "M%05d,77%08d,会员 %d号,1391234%04d,%s,%s,2020-01-%02d,%d\n", i, i, i, i%10000, income, kind, i%28+1, i%50)
	}
	return b.Bytes()
}

// MemberCSV is a legacy member file of n good rows (member M%05d, card
// 77%08d; every 100th a staff member, every 7th declaring an income, an
// opening balance of i mod 50 points), for benchmarks.
func MemberCSV(n int) []byte { return memberCSV(n, nil) }

func importFile(t *testing.T, ms central.MemberStore, data []byte, o central.ImportOptions) (central.MemberImport, error) {
	t.Helper()
	return central.ImportMembers(context.Background(), ms, bytes.NewReader(data), "members.csv", o)
}

// importChunk is the chunk size of the suite's imports: small, so that a
// few hundred rows make several chunks.
const importChunk = 100

func testMembers(t *testing.T, open Opener) {
	t.Run("Import", func(t *testing.T) { testMemberImport(t, open) })
	t.Run("ImportConflicts", func(t *testing.T) { testMemberImportConflicts(t, open) })
	t.Run("Erase", func(t *testing.T) { testMemberErase(t, open) })
	t.Run("ReplaceCard", func(t *testing.T) { testReplaceCard(t, open) })
	t.Run("Reseal", func(t *testing.T) { testReseal(t, open) })
	t.Run("Classification", func(t *testing.T) { testMemberClassification(t, open) })
	t.Run("AbsorbEnrollments", func(t *testing.T) { testAbsorbEnrollments(t, open) })
}

// sealedEnroll is an enrollment event of card/member whose personal data
// is sealed to pub.
func sealedEnroll(t *testing.T, seq uint64, card, member string, pd syncproto.PersonalData, pub *[32]byte) *syncproto.Event {
	t.Helper()
	doc, err := json.Marshal(pd)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.SealAnonymous(nil, doc, pub, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ev := EnrollEvent("a1", seq, "s1", card, member, t0.Add(time.Duration(seq)*time.Minute))
	me := ev.GetMemberEnrolled()
	me.SealedPersonal, me.MaskedName, me.PhoneLast4 = sealed, syncproto.MaskName(pd.Name), syncproto.PhoneLast4(pd.Phone)
	return ev
}

// testAbsorbEnrollments: the tills' sealed enrollment data moves into the
// master under the member keys and leaves the stored events; data sealed
// to another key or failing the checks stays; an erased member is not
// filled again; a second run does nothing.
func testAbsorbEnrollments(t *testing.T, open Opener) {
	s := open(t)
	ms := memberStore(t, s)
	keys := testKeys(t, keyA)
	if _, err := importFile(t, ms, []byte("member_id,card,name,phone\ns1-m4,8801000044,张三,13912340044\n"),
		central.ImportOptions{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.EraseMember(context.Background(), "s1-m4", t0); err != nil {
		t.Fatal(err)
	}
	key, err := central.NewEnrollmentKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := central.NewEnrollmentKey()
	if err != nil {
		t.Fatal(err)
	}
	good := syncproto.PersonalData{Name: "李雷", Phone: "13912345678", IncomeBracket: syncproto.IncomeOver20000}
	wantResult(t, ingest(t, s, Batch("s1", "a1",
		sealedEnroll(t, 1, "8801000011", "s1-m1", good, key.Public),
		sealedEnroll(t, 2, "8801000022", "s1-m2", good, other.Public),
		sealedEnroll(t, 3, "8801000033", "s1-m3", syncproto.PersonalData{Name: "韩梅梅", Phone: "12"}, key.Public),
		sealedEnroll(t, 4, "8801000044", "s1-m4", good, key.Public),
	)), central.IngestResult{Applied: 4})
	absorb := func() central.AbsorbResult {
		t.Helper()
		res, err := ms.AbsorbEnrollments(context.Background(), func(e central.SealedEnrollment) (central.Member, error) {
			return key.OpenEnrollment(e, keys)
		}, t0.Add(day))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := absorb(); res != (central.AbsorbResult{Absorbed: 1, Dropped: 1, Unopened: 2}) {
		t.Errorf("absorb = %+v, want 1 absorbed, 1 dropped (erased), 2 unopened", res)
	}
	m, err := ms.Member(context.Background(), "s1-m1")
	if err != nil {
		t.Fatal(err)
	}
	pd, err := m.OpenPersonal(keys)
	if err != nil || pd.Name != "李雷" || pd.Phone != "13912345678" || pd.IncomeBracket != syncproto.IncomeOver20000 ||
		m.ActiveCard() != "8801000011" || m.StoreID != "s1" || !m.JoinedAt.Equal(t0.Add(time.Minute)) || m.MaskedName != "李*" {
		t.Errorf("absorbed member = %+v, personal %+v, %v", m, pd, err)
	}
	if m, _ := ms.Member(context.Background(), "s1-m4"); m.Personal != nil || m.MaskedName != "" {
		t.Errorf("erased member filled again: %+v", m)
	}
	if res := absorb(); res != (central.AbsorbResult{Unopened: 2}) {
		t.Errorf("second absorb = %+v, want only the 2 unopened again", res)
	}
	// The sealed data left the stored event of the absorbed member (an
	// erasure now removes the display data too).
	if _, err := ms.EraseMember(context.Background(), "s1-m1", t0.Add(2*day)); err != nil {
		t.Fatal(err)
	}
	if lk, err := asReservations(t, s).LookupMember(context.Background(), "8801000011", t0.Add(2*day)); err != nil || lk.MaskedName != "" {
		t.Errorf("lookup after erasing an absorbed member = %+v, %v", lk, err)
	}
}

// testMemberClassification: the member master's staff members are
// excluded and its incomes place members in the value quadrant.
func testMemberClassification(t *testing.T, open Opener) {
	s := open(t)
	ms := memberStore(t, s)
	keys := testKeys(t, keyA)
	csv := "member_id,card,name,phone,income_bracket,kind\n" +
		"MC1," + classCard(1) + ",甲乙,13912340001,>20000,\n" +
		"MC2," + classCard(2) + ",丙丁,13912340002,<3000,\n" +
		"MS," + classCard(50) + ",戊己,13912340050,,staff\n"
	if _, err := importFile(t, ms, []byte(csv), central.ImportOptions{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	var evs []*syncproto.Event
	for i, card := range []string{classCard(1), classCard(2), classCard(3), classCard(50)} {
		evs = append(evs, sale1(uint64(i+1), card, date(2026, 1, 10, 9), int64(i+1)*1000))
	}
	ingest(t, s, Batch("s1", "a1", evs...))
	o := central.ClassificationOptions{Classify: central.DefaultClassifyOptions(), Traits: ms.MemberTraits, Keys: keys}
	run := classify(t, s, date(2026, 2, 1, 0), o)
	if run.Members != 4 || run.Excluded != 1 {
		t.Errorf("run = %+v, want 4 members, 1 excluded", run)
	}
	class := func(card string) central.MemberClass {
		t.Helper()
		mc, err := classStore(t, s).LatestMemberClass(context.Background(), card)
		if err != nil {
			t.Fatal(err)
		}
		return mc
	}
	if c := class(classCard(50)); c.Pyramid != central.PyramidExcluded || c.Quadrant != central.QuadrantExcluded {
		t.Errorf("staff member classified: %+v", c.Classification)
	}
	if q := class(classCard(1)).Quadrant; q != central.QuadrantCore && q != central.QuadrantKeyDevelopment {
		t.Errorf("high-income member in quadrant %s", q)
	}
	if q := class(classCard(2)).Quadrant; q != central.QuadrantDevelopable && q != central.QuadrantAbandon {
		t.Errorf("low-income member in quadrant %s", q)
	}
	if q := class(classCard(3)).Quadrant; q != central.QuadrantUnknownIncome {
		t.Errorf("member outside the master in quadrant %s, want unknown_income", q)
	}
	o.Keys = nil
	classify(t, s, date(2026, 2, 1, 0), o)
	if q := class(classCard(1)).Quadrant; q != central.QuadrantUnknownIncome {
		t.Errorf("without the key: quadrant %s, want unknown_income", q)
	}
	o.Keys = testKeys(t, keyB)
	if _, err := central.RunClassification(context.Background(), statsStore(t, s), classStore(t, s), date(2026, 2, 1, 0), o); central.ErrorCode(err) != central.EUNAVAILABLE {
		t.Errorf("classify with a keyring lacking the incomes' key: %v, want unavailable", err)
	}
}

// testMemberImport: an import stopped after its first chunk resumes where
// it stopped; every good row is stored once, every bad row reported with
// its line, opening balances posted once, and a third run stores nothing.
func testMemberImport(t *testing.T, open Opener) {
	s := open(t)
	ms := memberStore(t, s)
	const n = importChunk*2 + 600
	bad := map[int]string{
		10:  "M00009,7700000009,,13912340009,,,,",                 // no name
		101: "M02000,7700002000,某人,123,,,,",                       // phone too short
		102: `M02001,77000"02001,某人,13912342001,,,,`,              // a bare quote
		700: "M04499,7700004499,某人,13912344499,>99999,,,",         // unknown income bracket
		701: "M04500,7700004500,某人,13912344500,,boss,,",           // unknown kind
		702: "M04501,7700004501,某人,13912344501,,,2020-13-01,",     // bad date
		703: "M04502,7700004502,某人,13912344502,,,,lots",           // bad points
		704: "M04503,7700004503,某人,13912344503,,,",                // too few fields
		705: "M 04504,7700004504,某人,13912344504,,,,",              // bad member id
		706: "M04505,7700004505,某人,13912344505,,,,,extra",         // too many fields
		707: "M04506,7700004506,某人,13912344506,,,2021-02-29,",     // no such day
		708: "M04507,7700004507,某人,1391234450x,,,,",               // phone not digits
		709: "M00001,7700004508,某人,13912344508,,,,",               // M00001 already has a card
		710: "M04509,7700000001,某人,13912344509,,,,",               // card of M00001
		711: "M04510,7700004510,某人,13912344510,,,,99999999999999", // too many points
	}
	data := memberCSV(n, bad)
	keys := testKeys(t, keyA)
	var reported []central.BadRow
	ctx, cancel := context.WithCancel(context.Background())
	o := central.ImportOptions{Keys: keys, Now: func() time.Time { return t0 }, ChunkRows: importChunk,
		OnBad: func(b central.BadRow) { reported = append(reported, b) },
		Progress: func(p central.ImportProgress) {
			if p.Import.Line > importChunk/2 {
				cancel() // stop after the first chunk, as Ctrl-C would
			}
		}}
	imp, err := central.ImportMembers(ctx, ms, bytes.NewReader(data), "members.csv", o)
	if err == nil || imp.Done {
		t.Fatalf("first run = %+v, %v; want it stopped by its context", imp, err)
	}
	stored, err := ms.MemberImport(context.Background(), imp.ID)
	if err != nil || stored.Rows+stored.Bad != importChunk || stored.Done {
		t.Fatalf("checkpoint after one chunk = %+v, %v; want %d rows consumed", stored, err, importChunk)
	}
	var resumed bool
	o.Progress = func(p central.ImportProgress) { resumed = resumed || p.Resumed }
	imp, err = importFile(t, ms, data, o)
	if err != nil || !imp.Done || !resumed {
		t.Fatalf("second run = %+v, %v (resumed %v); want done", imp, err, resumed)
	}
	wantBad := []int64{10, 101, 102, 700, 701, 702, 703, 704, 705, 706, 707, 708, 709, 710, 711}
	if imp.Rows != n-int64(len(wantBad)) || imp.Bad != int64(len(wantBad)) {
		t.Errorf("import = %d rows, %d bad; want %d, %d", imp.Rows, imp.Bad, n-len(wantBad), len(wantBad))
	}
	rows, err := ms.ImportBadRows(context.Background(), imp.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int64
	for _, b := range rows {
		lines = append(lines, b.Line)
		if b.Reason == "" {
			t.Errorf("bad row %d has no reason", b.Line)
		}
		if strings.Contains(b.Reason, "13912") || strings.Contains(b.Reason, "某人") {
			t.Errorf("bad row %d quotes personal data: %q", b.Line, b.Reason)
		}
	}
	if !slices.Equal(lines, wantBad) {
		t.Errorf("stored bad rows at lines %v, want %v", lines, wantBad)
	}
	if len(reported) != len(wantBad) {
		t.Errorf("reported %d bad rows as found, want %d: %v", len(reported), len(wantBad), reported)
	}
	fields := map[int64]string{}
	for _, b := range rows {
		fields[b.Line] = b.Field
	}
	for line, field := range map[int64]string{10: "name", 101: "phone", 700: "income_bracket", 701: "kind",
		702: "joined", 703: "points", 705: "member_id", 707: "joined", 708: "phone", 709: "card", 710: "card",
		711: "points"} {
		if fields[line] != field {
			t.Errorf("bad row of line %d names field %q, want %q", line, fields[line], field)
		}
	}

	// A third run of the same content, under another name, stores nothing.
	again, err := central.ImportMembers(context.Background(), ms, bytes.NewReader(data), "copy.csv", o)
	if err != nil || again != imp {
		t.Errorf("third run = %+v, %v; want the finished import unchanged %+v", again, err, imp)
	}

	m, err := ms.MemberByCard(context.Background(), "7700000007")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "M00007" || m.MaskedName != "会* 7*" || m.PhoneLast4 != "0007" || m.Kind != central.MemberCustomer ||
		!m.JoinedAt.Equal(time.Date(2020, 1, 8, 0, 0, 0, 0, time.UTC)) || m.ActiveCard() != "7700000007" {
		t.Errorf("member of card ...0007 = %+v", m)
	}
	if bytes.Contains(m.Personal, []byte("1391234")) || bytes.Contains(m.Income, []byte("8000")) {
		t.Errorf("personal fields stored in clear")
	}
	pd, err := m.OpenPersonal(keys)
	if err != nil || pd.Name != "会员 7号" || pd.Phone != "13912340007" || pd.IncomeBracket != syncproto.Income8000To20k {
		t.Errorf("opened personal data = %+v, %v", pd, err)
	}
	// Opening balances: once per card, with the member linked.
	b := balance(t, s, "7700000049", t0)
	if b.Total != 49 || b.MemberID != "M00049" || b.Entries != 1 {
		t.Errorf("balance of imported card = %+v, want 49 points of M00049", b)
	}
	var traits []central.MemberTrait
	if err := ms.MemberTraits(context.Background(), func(tr central.MemberTrait) error {
		traits = append(traits, tr)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantStaff, wantIncome := 0, 0
	for i := 1; i <= n; i++ {
		if _, replaced := bad[i+1]; !replaced {
			switch {
			case i%100 == 0:
				wantStaff++
			case i%7 == 0:
				wantIncome++
			}
		}
	}
	staff, income := 0, 0
	for i, tr := range traits {
		if i > 0 && traits[i-1].Card >= tr.Card {
			t.Fatalf("traits not ordered by card at %d", i)
		}
		if tr.Kind == central.MemberStaff {
			staff++
		}
		if tr.Income != nil {
			income++
		}
	}
	if staff != wantStaff || income != wantIncome || len(traits) != wantStaff+wantIncome {
		t.Errorf("traits: %d staff, %d with income of %d; want %d and %d", staff, income, len(traits), wantStaff, wantIncome)
	}
}

// testMemberImportConflicts: SaveImportChunk refuses a stale checkpoint.
func testMemberImportConflicts(t *testing.T, open Opener) {
	ms := memberStore(t, open(t))
	keys := testKeys(t, keyA)
	data := memberCSV(10, nil)
	imp, err := importFile(t, ms, data, central.ImportOptions{Keys: keys})
	if err != nil || imp.Rows != 10 {
		t.Fatalf("import = %+v, %v", imp, err)
	}
	c := central.ImportChunk{Import: imp, From: 0, Now: t0}
	c.Import.Done = false
	if _, err := ms.SaveImportChunk(context.Background(), c); central.ErrorCode(err) != central.ECONFLICT {
		t.Errorf("chunk from a stale checkpoint: %v, want conflict", err)
	}
	if _, err := importFile(t, ms, data, central.ImportOptions{}); central.ErrorCode(err) != central.EUNAVAILABLE {
		t.Errorf("import without a key: %v, want unavailable", err)
	}
	if _, err := importFile(t, ms, []byte("member_id,card,name,phone,salary\n"), central.ImportOptions{Keys: keys}); central.ErrorCode(err) != central.EINVALID {
		t.Errorf("unknown column: %v, want invalid", err)
	}
	if _, err := importFile(t, ms, []byte("member_id,card,name\n"), central.ImportOptions{Keys: keys}); central.ErrorCode(err) != central.EINVALID {
		t.Errorf("missing phone column: %v, want invalid", err)
	}
}

// testMemberErase: erasure removes the personal and display data, also
// from the enrollment events central keeps, leaves sales and points, and
// a later import of the same member is refused.
func testMemberErase(t *testing.T, open Opener) {
	s := open(t)
	ms := memberStore(t, s)
	keys := testKeys(t, keyA)
	if _, err := importFile(t, ms, memberCSV(3, nil), central.ImportOptions{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	enr := EnrollEvent("a1", 1, "s1", "7700000002", "M00002", t0)
	me := enr.GetMemberEnrolled()
	me.MaskedName, me.PhoneLast4, me.SealedPersonal = "会*", "0002", []byte("sealed-for-central")
	sale := PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 2, Card: "7700000002", Member: "M00002",
		At: t0, Earn: []int64{30}})
	wantResult(t, ingest(t, s, Batch("s1", "a1", enr, sale)), central.IngestResult{Applied: 2})

	// Before erasure the stores see the master's display data, online
	// and in their member records.
	lk, err := asReservations(t, s).LookupMember(context.Background(), "7700000002", t0)
	if err != nil || lk.MaskedName != "会* 2*" || lk.PhoneLast4 != "0002" || !lk.Found {
		t.Errorf("lookup before erasure = %+v, %v; want the master's masked name", lk, err)
	}
	sm, err := s.(central.MemberSource).StoreMembers(context.Background(), "s1")
	if err != nil || len(sm.Cards) != 1 || sm.Cards[0].MaskedName != "会* 2*" {
		t.Errorf("store members before erasure = %+v, %v", sm, err)
	}

	m, err := ms.EraseMember(context.Background(), "M00002", t0.Add(day))
	if err != nil {
		t.Fatal(err)
	}
	if m.Personal != nil || m.Income != nil || m.MaskedName != "" || m.PhoneLast4 != "" ||
		!m.ErasedAt.Equal(t0.Add(day)) || m.ActiveCard() != "7700000002" {
		t.Errorf("erased member = %+v", m)
	}
	again, err := ms.EraseMember(context.Background(), "M00002", t0.Add(2*day))
	if err != nil || !again.ErasedAt.Equal(t0.Add(day)) {
		t.Errorf("second erasure = %+v, %v; want the first erasure's time kept", again, err)
	}
	if lk, err := asReservations(t, s).LookupMember(context.Background(), "7700000002", t0); err != nil || lk.MaskedName != "" || lk.PhoneLast4 != "" {
		t.Errorf("lookup after erasure = %+v, %v; want no display data", lk, err)
	}
	sm, err = s.(central.MemberSource).StoreMembers(context.Background(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sm.Cards {
		if c.Card == "7700000002" && (c.MaskedName != "" || c.PhoneLast4 != "") {
			t.Errorf("store's member record still shows %q / %q", c.MaskedName, c.PhoneLast4)
		}
	}
	wantBalance(t, s, "7700000002", t0, 32, 32, 0) // 2 opening points
	if _, err := ms.EraseMember(context.Background(), "nobody", t0); central.ErrorCode(err) != central.ENOTFOUND {
		t.Errorf("erase unknown member: %v, want not found", err)
	}
	// The old file again (another content, so another import): the
	// erased member stays erased.
	data := append(memberCSV(3, nil), "\n"...)
	imp, err := importFile(t, ms, data, central.ImportOptions{Keys: keys})
	if err != nil || imp.Rows != 2 || imp.Bad != 1 {
		t.Errorf("re-import = %+v, %v; want the erased member refused", imp, err)
	}
	if m, _ := ms.Member(context.Background(), "M00002"); m.Personal != nil || m.MaskedName != "" {
		t.Errorf("re-import filled the erased member again: %+v", m)
	}
}

// testReplaceCard: a lost card's lots move to the new card with their
// dates, so every balance figure carries over; the old card is left at 0;
// a late redemption on the old card becomes debt that a repeat moves.
func testReplaceCard(t *testing.T, open Opener) {
	s := open(t)
	ms := memberStore(t, s)
	if _, err := importFile(t, ms, memberCSV(2, nil), central.ImportOptions{Keys: testKeys(t, keyA)}); err != nil {
		t.Fatal(err)
	}
	old, nw := "7700000001", "8800000099" // opening balance of M00001: 1 point
	yearEnd := time.Date(2027, 12, 31, 16, 0, 0, 0, time.UTC)
	wantResult(t, ingest(t, s, Batch("s1", "a1",
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 1, Card: old, Member: "M00001", At: t0,
			Earn: []int64{100}, ExpiresAt: yearEnd}),
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 2, Card: old, Member: "M00001", At: t0.Add(day),
			Earn: []int64{0}, Redeem: 40}),
		PointsSaleEvent(PointsSale{Store: "s1", Agent: "a1", Seq: 3, Card: old, Member: "M00001", At: t0.Add(2 * day),
			Earn: []int64{25}, AvailableAt: t0.Add(9 * day), ExpiresAt: yearEnd}),
	)), central.IngestResult{Applied: 3})
	at := t0.Add(3 * day)
	before := balance(t, s, old, at)
	if before.Total != 86 || before.Pending != 25 {
		t.Fatalf("old card before = %+v, want 86 with 25 pending", before)
	}
	r := central.CardReplacement{Old: old, New: nw, Reason: "reported lost", At: at}
	res, err := ms.ReplaceCard(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.MemberID != "M00001" || res.Points != 86 || res.Debt != 0 || res.Entries != 6 {
		t.Errorf("replace = %+v, want 86 points in 3 lots moved", res)
	}
	wantBalance(t, s, nw, at, 86, 61, 25)
	wantBalance(t, s, old, at, 0, 0, 0)
	wantBalance(t, s, nw, t0.Add(10*day), 86, 86, 0)
	wantBalance(t, s, old, t0.Add(10*day), 0, 0, 0)
	if got := central.ExpireLots(entries(t, s, old), yearEnd.Add(day)); len(got) != 2 || got[0].Points != 0 || got[1].Points != 0 {
		t.Errorf("expiry of the old card's lots = %+v, want two lots expiring with nothing left", got)
	}
	if got := central.ExpireLots(entries(t, s, nw), yearEnd.Add(day)); len(got) != 2 || got[0].Points+got[1].Points != -85 {
		t.Errorf("expiry of the new card's lots = %+v, want the 85 moved dated points to expire", got)
	}
	m, err := ms.MemberByCard(context.Background(), nw)
	if err != nil || m.ID != "M00001" || m.ActiveCard() != nw {
		t.Fatalf("member of the new card = %+v, %v", m, err)
	}
	for _, c := range m.Cards {
		if c.Card == old && (c.Status != central.CardLost || c.ReplacedBy != nw || c.Reason != "reported lost") {
			t.Errorf("old card = %+v, want lost and replaced by the new one", c)
		}
	}
	if res, err := ms.ReplaceCard(context.Background(), r); err != nil || res.Entries != 0 {
		t.Errorf("repeat = %+v, %v; want nothing more to move", res, err)
	}
	// An offline sale with the old card arrives after the replacement.
	wantResult(t, ingest(t, s, Batch("s2", "b1",
		PointsSaleEvent(PointsSale{Store: "s2", Agent: "b1", Seq: 1, Card: old, Member: "M00001", At: at.Add(time.Hour),
			Earn: []int64{0}, Redeem: 30}))), central.IngestResult{Applied: 1})
	wantBalance(t, s, old, at.Add(2*time.Hour), -30, -30, 0)
	res, err = ms.ReplaceCard(context.Background(), central.CardReplacement{Old: old, New: nw, At: at.Add(2 * time.Hour)})
	if err != nil || res.Debt != 30 || res.Points != 0 {
		t.Errorf("repeat after a late redemption = %+v, %v; want its 30 points of debt moved", res, err)
	}
	wantBalance(t, s, old, at.Add(3*time.Hour), 0, 0, 0)
	wantBalance(t, s, nw, at.Add(3*time.Hour), 56, 31, 25)

	for _, tc := range []struct {
		name string
		r    central.CardReplacement
		code string
	}{
		{"unknown card", central.CardReplacement{Old: "1234567", New: "7654321", At: at}, central.ENOTFOUND},
		{"replaced by another", central.CardReplacement{Old: old, New: "8800000100", At: at}, central.ECONFLICT},
		{"new card of another member", central.CardReplacement{Old: nw, New: "7700000002", At: at}, central.ECONFLICT},
		{"new card with points", central.CardReplacement{Old: nw, New: old, At: at}, central.ECONFLICT},
		{"same card", central.CardReplacement{Old: nw, New: nw, At: at}, central.EINVALID},
	} {
		if _, err := ms.ReplaceCard(context.Background(), tc.r); central.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	// A card enrolled at a till, unknown to the master, can be replaced.
	wantResult(t, ingest(t, s, Batch("s1", "a1", EnrollEvent("a1", 4, "s1", "8801000017", "s1-m17", t0))),
		central.IngestResult{Applied: 1})
	if res, err := ms.ReplaceCard(context.Background(), central.CardReplacement{Old: "8801000017", New: "8801000025", At: at}); err != nil || res.MemberID != "s1-m17" {
		t.Errorf("replace an enrolled card = %+v, %v", res, err)
	}
}

// testReseal: after a new key is put first, ResealMembers seals every
// member again with it; the old key is then no longer needed.
func testReseal(t *testing.T, open Opener) {
	ms := memberStore(t, open(t))
	if _, err := importFile(t, ms, memberCSV(1200, nil), central.ImportOptions{Keys: testKeys(t, keyA)}); err != nil {
		t.Fatal(err)
	}
	both := testKeys(t, keyB+","+keyA)
	n, err := ms.ResealMembers(context.Background(), both.Active(), func(m *central.Member) error {
		_, err := m.Reseal(both)
		return err
	})
	if err != nil || n != 1200 {
		t.Fatalf("reseal = %d, %v; want 1200", n, err)
	}
	if n, err := ms.ResealMembers(context.Background(), both.Active(), func(*central.Member) error { return nil }); err != nil || n != 0 {
		t.Errorf("second reseal = %d, %v; want 0", n, err)
	}
	onlyB := testKeys(t, keyB)
	m, err := ms.Member(context.Background(), "M00007")
	if err != nil {
		t.Fatal(err)
	}
	if pd, err := m.OpenPersonal(onlyB); err != nil || pd.Name != "会员 7号" || pd.IncomeBracket == "" {
		t.Errorf("open with the new key alone = %+v, %v", pd, err)
	}
	if _, err := m.OpenPersonal(testKeys(t, keyA)); central.ErrorCode(err) != central.EUNAVAILABLE {
		t.Errorf("open with the old key alone: %v, want unavailable", err)
	}
}
