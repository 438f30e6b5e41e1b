package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tillsync/tillsync/drivers/serial/serialtest"
)

// TestDevices_SerialLane: bytes a scanner writes into the lane's serial
// port (a pseudo-terminal driven by the real tarm/serial code in the
// agent) become a line in that lane's basket, and a swipe on the lane's
// card reader attaches the member.
func TestDevices_SerialLane(t *testing.T) {
	dir := t.TempDir()
	scanner, scannerPath := serialtest.OpenPTY(t)
	reader, readerPath := serialtest.OpenPTY(t)
	conf := filepath.Join(dir, "agent.yaml")
	body := fmt.Sprintf(`lanes:
  - id: lane-1
    devices:
      - {id: lane-1-scanner, kind: serial-scanner, path: %s, baud: 9600, framing: {terminator: cr, aim: true}}
      - {id: lane-1-msr, kind: serial-msr, path: %s, baud: 9600, framing: {terminator: cr}}
`, scannerPath, readerPath)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	a := &agentProc{api: "http://" + addr, storeID: "store-1", agentID: "store-1-a1", dir: dir,
		env:  append(agentEnv(dir, "store-1", "store-1-a1", addr, "tcp://"+freeAddr(t)), "TILLSYNC_UPLINK_MODE=off"),
		args: []string{"--config", conf}}
	a.loadExamples(t)
	a.launch(t)
	type devs struct {
		Devices []struct{ ID, State string } `json:"devices"`
	}
	waitFor(t, time.Minute, "both devices online", func() bool {
		var d devs
		code, err := getJSON(a.api+"/v1/devices", &d)
		online := 0
		for _, x := range d.Devices {
			if x.State == "online" {
				online++
			}
		}
		return err == nil && code == http.StatusOK && online == 2
	})
	// The scanner sends a milk in two fragments, then a cola with its AIM.
	for _, chunk := range []string{"]E0690123", "4000016\r]E0036000291452\r"} {
		if _, err := scanner.WriteString(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reader.WriteString(";8800000000017=2512?\r"); err != nil {
		t.Fatal(err)
	}
	var b basketView
	waitFor(t, time.Minute, "two lines and the member in lane-1's basket", func() bool {
		code, err := getJSON(a.api+"/v1/lanes/lane-1/basket", &b)
		return err == nil && code == http.StatusOK && len(b.Lines) == 2 && b.Member != nil
	})
	if b.Lines[0].SKU != "1001" || b.Lines[1].SKU != "1007" || b.Member.Tier != "gold" {
		t.Errorf("basket %+v", b)
	}
	resp, err := httpClient.Get(a.api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`tillsync_device_up{lane="lane-1",device="lane-1-scanner",kind="serial-scanner"} 1`,
		`tillsync_device_scans_total{lane="lane-1",device="lane-1-scanner",kind="serial-scanner"} 2`,
		`tillsync_device_cards_total{lane="lane-1",device="lane-1-msr",kind="serial-msr"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
