package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/drivers/serial/serialtest"
)

// lanesConfig writes an agent config with one lane holding a serial
// scanner and a serial card reader on the given paths, and a USB scanner
// that is not plugged in (it is retried in the background).
func lanesConfig(t testing.TB, dir, scannerPath, readerPath string) string {
	t.Helper()
	conf := filepath.Join(dir, "lanes.yaml")
	body := fmt.Sprintf(`lanes:
  - id: lane-1
    devices:
      - {id: lane-1-scanner, kind: serial-scanner, path: %s, baud: 9600, framing: {terminator: cr, aim: true}}
      - {id: lane-1-msr, kind: serial-msr, path: %s, baud: 9600, framing: {terminator: cr}}
      - {id: lane-1-usb, kind: usb-scanner-wedge, path: "usb:05e0:1200"}
`, scannerPath, readerPath)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// TestDevices_Watch: the installers' command prints what the configured
// devices read, card numbers masked.
func TestDevices_Watch(t *testing.T) {
	dir := t.TempDir()
	scanner, scannerPath := serialtest.OpenPTY(t)
	reader, readerPath := serialtest.OpenPTY(t)
	conf := lanesConfig(t, dir, scannerPath, readerPath)
	cmd := exec.Command(bins.agent, "devices", "watch", "--config", conf)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cmd.Process.Kill(); err != nil {
			t.Logf("kill watch: %v", err)
		}
		if err := cmd.Wait(); err != nil && !strings.Contains(err.Error(), "killed") {
			t.Logf("watch: %v", err)
		}
	})
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	want := []string{`scan "6901234000016" symbology=EAN-13 aim=]E0`, "card *********0017"}
	deadline := time.After(time.Minute)
	// Write to a device only once its driver has opened it: bytes written
	// into a pty before the far side opens it are flushed by the open.
	wrote := map[string]bool{}
	send := map[string]func() error{
		"lane-1-scanner online": func() error { _, err := scanner.WriteString("]E06901234000016\r"); return err },
		"lane-1-msr online":     func() error { _, err := reader.WriteString(";8800000000017=2512?\r"); return err },
	}
	var seen []string
	for len(want) > 0 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("watch ended; it printed %q", seen)
			}
			seen = append(seen, line)
			for cue, write := range send {
				if strings.Contains(line, cue) && !wrote[cue] {
					wrote[cue] = true
					if err := write(); err != nil {
						t.Fatal(err)
					}
				}
			}
			for i, w := range want {
				if strings.Contains(line, w) {
					want = append(want[:i], want[i+1:]...)
					break
				}
			}
			if strings.Contains(line, "8800000000017") {
				t.Errorf("watch printed a full card number: %q", line)
			}
		case <-deadline:
			t.Fatalf("watch did not print %q; it printed %q", want, seen)
		}
	}
}

// BenchmarkIdleCPU measures the CPU the agent uses with two serial
// devices and one (unplugged) USB device configured and nothing scanned:
// a driver that busy-polls shows here. Reported as CPU seconds per wall
// second (0.01 = 1 % of one core).
func BenchmarkIdleCPU(b *testing.B) {
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		_, scannerPath := serialtest.OpenPTY(b)
		_, readerPath := serialtest.OpenPTY(b)
		addr := freeAddr(b)
		a := &agentProc{api: "http://" + addr, storeID: "store-1", agentID: "store-1-a1", dir: dir,
			env:  append(agentEnv(dir, "store-1", "store-1-a1", addr, "tcp://"+freeAddr(b)), "TILLSYNC_UPLINK_MODE=off", "TILLSYNC_LOG_LEVEL=info"),
			args: []string{"--config", lanesConfig(b, dir, scannerPath, readerPath)}}
		a.launch(b)
		time.Sleep(2 * time.Second) // let start-up settle
		before := cpuTicks(b, a.cmd.Process.Pid)
		const idle = 10 * time.Second
		time.Sleep(idle)
		used := float64(cpuTicks(b, a.cmd.Process.Pid)-before) / 100 // USER_HZ
		b.ReportMetric(used/idle.Seconds(), "cpu-s/s")
		a.kill(b)
	}
}

// cpuTicks is utime+stime of pid from /proc/pid/stat, in clock ticks.
func cpuTicks(t testing.TB, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) start after ')'.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	var sum int64
	for _, f := range fields[11:13] { // utime, stime (fields 14 and 15)
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		sum += n
	}
	return sum
}
