//go:build umockdev && !nousb

package usbhid

import (
	"fmt"
	"os"
	"testing"

	"github.com/tillsync/tillsync/drivers"
	"github.com/tillsync/tillsync/drivers/hid"
)

// TestMain creates the umockdev testbed before anything looks at /sys
// (devices.md: one testbed per process, made first). These tests drive
// the real gousb + libusb path and run only under umockdev-wrapper:
//
//	go test -tags umockdev -exec umockdev-wrapper ./drivers/usbhid/
func TestMain(m *testing.M) {
	if os.Getenv("LD_PRELOAD") == "" {
		fmt.Fprintln(os.Stderr, "the umockdev tests must run under umockdev-wrapper: go test -tags umockdev -exec umockdev-wrapper ./drivers/usbhid/")
		os.Exit(2)
	}
	if err := mockStart(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

var (
	wedgeDevice = mockDevice{vid: 0x05e0, pid: 0x1200, packetSize: 8}
	posDevice   = mockDevice{vid: 0x0c2e, pid: 0x0b61, pos: true, packetSize: hid.POSReportLen}
)

// plug plugs dev in for the test and unplugs it at the end.
func plug(t *testing.T, dev mockDevice) {
	t.Helper()
	if err := mockPlug(dev); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mockUnplug)
}

// queue makes the emulated device send reports.
func queue(t *testing.T, reports ...[]byte) {
	t.Helper()
	for _, r := range reports {
		if err := mockQueue(r); err != nil {
			t.Fatalf("queue report % x: %v", r, err)
		}
	}
}

func TestDriver_Run_Umockdev(t *testing.T) {
	t.Run("WedgeScan", func(t *testing.T) {
		plug(t, wedgeDevice)
		h := start(t, newTestDriver(t, NewWedgeScanner, KindScannerWedge, "usb:05e0:1200", drivers.Framing{}))
		h.waitState(drivers.Online)
		// Shifted letters, a repeated character ("333") and Enter.
		queue(t, typeReports("Ab-1123\r4006381333931\r")...)
		wantScan(t, h.next(), "Ab-1123", "", drivers.SDTUnknown)
		wantScan(t, h.next(), "4006381333931", "", drivers.SDTEAN13)
	})
	t.Run("WedgeByPort", func(t *testing.T) {
		plug(t, wedgeDevice)
		h := start(t, newTestDriver(t, NewWedgeScanner, KindScannerWedge, "usb:05e0:1200@1-1", drivers.Framing{AIM: true}))
		h.waitState(drivers.Online)
		queue(t, typeReports("]E496385074\r")...)
		wantScan(t, h.next(), "96385074", "]E4", drivers.SDTEAN8)
	})
	t.Run("MSR", func(t *testing.T) {
		plug(t, wedgeDevice)
		h := start(t, newTestDriver(t, NewMSR, KindMSR, "usb:05e0:1200", drivers.Framing{}))
		h.waitState(drivers.Online)
		queue(t, typeReports(";6035710123456789=2512?\r;E?\r")...)
		if e := h.next(); e.Kind != drivers.KindCard || e.Card.Card != "6035710123456789" || e.Card.Expiry != "2512" {
			t.Fatalf("got %+v, want card 6035710123456789", e)
		}
		if e := h.next(); e.Kind != drivers.KindState || e.State.State != drivers.Error || e.State.Reason != drivers.ErrCardRead.Error() {
			t.Fatalf("got %+v, want an Error state for the unreadable swipe", e)
		}
	})
	t.Run("POSContinuation", func(t *testing.T) {
		plug(t, posDevice)
		h := start(t, newTestDriver(t, NewPOSScanner, KindScannerPOS, "usb:0c2e:0b61", drivers.Framing{}))
		h.waitState(drivers.Online)
		long := "0109506000134352" + "17201225" + "10ABC123\x1d21XYZ" + "\x1d" + "2112345678901234567890123456"
		queue(t, posReport("]C1", long[:58], true), posReport("]C1", long[58:], false))
		wantScan(t, h.next(), long, "]C1", drivers.SDTEAN128)
	})
	t.Run("UnplugReplug", func(t *testing.T) {
		if err := mockPlug(wedgeDevice); err != nil {
			t.Fatal(err)
		}
		h := start(t, newTestDriver(t, NewWedgeScanner, KindScannerWedge, "usb:05e0:1200", drivers.Framing{}))
		h.waitState(drivers.Online)
		queue(t, typeReports("5901234123457\r")...)
		wantScan(t, h.next(), "5901234123457", "", drivers.SDTEAN13)
		mockUnplug()
		if e := h.waitState(drivers.Offline); e.State.Reason != "device disconnected" {
			t.Fatalf("offline reason %q", e.State.Reason)
		}
		plug(t, wedgeDevice)
		h.waitState(drivers.Online)
		queue(t, typeReports("036000291452\r")...)
		wantScan(t, h.next(), "036000291452", "", drivers.SDTUPCA)
	})
	t.Run("MissingAtStart", func(t *testing.T) {
		h := start(t, newTestDriver(t, NewWedgeScanner, KindScannerWedge, "usb:05e0:1200", drivers.Framing{}))
		if e := h.waitState(drivers.Offline); e.State.Reason != "device not connected" {
			t.Fatalf("offline reason %q", e.State.Reason)
		}
		plug(t, wedgeDevice)
		h.waitState(drivers.Online)
		queue(t, typeReports("96385074\r")...)
		wantScan(t, h.next(), "96385074", "", drivers.SDTEAN8)
	})
	t.Run("CancelWhileIdle", func(t *testing.T) {
		plug(t, wedgeDevice)
		h := start(t, newTestDriver(t, NewWedgeScanner, KindScannerWedge, "usb:05e0:1200", drivers.Framing{}))
		h.waitState(drivers.Online)
		if err := h.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if e := h.waitState(drivers.Offline); e.State.Reason != "driver stopped" {
			t.Fatalf("offline reason %q", e.State.Reason)
		}
		if n := mockPending(); n != 0 {
			t.Fatalf("%d reports left unread", n)
		}
	})
}
