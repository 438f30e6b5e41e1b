//go:build nousb

package usbhid

import (
	"fmt"

	"github.com/tillsync/tillsync/drivers"
)

// Register adds factories for KindScannerWedge, KindScannerPOS and KindMSR
// that refuse every device: this binary was built with -tags nousb
// (without cgo and libusb). The config error names the cause, so a lane
// configured with a USB device fails at start-up instead of silently
// missing its scanner.
func Register(r *drivers.Registry, opts Options) error {
	for _, kind := range []string{KindScannerWedge, KindScannerPOS, KindMSR} {
		err := r.Register(kind, func(c drivers.Config) (drivers.Driver, error) {
			return nil, fmt.Errorf("%w: device kind %s needs USB support, but this binary was built with -tags nousb", drivers.ErrConfig, c.Kind)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
