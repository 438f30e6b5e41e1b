// Package usbhid runs USB HID barcode scanners and keyboard-mode card
// readers through github.com/google/gousb (libusb), the only package in
// tillsync that imports it (DESIGN §2). It needs cgo and libusb-1.0; with
// the build tag `nousb` it compiles without them and its Register adds
// factories that refuse every USB device with a config error, so pure-Go
// cross builds keep the same wiring.
//
// Kinds:
//
//   - usb-scanner-wedge: a keyboard-wedge scanner (8-byte boot keyboard
//     reports). Keys are decoded (hid.KeyboardDecoder, Enter is CR), the
//     characters cut into frames by drivers.Framer per Config.Framing, and
//     each frame is a Scan event.
//   - usb-scanner-pos: a HID POS scanner (usage page 0x8C, 64-byte reports
//     with an AIM identifier and a continuation flag, hid.POSAssembler).
//     Each assembled scan is a Scan event with its AIM identifier.
//   - usb-msr: a keyboard-mode magnetic-stripe reader. Like the wedge, but
//     each frame is parsed with drivers.ParseTracks into a Card event, or
//     an Error State "card could not be read, swipe again".
//
// Device selection, Config.Path (see ParseSelector):
//
//	usb:VVVV:PPPP            vendor and product ID, hex ("usb:05e0:1200")
//	usb:B-P[.P...]           bus and port path as Linux names it in
//	                         /sys/bus/usb/devices ("usb:1-1.4": bus 1,
//	                         port 1 of the root hub, port 4 of that hub)
//	usb:VVVV:PPPP@B-P[.P...] both: that product at that port, for a lane
//	                         with two identical scanners
//
// A Driver opens the first matching device, detaches the kernel's HID
// driver (SetAutoDetach), claims configuration 1, interface 0 and reads its
// interrupt IN endpoint with a short per-read deadline, so cancelling Run
// never waits on the device. Unplugging (TransferNoDevice / ErrorNoDevice,
// devices.md) makes the device Offline; everything is closed in reverse
// order (interface, config, device, context — gousb refuses otherwise) and
// the Driver polls for the device on a backoff, since gousb has no
// hotplug. A device missing at start is Offline, not an error.
//
// Logging: libusb's own logging is switched off (Context.Debug(0)). gousb
// reports handle_events errors through the standard library's log package;
// changing that is process-wide state, so this package does not: the
// agent's main routes it by installing its logger with slog.SetDefault,
// which sends the log package's output to that handler.
//
// Permissions: on a till the agent's user needs access to the device node
// (/dev/bus/usb/BBB/DDD); libusb reports -3 (access) otherwise. Install a
// udev rule granting it (DESIGN §2: configs/ holds the rule).
package usbhid
