// Package drivers is the device model the store agent uses for a till's
// scanners and card readers, in the shape UnifiedPOS users know (open →
// claim → enable → data events): a Driver runs one device, reconnects on
// its own, and reports what it reads as Events (Scan, Card) and how it is
// doing as State events (Online, Offline, Error).
//
// The package also holds the pure parts every transport shares: the
// byte-stream Framer, AIM/symbology classification of scans (UnifiedPOS
// ScanDataType) and the ISO/IEC 7813 magnetic-stripe track parser.
// Transports live in subpackages, one technology each (DESIGN §2):
// drivers/serial (tarm/serial) and drivers/usbhid (gousb); drivers/hid
// holds the pure HID report decoders. This package imports neither the
// agent nor central, keeps no package-level state, and does no I/O.
//
// Plugins follow the telegraf model: a small Driver interface, a Registry
// value mapping a kind to a Factory, factories that validate the Config
// but never connect, and a *RetryError for start-up failures that a
// reconnect may cure.
package drivers
