package importcheck

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const testModule = "github.com/tillsync/tillsync"

// TestModule_Imports is the check itself: every non-test .go file of the
// module against Rules.
func TestModule_Imports(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	root, err := FindModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	module, err := ModulePath(root)
	if err != nil {
		t.Fatal(err)
	}
	files, err := LoadFiles(root)
	if err != nil {
		t.Errorf("some files could not be checked: %v", err)
	}
	// Guard against a walk that silently finds nothing.
	if !slices.ContainsFunc(files, func(f File) bool { return f.Path == "syncproto/topics.go" }) {
		t.Fatalf("scanned %d files under %s but not syncproto/topics.go", len(files), root)
	}
	t.Logf("checked %d files of %s", len(files), module)
	for _, v := range Check(Rules(module), files) {
		t.Errorf("%s", v)
	}
}

// TestCheck_Synthetic proves the rules fire: each case is an in-memory file
// set with the violations it must produce.
func TestCheck_Synthetic(t *testing.T) {
	tests := []struct {
		name string
		file string   // slash path of the one file
		imps []string // its imports
		want []string // the imports reported, in order
	}{
		{"OKBoltInBolt", "agent/bolt/journal.go", []string{"go.etcd.io/bbolt"}, nil},
		{"OKBoltBelowBolt", "agent/bolt/internal/x.go", []string{"go.etcd.io/bbolt"}, nil},
		{"OKPahoInCentralMQTT", "central/mqtt/sub.go", []string{"github.com/eclipse/paho.mqtt.golang", "github.com/mochi-mqtt/server/v2/hooks/auth"}, nil},
		{"OKPgxInPostgres", "central/postgres/db.go", []string{"github.com/jackc/pgx/v5/pgxpool"}, nil},
		{"OKCobraInCmd", "agent/cmd/tillsync-agent/main.go", []string{"github.com/spf13/cobra", "github.com/spf13/viper", "github.com/tillsync/tillsync/agent/bolt"}, nil},
		{"OKHTTPInAgentHTTP", "agent/http/server.go", []string{"net/http", "github.com/tillsync/tillsync/agent", "github.com/tillsync/tillsync/syncproto"}, nil},
		{"OKDomainImports", "agent/sale.go", []string{"context", "net/netip", "github.com/tillsync/tillsync/syncproto", "github.com/tillsync/tillsync/drivers"}, nil},
		{"ErrBoltInAgentRoot", "agent/sale.go", []string{"go.etcd.io/bbolt"}, []string{"go.etcd.io/bbolt"}},
		{"ErrBoltInLookalikeDir", "agent/boltx/x.go", []string{"go.etcd.io/bbolt"}, []string{"go.etcd.io/bbolt"}},
		{"ErrBoltInCentral", "central/sqlite/db.go", []string{"go.etcd.io/bbolt/errors"}, []string{"go.etcd.io/bbolt/errors"}},
		{"ErrSerialOutsideDriver", "drivers/usbhid/hid.go", []string{"github.com/tarm/serial", "github.com/google/gousb"}, []string{"github.com/tarm/serial"}},
		{"ErrGousbOutsideDriver", "drivers/serial/port.go", []string{"github.com/google/gousb"}, []string{"github.com/google/gousb"}},
		{"ErrPahoInAgentHTTP", "agent/http/sse.go", []string{"github.com/eclipse/paho.mqtt.golang"}, []string{"github.com/eclipse/paho.mqtt.golang"}},
		{"ErrMochiInAgentMQTT", "agent/mqtt/up.go", []string{"github.com/eclipse/paho.mqtt.golang", "github.com/mochi-mqtt/server/v2"}, []string{"github.com/mochi-mqtt/server/v2"}},
		{"ErrPgxInSQLite", "central/sqlite/db.go", []string{"github.com/jackc/pgx/v5"}, []string{"github.com/jackc/pgx/v5"}},
		{"ErrSQLiteInPostgres", "central/postgres/db.go", []string{"modernc.org/sqlite"}, []string{"modernc.org/sqlite"}},
		{"ErrViperOutsideCmd", "agent/mqtt/config.go", []string{"github.com/spf13/viper"}, []string{"github.com/spf13/viper"}},
		{"ErrCobraInCmdLookalike", "agent/cmdline/x.go", []string{"github.com/spf13/cobra"}, []string{"github.com/spf13/cobra"}},
		{"ErrAgentImportsCentral", "agent/http/members.go", []string{testModule + "/central"}, []string{testModule + "/central"}},
		{"ErrCentralImportsAgent", "central/mqtt/sub.go", []string{testModule + "/agent/bolt"}, []string{testModule + "/agent/bolt"}},
		{"ErrSyncprotoImportsAgent", "syncproto/codec.go", []string{testModule + "/agent", testModule + "/central/sqlite"}, []string{testModule + "/agent", testModule + "/central/sqlite"}},
		{"ErrDriversImportAgent", "drivers/serial/port.go", []string{testModule + "/agent"}, []string{testModule + "/agent"}},
		{"ErrAgentRootHTTP", "agent/service.go", []string{"net/http", "net/http/httptest", "os/exec"}, []string{"net/http", "net/http/httptest", "os/exec"}},
		{"ErrCentralRootSQL", "central/ledger.go", []string{"database/sql", "database/sql/driver"}, []string{"database/sql", "database/sql/driver"}},
		{"ErrChromedpOutsideTests", "central/http/dashboard.go", []string{"github.com/chromedp/chromedp"}, []string{"github.com/chromedp/chromedp"}},
		{"ErrCmdImportsBolt", "agent/cmd/tillsync-agent/main.go", []string{"go.etcd.io/bbolt"}, []string{"go.etcd.io/bbolt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile(tt.file, []byte(source(tt.imps)))
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			var got []string
			for _, v := range Check(Rules(testModule), []File{f}) {
				got = append(got, v.Import)
				if v.File != tt.file || v.Line < 3 || v.Rule == "" {
					t.Errorf("violation %+v does not name its file, line and rule", v)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("reported %q, want %q", got, tt.want)
			}
		})
	}
}

// source returns a Go file importing imps, one per line from line 4.
func source(imps []string) string {
	var b strings.Builder
	b.WriteString("package x\n\nimport (\n")
	for _, imp := range imps {
		b.WriteString("\t_ \"" + imp + "\"\n")
	}
	b.WriteString(")\n")
	return b.String()
}

func TestParseFile(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		src := "package agent\n\nimport \"fmt\"\n\nimport (\n\tbolt \"go.etcd.io/bbolt\"\n\t. \"strings\"\n)\n\nfunc broken( {\n"
		f, err := ParseFile("agent/x.go", []byte(src))
		if err != nil {
			t.Fatalf("ParseFile of a file broken after its imports: %v", err)
		}
		want := []Import{{"fmt", 3}, {"go.etcd.io/bbolt", 6}, {"strings", 7}}
		if !slices.Equal(f.Imports, want) {
			t.Errorf("imports %v, want %v", f.Imports, want)
		}
	})
	t.Run("ErrSyntax", func(t *testing.T) {
		_, err := ParseFile("agent/x.go", []byte("package agent\nimport (\n\"fmt\"\n"))
		if err == nil || !strings.Contains(err.Error(), "agent/x.go") {
			t.Errorf("error = %v, want a parse error naming agent/x.go", err)
		}
	})
}

