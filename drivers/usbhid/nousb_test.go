//go:build nousb

package usbhid

import (
	"errors"
	"testing"

	"github.com/tillsync/tillsync/drivers"
)

func TestRegister_NoUSB(t *testing.T) {
	r := drivers.NewRegistry()
	if err := Register(r, Options{}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	for _, kind := range []string{KindScannerWedge, KindScannerPOS, KindMSR} {
		if _, err := r.New(drivers.Config{ID: "d", Kind: kind, Path: "usb:05e0:1200"}); !errors.Is(err, drivers.ErrConfig) {
			t.Fatalf("New %s: err = %v, want ErrConfig", kind, err)
		}
	}
}
