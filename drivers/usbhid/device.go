//go:build !nousb

package usbhid

import (
	"fmt"
	"log/slog"

	"github.com/google/gousb"

	"github.com/tillsync/tillsync/drivers"
)

// HID devices we support use configuration 1, interface 0, alternate
// setting 0 (boot keyboards and single-interface POS scanners).
const (
	hidConfig    = 1
	hidInterface = 0
	hidAlt       = 0
)

// usbDevice is one opened device and everything opened to reach its
// endpoint; close releases them in reverse order.
type usbDevice struct {
	ctx  *gousb.Context
	dev  *gousb.Device
	cfg  *gousb.Config
	intf *gousb.Interface
	in   *gousb.InEndpoint
}

// newContext starts libusb; gousb panics when libusb cannot start
// (devices.md), which is a retryable error here, not a crash.
func newContext() (c *gousb.Context, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("start libusb: %v", p)
		}
	}()
	return gousb.NewContext(), nil
}

// openDevice opens the first device sel matches up to its interrupt IN
// endpoint. A missing, busy or forbidden device is a *drivers.RetryError;
// a device without an interrupt IN endpoint is not (it is not a HID
// scanner, and retrying will not change that).
func openDevice(sel Selector, log *slog.Logger) (_ *usbDevice, err error) {
	u := &usbDevice{}
	defer func() {
		if err != nil {
			u.close(log)
		}
	}()
	retry := func(e error) error { return &drivers.RetryError{Device: sel.String(), Err: e} }
	if u.ctx, err = newContext(); err != nil {
		return nil, retry(err)
	}
	u.ctx.Debug(0) // libusb's own stderr logging off (package doc: Logging)
	found := false
	devs, err := u.ctx.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		if found || !sel.Match(uint16(desc.Vendor), uint16(desc.Product), desc.Bus, desc.Path) {
			return false
		}
		found = true
		return true
	})
	if len(devs) == 0 {
		if err != nil {
			return nil, retry(fmt.Errorf("open %s: %w", sel, err))
		}
		return nil, retry(fmt.Errorf("%s: device not connected", sel))
	}
	u.dev = devs[0]
	if err := u.dev.SetAutoDetach(true); err != nil {
		return nil, retry(fmt.Errorf("%s: detach kernel driver: %w", u.dev, err))
	}
	// Config and Interface wrap their causes with %v (devices.md), so
	// errors.Is cannot see them; they are all retried.
	if u.cfg, err = u.dev.Config(hidConfig); err != nil {
		return nil, retry(fmt.Errorf("claim config: %w", err))
	}
	if u.intf, err = u.cfg.Interface(hidInterface, hidAlt); err != nil {
		return nil, retry(fmt.Errorf("claim interface: %w", err))
	}
	ep, ok := interruptIn(u.intf.Setting)
	if !ok {
		return nil, fmt.Errorf("device %s: %s has no interrupt IN endpoint on interface %d: not a HID scanner or reader", sel, u.dev, hidInterface)
	}
	if u.in, err = u.intf.InEndpoint(ep); err != nil {
		return nil, retry(fmt.Errorf("open endpoint %d: %w", ep, err))
	}
	return u, nil
}

// interruptIn returns the number of the setting's first interrupt IN
// endpoint (HID 1.11 §4.4: every HID interface has one).
func interruptIn(s gousb.InterfaceSetting) (int, bool) {
	best, ok := 0, false
	for _, ep := range s.Endpoints {
		if ep.Direction == gousb.EndpointDirectionIn && ep.TransferType == gousb.TransferTypeInterrupt {
			if !ok || ep.Number < best {
				best, ok = ep.Number, true
			}
		}
	}
	return best, ok
}

// close releases what was opened, interface first and context last:
// gousb refuses to close a device with a claimed config or a context
// with an open device (devices.md). Failures are only logged: the
// device is usually gone already.
func (u *usbDevice) close(log *slog.Logger) {
	if u.intf != nil {
		u.intf.Close()
	}
	if u.cfg != nil {
		if err := u.cfg.Close(); err != nil {
			log.Debug("close config", "err", err)
		}
	}
	if u.dev != nil {
		if err := u.dev.Close(); err != nil {
			log.Debug("close device", "err", err)
		}
	}
	if u.ctx != nil {
		if err := u.ctx.Close(); err != nil {
			log.Debug("close libusb context", "err", err)
		}
	}
	*u = usbDevice{}
}
