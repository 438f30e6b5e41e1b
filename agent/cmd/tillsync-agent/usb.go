package main

import (
	"log/slog"

	"github.com/tillsync/tillsync/drivers"
	"github.com/tillsync/tillsync/drivers/usbhid"
)

// registerUSB adds the USB HID device kinds. In a pure-Go build (tag
// nousb) usbhid registers them with factories that fail clearly: USB HID
// needs cgo and libusb.
func registerUSB(reg *drivers.Registry, logger *slog.Logger) error {
	return usbhid.Register(reg, usbhid.Options{Logger: logger})
}
