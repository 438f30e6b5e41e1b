package e2e

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDemo runs scripts/demo in a short mode (2 stores × 1 lane, a fixed
// seed, a 2 s outage of one store) with the binaries TestMain built, and
// checks that its own summary passed; then it searches every process log
// for the full card numbers, names and phone numbers of the members the
// demo generated, and each agent's ledger file for their names and phone
// numbers: none may be there (DESIGN §8.5).
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	demo := filepath.Join(dir, "demo")
	build := exec.Command("go", "build", "-o", demo, "github.com/tillsync/tillsync/scripts/demo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build demo: %v\n%s", err, out)
	}
	work := filepath.Join(dir, "work")
	cmd := exec.Command(demo, "--bins", filepath.Dir(bins.agent), "--dir", work, "--seed", "7",
		"--stores", "2", "--lanes", "1", "--duration", "8s", "--outage", "2s", "--speed", "4",
		"--members", "3000", "--skus", "500", "--progress", "1s")
	out, err := cmd.CombinedOutput()
	t.Run("SelfCheck", func(t *testing.T) {
		if err != nil {
			t.Fatalf("demo failed: %v\n%s", err, out)
		}
		for _, want := range []string{
			"ok   every store synced", "ok   chain: ", "ok   HQ quarantined 0 events",
			"ok   S002 lost its link to HQ, said so, and kept selling", "member cards: balance at HQ",
			"ok   customer pyramid", "HQ dashboard:  http://127.0.0.1:", "/till/lane-1",
		} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("demo output lacks %q:\n%s", want, out)
			}
		}
		if bytes.Contains(out, []byte("FAIL")) {
			t.Errorf("a check failed:\n%s", out)
		}
	})
	t.Run("NoPersonalDataInLogs", func(t *testing.T) {
		pd := readPersonalData(t, filepath.Join(work, "members-legacy.csv"))
		files, err := filepath.Glob(filepath.Join(work, "logs", "*.log"))
		if err != nil {
			t.Fatal(err)
		}
		ledgers, err := filepath.Glob(filepath.Join(work, "*-ledger.db"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 3 || len(ledgers) != 2 {
			t.Fatalf("logs %v, ledgers %v: want central's and both agents'", files, ledgers)
		}
		for _, f := range files {
			for _, hit := range pd.find(read(t, f)) {
				t.Errorf("%s holds a member's %s", filepath.Base(f), hit)
			}
		}
		// A store holds the card number (DESIGN §3: card, masked name, last
		// four phone digits, tier, balance), never a name or a phone number.
		// The card numbers found are the search's positive control.
		for _, f := range ledgers {
			cards := 0
			for _, hit := range pd.find(read(t, f)) {
				if strings.HasPrefix(hit, "card number") {
					cards++
					continue
				}
				t.Errorf("%s holds a member's %s", filepath.Base(f), hit)
			}
			if cards == 0 {
				t.Errorf("%s holds no card number: the search finds nothing, or no member shopped", filepath.Base(f))
			}
		}
	})
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// personalData is what the demo's legacy member file holds that no store
// or log may: full card numbers, names, phone numbers.
type personalData struct {
	cards, phones, names map[string]bool
}

func readPersonalData(t *testing.T, path string) *personalData {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	pd := &personalData{cards: map[string]bool{}, phones: map[string]bool{}, names: map[string]bool{}}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, r := range rows[1:] {
		pd.cards[r[col["card"]]] = true
		pd.phones[r[col["phone"]]] = true
		pd.names[r[col["name"]]] = true
	}
	if len(pd.cards) < 1000 || len(pd.names) < 100 {
		t.Fatalf("%d cards, %d names in %s: the demo's membership is missing", len(pd.cards), len(pd.names), path)
	}
	return pd
}

// find returns what of pd occurs in b: a card number anywhere in a run
// of digits, a phone number as a whole run of 11 digits, a name as any
// two or three characters in a row. One pass over b, set lookups only.
func (pd *personalData) find(b []byte) []string {
	var hits []string
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i {
			i++
			continue
		}
		run := string(b[i:j])
		for k := 0; k+13 <= len(run); k++ {
			if pd.cards[run[k:k+13]] {
				hits = append(hits, "card number "+run[k:k+4]+"…")
			}
		}
		if len(run) == 11 && pd.phones[run] {
			hits = append(hits, "phone number 1…")
		}
		i = j
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x4e00 && r <= 0x9fff {
			for _, n := range []int{2, 3} {
				if name, ok := runes(b[i:], n); ok && pd.names[name] {
					hits = append(hits, "name "+strings.Repeat("*", n))
				}
			}
		}
		i += size
	}
	return hits
}

// runes returns the first n runes of b as a string.
func runes(b []byte, n int) (string, bool) {
	end := 0
	for k := 0; k < n; k++ {
		if end >= len(b) {
			return "", false
		}
		_, size := utf8.DecodeRune(b[end:])
		end += size
	}
	return string(b[:end]), true
}
