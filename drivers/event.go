package drivers

import (
	"fmt"
	"log/slog"
	"time"
)

// EventKind says which payload of an Event is set.
type EventKind int

// Event kinds. The zero value is invalid so a forgotten Kind is caught.
const (
	KindScan EventKind = iota + 1
	KindCard
	KindState
)

// String returns "scan", "card" or "state".
func (k EventKind) String() string {
	switch k {
	case KindScan:
		return "scan"
	case KindCard:
		return "card"
	case KindState:
		return "state"
	default:
		return fmt.Sprintf("kind(%d)", int(k))
	}
}

// Event is one thing a device reported. Exactly the payload named by Kind
// is meaningful; the others are zero.
type Event struct {
	Kind   EventKind
	Device string    // Config.ID of the device that sent it
	Time   time.Time // when the driver received it (injected clock)
	Scan   Scan
	Card   Card
	State  State
}

// Scan is one barcode read, in UnifiedPOS terms: Raw is ScanData (the
// frame as received, AIM prefix included, terminator and configured prefix
// removed), Label is ScanDataLabel (the data without the AIM identifier).
type Scan struct {
	Raw          []byte
	Label        string
	Symbology    string // human name, e.g. "EAN-13", "GS1-128"; "" if unknown
	AIM          string // ISO/IEC 15424 identifier, e.g. "]E0"; "" if none sent
	ScanDataType int    // UnifiedPOS SCAN_SDT_* code; SDTUnknown if unknown
}

// UnifiedPOS ScanDataType codes (UnifiedPOS 1.16 Scanner, SCAN_SDT_*).
const (
	SDTUnknown    = 0
	SDTUPCA       = 101
	SDTUPCE       = 102
	SDTEAN8       = 103
	SDTEAN13      = 104
	SDTCode39     = 108
	SDTCode128    = 110
	SDTEAN128     = 120
	SDTDataMatrix = 203
	SDTQRCode     = 204
)

// Card is one successful magnetic-stripe read (ISO/IEC 7813). The card
// holder's name is never kept: Track1 has its name field emptied
// ("%B<PAN>^^<YYMM>...?") and its LRC character removed. Card carries a
// full card number, so log it only through its String or LogValue, which
// mask it.
type Card struct {
	Track1 string // sanitized track 1, "" if not read
	Track2 string // track 2 with sentinels, LRC removed, "" if not read
	Card   string // the primary account number (PAN)
	Expiry string // YYMM if the track carries one, else ""
}

// String masks the card number: a Card must never reach a log in full.
func (c Card) String() string { return "card " + MaskPAN(c.Card) }

// LogValue makes slog print the masked card number only.
func (c Card) LogValue() slog.Value {
	return slog.GroupValue(slog.String("card", MaskPAN(c.Card)))
}

var _ slog.LogValuer = Card{}

// MaskPAN keeps the last four digits of a card number and replaces the
// rest with '*'; numbers of four digits or fewer are masked entirely.
func MaskPAN(pan string) string {
	if len(pan) <= 4 {
		return fmt.Sprintf("%.*s", len(pan), "********************")
	}
	masked := []byte(pan)
	for i := 0; i < len(masked)-4; i++ {
		masked[i] = '*'
	}
	return string(masked)
}

// DeviceState is a device's health as the till shows it.
type DeviceState int

// Device states. Error is momentary (a bad swipe, an overlong frame): the
// device stays usable and the next data event implies Online again.
const (
	Offline DeviceState = iota + 1
	Online
	Error
)

// String returns "offline", "online" or "error".
func (s DeviceState) String() string {
	switch s {
	case Offline:
		return "offline"
	case Online:
		return "online"
	case Error:
		return "error"
	default:
		return fmt.Sprintf("state(%d)", int(s))
	}
}

// State is a change in a device's health. Reason is written for the
// cashier ("card could not be read, swipe again"); Code is a UnifiedPOS
// extended error code where one applies (MSR 201–204), else 0.
type State struct {
	State  DeviceState
	Reason string
	Code   int
}