func TestViolation_String(t *testing.T) {
	v := Violation{File: "agent/sale.go", Line: 7, Import: "go.etcd.io/bbolt", Rule: "go.etcd.io/bbolt is imported only by agent/bolt"}
	want := `agent/sale.go:7: imports "go.etcd.io/bbolt", but go.etcd.io/bbolt is imported only by agent/bolt`
	if got := v.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestLoadFiles runs the whole check on a module on disk: it must find the
// violation in a package and skip what the go command skips.
func TestLoadFiles(t *testing.T) {
	root := t.TempDir()
	bad := source([]string{"go.etcd.io/bbolt"})
	write := func(rel, src string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/shop\n\ngo 1.26\n")
	write("agent/sale.go", bad)
	write("agent/bolt/journal.go", bad)
	for _, skipped := range []string{"agent/sale_test.go", "agent/testdata/x.go", "vendor/x/x.go",
		".git/x.go", "_old/x.go", "agent/.#sale.go", "tools/go.mod", "tools/x.go", "agent/notes.txt"} {
		write(skipped, bad)
	}

	t.Run("OK", func(t *testing.T) {
		got, err := FindModuleRoot(filepath.Join(root, "agent", "bolt"))
		if err != nil || got != root {
			t.Fatalf("FindModuleRoot = %q, %v; want %q", got, err, root)
		}
		module, err := ModulePath(root)
		if err != nil || module != "example.com/shop" {
			t.Fatalf("ModulePath = %q, %v", module, err)
		}
		files, err := LoadFiles(root)
		if err != nil {
			t.Fatalf("LoadFiles: %v", err)
		}
		var paths []string
		for _, f := range files {
			paths = append(paths, f.Path)
		}
		if want := []string{"agent/bolt/journal.go", "agent/sale.go"}; !slices.Equal(paths, want) {
			t.Errorf("loaded %q, want %q", paths, want)
		}
		vs := Check(Rules(module), files)
		if len(vs) != 1 || vs[0].File != "agent/sale.go" || vs[0].Import != "go.etcd.io/bbolt" {
			t.Errorf("violations %v, want one for agent/sale.go", vs)
		}
	})
	t.Run("ErrUnparsable", func(t *testing.T) {
		write("central/broken.go", "package central\nimport (\n")
		files, err := LoadFiles(root)
		if err == nil || !strings.Contains(err.Error(), "central/broken.go") {
			t.Errorf("error = %v, want one naming central/broken.go", err)
		}
		if len(files) != 2 {
			t.Errorf("loaded %d files, want the 2 parsable ones", len(files))
		}
	})
	t.Run("ErrNoModule", func(t *testing.T) {
		if _, err := FindModuleRoot(string(filepath.Separator)); !errors.Is(err, ErrNoModule) {
			t.Errorf("FindModuleRoot(/) error = %v, want ErrNoModule", err)
		}
	})
}
