package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/syncproto"
	"golang.org/x/crypto/nacl/box"
)

// TestCommand_Members runs the member master's commands on a SQLite file:
// import (twice: the second stores nothing), show with and without
// --reveal, a lost card replaced with its points, erasure, key rotation.
func TestCommand_Members(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	path := filepath.Join(dir, "central.db")
	run := func(args ...string) (string, string) {
		t.Helper()
		out, errOut, err := execute(t, context.Background(), "", append(args, "--db", path)...)
		if err != nil {
			t.Fatalf("%v: %v (stderr %q)", args, err, errOut)
		}
		return out, errOut
	}
	k1, _ := run("members", "keygen", "--id", "k1")
	t.Setenv("TILLSYNC_MEMBERS_KEYS", strings.TrimSpace(k1))

	var csv strings.Builder
	csv.WriteString("member_id,card,name,phone,income_bracket,kind,points\n")
	for i := 1; i <= 1500; i++ {
		switch i {
		case 17:
			csv.WriteString("M17,6600000017,王小明,12345,,,\n") // phone too short
		case 1000:
			csv.WriteString("M1000,6600001000,王小明,13900003000,,manager,\n")
		default:
			fmt.Fprintf(&csv, "M%d,66%08d,王小明,139%08d,3000-8000,,%d\n", i, i, i, i%10)
		}
	}
	file := filepath.Join(dir, "legacy.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut := run("members", "import", file)
	if !strings.Contains(out, "1498 members stored, 2 bad rows skipped") {
		t.Errorf("import output:\n%s", out)
	}
	if !strings.Contains(errOut, "line 18: phone:") || !strings.Contains(errOut, "line 1001: kind:") ||
		!strings.Contains(errOut, "100.0% [") {
		t.Errorf("import stderr lacks the bad rows or the progress:\n%s", errOut)
	}
	if strings.Contains(errOut+out, "王小明") || strings.Contains(errOut+out, "12345") {
		t.Errorf("import printed personal data:\n%s\n%s", out, errOut)
	}
	if out, _ := run("members", "import", file); !strings.Contains(out, "1498 members stored, 2 bad rows skipped") {
		t.Errorf("second import output:\n%s", out)
	}
	if out, _ := run("members", "bad-rows", file); !strings.Contains(out, "line 18: phone") || !strings.Contains(out, "line 1001: kind") {
		t.Errorf("bad-rows output:\n%s", out)
	}

	out, _ = run("members", "show", "--card", "6600000042")
	if !strings.Contains(out, "王**") || strings.Contains(out, "王小明") || strings.Contains(out, "13900000042") ||
		strings.Contains(out, "6600000042") {
		t.Errorf("show without --reveal:\n%s", out)
	}
	if out, _ := run("members", "show", "--member", "M42", "--reveal"); !strings.Contains(out, "王小明") ||
		!strings.Contains(out, "13900000042") || !strings.Contains(out, "3000-8000") {
		t.Errorf("show --reveal:\n%s", out)
	}

	// Card 6600000042 has an opening balance of 2 points.
	out, _ = run("cards", "replace", "6600000042", "6700000042")
	if !strings.Contains(out, "member M42") || !strings.Contains(out, "2 points") {
		t.Errorf("cards replace output:\n%s", out)
	}
	if out, _ := run("points", "balance", "--card", "6700000042"); !regexpLine(out, `total\s+2`) || !regexpLine(out, `member\s+M42`) {
		t.Errorf("new card's balance:\n%s", out)
	}
	if out, _ := run("members", "show", "--card", "6600000042"); !strings.Contains(out, "******0042 lost") ||
		!strings.Contains(out, "replaced by ******0042 (reported lost)") {
		t.Errorf("show after replace:\n%s", out)
	}
	checkBlocked(t, path, "6600000042")

	if out, _ := run("members", "erase", "--member", "M43"); !strings.Contains(out, "member M43 erased") {
		t.Errorf("erase output:\n%s", out)
	}
	if out, _ := run("members", "show", "--member", "M43"); !strings.Contains(out, "erased") || strings.Contains(out, "王") {
		t.Errorf("show after erase:\n%s", out)
	}

	k2, _ := run("members", "keygen", "--id", "k2")
	t.Setenv("TILLSYNC_MEMBERS_KEYS", strings.TrimSpace(k2)+","+strings.TrimSpace(k1))
	if out, _ := run("members", "rekey"); !strings.Contains(out, "1497 members sealed again with key k2") {
		t.Errorf("rekey output:\n%s", out)
	}
	t.Setenv("TILLSYNC_MEMBERS_KEYS", strings.TrimSpace(k2))
	if out, _ := run("members", "show", "--member", "M44", "--reveal"); !strings.Contains(out, "13900000044") {
		t.Errorf("show --reveal after rotation:\n%s", out)
	}
	if _, _, err := execute(t, context.Background(), "", "members", "import", file, "--db", path); err != nil {
		t.Errorf("import after rotation: %v", err)
	}
	t.Setenv("TILLSYNC_MEMBERS_KEYS", "k1:short")
	if _, errOut, err := execute(t, context.Background(), "", "members", "show", "--member", "M44", "--db", path); err == nil ||
		strings.Contains(errOut, "short") {
		t.Errorf("bad key: %v, stderr %q; want an error that does not quote the key", err, errOut)
	}
}

// checkBlocked fails unless card is in the card blocks central publishes.
func checkBlocked(t *testing.T, path, card string) {
	t.Helper()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := db.LatestStreamVersion(context.Background(), syncproto.StreamCardBlocks)
	if err != nil {
		t.Fatalf("card blocks: %v", err)
	}
	for _, b := range v.Snapshot.GetCardBlocks().GetBlocked() {
		if b.GetCard() == card {
			if !strings.Contains(b.GetReason(), "replaced by card ******0042") {
				t.Errorf("block reason %q", b.GetReason())
			}
			return
		}
	}
	t.Errorf("card %s is not blocked", central.MaskCard(card))
}

// TestCommand_MembersAbsorb: keys generate makes the pair; an enrollment
// sealed to its public key is moved into the master by members absorb.
func TestCommand_MembersAbsorb(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	path := filepath.Join(dir, "central.db")
	priv, pub := filepath.Join(dir, "central.key"), filepath.Join(dir, "central.pub")
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := execute(t, context.Background(), "", append(args, "--db", path)...)
		if err != nil {
			t.Fatalf("%v: %v (stderr %q)", args, err, errOut)
		}
		return out
	}
	run("keys", "generate", "--private-key-file", priv, "--public-key-file", pub)
	if _, _, err := execute(t, context.Background(), "", "keys", "generate", "--private-key-file", priv, "--db", path); err == nil {
		t.Errorf("keys generate overwrote an existing private key")
	}
	if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key file mode = %v, %v; want 0600", st, err)
	}
	pubText, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubKey, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(pubText)))
	if err != nil || len(pubKey) != 32 {
		t.Fatalf("public key file: %q, %v", pubText, err)
	}
	doc, _ := json.Marshal(syncproto.PersonalData{Name: "李雷", Phone: "13912345678", IncomeBracket: "8000-20000"})
	sealed, err := box.SealAnonymous(nil, doc, (*[32]byte)(pubKey), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := &syncproto.Event{Seq: 1, EventId: "ev-1", WallTimeMs: time.Now().UnixMilli(),
		Payload: &syncproto.Event_MemberEnrolled{MemberEnrolled: &syncproto.MemberEnrolled{
			MemberCard: "8801000011", MemberId: "s1-m1", StoreId: "s1", MaskedName: "李*", PhoneLast4: "5678",
			SealedPersonal: sealed}}}
	b := &syncproto.Batch{SchemaVersion: syncproto.SchemaVersion, AgentId: "a1", StoreId: "s1", FirstSeq: 1, LastSeq: 1,
		SentAtMs: time.Now().UnixMilli(), Events: []*syncproto.Event{ev}}
	if res, err := db.IngestBatch(context.Background(), b, time.Now()); err != nil || res.Applied != 1 {
		t.Fatalf("ingest = %+v, %v", res, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	k := run("members", "keygen")
	t.Setenv("TILLSYNC_MEMBERS_KEYS", strings.TrimSpace(k))
	if out := run("members", "absorb", "--enrollment-key-file", priv); !strings.Contains(out, "1 members filled") {
		t.Errorf("absorb output:\n%s", out)
	}
	if out := run("members", "show", "--card", "8801000011", "--reveal"); !strings.Contains(out, "李雷") || !strings.Contains(out, "8000-20000") {
		t.Errorf("show after absorb:\n%s", out)
	}
	if out := run("members", "absorb", "--enrollment-key-file", priv); !strings.Contains(out, "0 members filled") {
		t.Errorf("second absorb output:\n%s", out)
	}
}
