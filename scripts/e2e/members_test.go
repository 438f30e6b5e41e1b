package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	centralpkg "github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/central/postgres"
)

// importRows is the size of the legacy file TestMembers_ImportKilled
// imports (issue 6: a 100,000-row CSV with deliberately bad rows).
const importRows = 100_000

// legacyCSV writes an import file of importRows rows; every 997th row is
// bad in one of several ways. It returns the bad rows' line numbers and
// the opening points of each good card.
func legacyCSV(t *testing.T, path string) (bad []int64, points map[string]int64) {
	t.Helper()
	points = map[string]int64{}
	var b bytes.Buffer
	b.WriteString("member_id,card,name,phone,income_bracket,kind,joined,points\n")
	faults := []string{
		"M%06d,55%08d,,1390000%04d,,,,",             // no name
		"M%06d,55%08d,林某,1290000%04d,,,,",           // not a mobile number (12x)
		"M%06d,55%08d,林某,1390000%04d,,,2021-02-29,", // no such day
		"M%06d,55%08d,林某,1390000%04d,,,",            // too few fields
		"M%06d,55%08d,林某,1390000%04d,about 9k,,,",   // unknown income bracket
		"M%06d,55%08d,林\"某,1390000%04d,,,,",         // a bare quote
	}
	for i := 1; i <= importRows; i++ {
		line := int64(i + 1)
		if i%997 == 0 {
			f := faults[(i/997)%len(faults)]
			fmt.Fprintf(&b, f+"\n", i, i, i%10000)
			bad = append(bad, line)
			continue
		}
		kind := ""
		if i%250 == 0 {
			kind = "staff"
		}
		card := fmt.Sprintf("55%08d", i)
		points[card] = int64(i % 300)
		fmt.Fprintf(&b, "M%06d,%s,林小%d,1390000%04d,3000-8000,%s,2019-05-%02d,%d\n", i, card, i%10, i%10000, kind, i%28+1, i%300)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return bad, points
}

// TestMembers_ImportKilled imports a 100,000-row legacy file with the real
// binary into PostgreSQL, kills it with SIGKILL part way, runs it again,
// and checks that the second run resumed and that every good row is
// stored once: member count, every bad line reported, and every opening
// balance posted once. (The contract suite runs the same import code on
// both databases with a smaller file; SQLite's C-to-Go code under the race
// detector would take minutes over 100,000 rows.)
func TestMembers_ImportKilled(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "legacy.csv")
	dsn := scaleFreshPostgres(t)
	bad, points := legacyCSV(t, file)
	key, err := centralpkg.NewMemberKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TILLSYNC_MEMBERS_KEYS="+key, "TILLSYNC_DATABASE_DRIVER=postgres",
		"TILLSYNC_DATABASE_DSN="+dsn)

	// First run: killed once the progress passes 30 %.
	cmd := exec.Command(bins.central, "members", "import", file)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "30.") || strings.HasPrefix(l, "40.") {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
			break
		}
	}
	if err := cmd.Wait(); !killed || err == nil {
		t.Fatalf("first run was not killed part way (killed %v, exit %v)", killed, err)
	}

	// Second run: resumes and finishes.
	cmd = exec.Command(bins.central, "members", "import", file)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("second run: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "resuming the import of legacy.csv at line") {
		t.Errorf("second run did not resume:\n%s", errOut.String())
	}
	want := fmt.Sprintf("%d members stored, %d bad rows skipped, %d lines read", importRows-len(bad), len(bad), importRows+1)
	if !strings.Contains(out.String(), want) {
		t.Errorf("second run: %q, want %q", out.String(), want)
	}

	ctx := context.Background()
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, _, err := centralpkg.ImportFileID(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.ImportBadRows(ctx, id, 10*len(bad))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int64
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, bad) {
		t.Errorf("bad rows stored at %d lines, want %d (first %v)", len(lines), len(bad), lines[:min(5, len(lines))])
	}
	// Every opening balance posted exactly once: the points outstanding
	// are the file's sum over as many cards; a sample of cards is linked
	// to its member with its points in one entry.
	var sum, cards int64
	for _, p := range points {
		sum += p
		if p > 0 {
			cards++
		}
	}
	l, err := s.PointsLiability(ctx, time.Now(), 100)
	if err != nil || l.OutstandingPoints != sum || l.Cards != cards {
		t.Errorf("liability = %+v, %v; want %d points on %d cards", l, err, sum, cards)
	}
	for i := 1; i <= importRows; i += 97 {
		card := fmt.Sprintf("55%08d", i)
		p, good := points[card]
		m, err := s.MemberByCard(ctx, card)
		if !good {
			if centralpkg.ErrorCode(err) != centralpkg.ENOTFOUND {
				t.Errorf("card of bad row %d: %+v, %v", i+1, m, err)
			}
			continue
		}
		if err != nil || m.ActiveCard() != card || m.ID != fmt.Sprintf("M%06d", i) {
			t.Fatalf("card %s: member %+v, %v", centralpkg.MaskCard(card), m, err)
		}
		b, err := s.Balance(ctx, card, time.Now())
		switch {
		case p == 0 && centralpkg.ErrorCode(err) == centralpkg.ENOTFOUND:
		case err != nil || b.Total != p || b.Entries != min(p, 1):
			t.Fatalf("card %s: balance %+v, %v; want %d points in one entry", centralpkg.MaskCard(card), b, err, p)
		}
	}
	staff := 0
	if err := s.MemberTraits(ctx, func(tr centralpkg.MemberTrait) error {
		if tr.Kind == centralpkg.MemberStaff {
			staff++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := importRows/250 - countMultiples(250, 997, importRows); staff != want {
		t.Errorf("%d staff members, want %d", staff, want)
	}
}

// countMultiples counts i ≤ n that are multiples of both a and b.
func countMultiples(a, b, n int) int {
	c := 0
	for i := a; i <= n; i += a {
		if i%b == 0 {
			c++
		}
	}
	return c
}
