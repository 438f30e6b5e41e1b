// Package hid decodes the HID reports USB barcode scanners send, in pure
// Go: boot-protocol keyboard reports from keyboard-wedge scanners
// (KeyboardDecoder) and HID POS scanner reports, usage page 0x8C
// (POSAssembler). The gousb driver (drivers/usbhid) reads the reports;
// this package only turns bytes into characters and scans, so it is
// tested without USB. Decoders never panic: malformed reports are errors
// wrapping ErrReport. Each decoder is a small state machine owned by one
// device and not safe for concurrent use.
package hid

import "errors"

// ErrReport: a report is malformed (wrong size, wrong report ID, a length
// that does not fit) or names a key the US layout does not have.
var ErrReport = errors.New("malformed HID report")
