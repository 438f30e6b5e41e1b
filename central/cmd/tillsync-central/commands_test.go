package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tillsync/tillsync/central/sqlite"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// execute runs the CLI with args and stdin, returning stdout, stderr and
// the error Execute returned.
func execute(t *testing.T, ctx context.Context, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCmd(strings.NewReader(stdin), &stdout, &stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return stdout.String(), stderr.String(), err
}

func TestCommand_Help(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"run", "--help"}, {"config", "validate", "--help"}, {"report", "sales", "--help"}, {"decode", "--help"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			out, _, err := execute(t, context.Background(), "", args...)
			if err != nil || !strings.Contains(out, "Usage:") {
				t.Fatalf("%v: err %v, output %q", args, err, out)
			}
		})
	}
}

func TestCommand_ConfigValidate(t *testing.T) {
	example, err := filepath.Abs(exampleConfig)
	if err != nil {
		t.Fatalf("abs: %v", err)
	}
	t.Chdir(t.TempDir()) // no ./central.yaml
	t.Run("OK", func(t *testing.T) {
		out, _, err := execute(t, context.Background(), "", "config", "validate", "--config", example)
		if err != nil || !strings.Contains(out, "configuration is valid") {
			t.Fatalf("err %v, output %q", err, out)
		}
	})
	t.Run("ErrEveryKeyNamed", func(t *testing.T) {
		path := writeFile(t, "bad.yaml", "chain_id: \"a/b\"\nbroker:\n  mode: builtin\ningest:\n  workers: 0\n")
		_, errOut, err := execute(t, context.Background(), "", "config", "validate", "--config", path, "--http-listen", "nope")
		var ex exitError
		if !errors.As(err, &ex) || ex != 1 {
			t.Fatalf("err = %v, want exit status 1", err)
		}
		for _, key := range []string{"chain_id", "broker.mode", "ingest.workers", "http.listen"} {
			if !strings.Contains(errOut, "  "+key+": ") {
				t.Errorf("stderr does not name %s:\n%s", key, errOut)
			}
		}
	})
}

func TestCommand_ReportSales(t *testing.T) {
	path := filepath.Join(t.TempDir(), "central.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for _, b := range storetestBatches() {
		if _, err := db.IngestBatch(context.Background(), b, time.Now()); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	tests := []struct {
		format string
		want   string
	}{
		{"csv", "store_id,sales,total_fen,total_yuan\ns1,2,300,3.00\ns2,1,100,1.00\n"},
		{"json", `"store_id": "s2",` + "\n      \"sales\": 1,"},
		{"table", "s1      2          3.00"},
	}
	for _, tt := range tests {
		t.Run("OK_"+tt.format, func(t *testing.T) {
			out, errOut, err := execute(t, context.Background(), "", "report", "sales", "--db", path, "--format", tt.format)
			if err != nil || !strings.Contains(out, tt.want) {
				t.Fatalf("err %v, stderr %q, output:\n%s\nwant it to contain:\n%s", err, errOut, out, tt.want)
			}
		})
	}
	t.Run("ErrFormat", func(t *testing.T) {
		if _, _, err := execute(t, context.Background(), "", "report", "sales", "--db", path, "--format", "xml"); err == nil {
			t.Fatal("--format xml succeeded")
		}
	})
	t.Run("ErrMissingDB", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "none.db")
		if _, _, err := execute(t, context.Background(), "", "report", "sales", "--db", missing); err == nil {
			t.Fatal("report on a missing database succeeded")
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatal("report created the missing database")
		}
	})
}

func TestCommand_Decode(t *testing.T) {
	payload, err := proto.Marshal(storetest.SaleBatch("s1", "a1", 1, 1))
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	file := writeFile(t, "batch.bin", string(payload))
	t.Run("OKFile", func(t *testing.T) {
		out, _, err := execute(t, context.Background(), "", "decode", "--kind", "batch", file)
		if err != nil || !strings.Contains(out, `"kind": "batch"`) || !strings.Contains(out, `"sale_id": "sale-a1-1"`) {
			t.Fatalf("err %v, output %s", err, out)
		}
	})
	t.Run("OKStdinAuto", func(t *testing.T) {
		out, _, err := execute(t, context.Background(), string(payload), "decode")
		if err != nil || !strings.Contains(out, `"agent_id": "a1"`) {
			t.Fatalf("err %v, output %s", err, out)
		}
	})
	t.Run("ErrGarbage", func(t *testing.T) {
		if _, _, err := execute(t, context.Background(), "\xff\xfe garbage", "decode", "--kind", "batch"); err == nil {
			t.Fatal("decode of garbage succeeded")
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the logger's and the test's
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestCommand_Run(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	var stderr syncBuffer
	root := newRootCmd(strings.NewReader(""), &stdout, &stderr)
	root.SetArgs([]string{"run", "--broker-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--db", "c.db"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	running := regexp.MustCompile(`msg="central running".* broker=(tcp://\S+) http=(\S+)`)
	var match []string
	end := time.Now().Add(deadline)
	for match == nil {
		if time.Now().After(end) {
			t.Fatalf("no running line in the log:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
		match = running.FindStringSubmatch(stderr.String())
	}
	sendBatch(t, match[1], storetest.SaleBatch("s1", "a1", 1, 2))
	if rep := getReport(t, match[2]); len(rep["stores"].([]any)) != 1 {
		t.Fatalf("report = %v", rep)
	}
	cancel() // as SIGINT does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(deadline):
		t.Fatal("run did not stop after cancel")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("log has no shutdown line:\n%s", stderr.String())
	}
}

// storetestBatches is two stores' worth of sales: s1 1..2, s2 1.
func storetestBatches() []*syncproto.Batch {
	return []*syncproto.Batch{storetest.SaleBatch("s1", "a1", 1, 2), storetest.SaleBatch("s2", "a2", 1, 1)}
}
