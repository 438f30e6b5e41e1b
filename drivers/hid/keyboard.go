package hid

import "fmt"

// Boot keyboard report layout (USB HID 1.11 Appendix B.1): modifier bits,
// a reserved byte, then up to six key codes (usage page 0x07).
const (
	keyboardReportLen = 8
	modLeftCtrl       = 0x01
	modLeftShift      = 0x02
	modRightCtrl      = 0x10
	modRightShift     = 0x20
	keyErrRollOver    = 0x01 // every slot 0x01: too many keys, keep the last state
	keyEnter          = 0x28
	keyKeypadEnter    = 0x58
	keyRightBracket   = 0x30
	asciiGS           = 0x1d // FNC1 in GS1 data (GS1 General Specifications §7.8.3)
)

// KeyboardDecoder turns 8-byte boot keyboard reports from a keyboard-wedge
// scanner into the characters it typed, US layout. A key counts when it
// appears in a report that did not hold it before, so a repeated
// character arrives as press, release (an all-zero report), press; several
// new keys in one report count in slot order. Enter (and keypad Enter)
// becomes '\r', the terminator a drivers.Framer with TermCR cuts on; Tab
// '\t'; Ctrl+] the GS separator 0x1d (FNC1) GS1 data needs.
type KeyboardDecoder struct {
	prev [6]byte
}

// AppendDecode decodes one report and appends the characters it typed to
// dst. A report of the wrong size, or a key outside the US layout, is an
// error wrapping ErrReport; the characters of the report's known keys are
// still appended, so the caller can log and carry on.
func (d *KeyboardDecoder) AppendDecode(dst, report []byte) ([]byte, error) {
	if len(report) != keyboardReportLen {
		return dst, fmt.Errorf("%w: keyboard report of %d bytes, want %d", ErrReport, len(report), keyboardReportLen)
	}
	mods, keys := report[0], report[2:8]
	if keys[0] == keyErrRollOver {
		return dst, nil // phantom state: no key information, nothing changes
	}
	shift := mods&(modLeftShift|modRightShift) != 0
	ctrl := mods&(modLeftCtrl|modRightCtrl) != 0
	var err error
	for _, k := range keys {
		if k == 0 || d.held(k) {
			continue
		}
		c, ok := keyChar(k, shift, ctrl)
		if !ok {
			if err == nil {
				err = fmt.Errorf("%w: key code 0x%02x (modifiers 0x%02x) is not on the US layout", ErrReport, k, mods)
			}
			continue
		}
		dst = append(dst, c)
	}
	copy(d.prev[:], keys)
	return dst, err
}

// Reset forgets the held keys, e.g. after the device reconnects.
func (d *KeyboardDecoder) Reset() { d.prev = [6]byte{} }

func (d *KeyboardDecoder) held(k byte) bool {
	for _, p := range d.prev {
		if p == k {
			return true
		}
	}
	return false
}

// keyChar maps a usage-page-0x07 key code to its US-layout character.
func keyChar(k byte, shift, ctrl bool) (byte, bool) {
	switch {
	case ctrl && k == keyRightBracket:
		return asciiGS, true
	case ctrl:
		return 0, false
	case k >= 0x04 && k <= 0x1d: // a–z
		if shift {
			return 'A' + k - 0x04, true
		}
		return 'a' + k - 0x04, true
	case k >= 0x1e && k <= 0x27: // 1–9, 0
		if shift {
			return "!@#$%^&*()"[k-0x1e], true
		}
		return "1234567890"[k-0x1e], true
	case k == keyEnter || k == keyKeypadEnter:
		return '\r', true
	case k == 0x2b:
		return '\t', true
	case k == 0x2c:
		return ' ', true
	case k >= 0x2d && k <= 0x38 && k != 0x32: // punctuation row; 0x32 is non-US
		if shift {
			return "_+{}|?:\"~<>?"[k-0x2d], true
		}
		return "-=[]\\?;'`,./"[k-0x2d], true
	case k >= 0x54 && k <= 0x57: // keypad / * - +
		return "/*-+"[k-0x54], true
	case k >= 0x59 && k <= 0x63: // keypad 1–9, 0, .
		return "1234567890."[k-0x59], true
	}
	return 0, false
}
