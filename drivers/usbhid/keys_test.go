//go:build !nousb

package usbhid

// typeReports returns the boot keyboard reports a keyboard-wedge device
// sends to type s (US layout): each character is a press and a release,
// so repeated characters arrive as the decoder expects.
func typeReports(s string) [][]byte {
	var out [][]byte
	for i := 0; i < len(s); i++ {
		mods, key := keyFor(s[i])
		out = append(out, []byte{mods, 0, key, 0, 0, 0, 0, 0}, make([]byte, 8))
	}
	return out
}

// keyFor maps a character to its modifier byte and key code (HID Usage
// Tables §10, keyboard page 0x07).
func keyFor(c byte) (mods, key byte) {
	const shift = 0x02
	switch {
	case c >= 'a' && c <= 'z':
		return 0, 0x04 + c - 'a'
	case c >= 'A' && c <= 'Z':
		return shift, 0x04 + c - 'A'
	case c >= '1' && c <= '9':
		return 0, 0x1e + c - '1'
	case c == '0':
		return 0, 0x27
	case c == '\r':
		return 0, 0x28
	case c == '\x1d':
		return 0x01, 0x30 // Ctrl+]
	}
	// Index 5 is key 0x32, which the US layout lacks.
	for i, k := range []byte("-=[]\\?;'`,./") {
		if c == k && i != 5 {
			return 0, 0x2d + byte(i)
		}
	}
	for i, k := range []byte("_+{}|?:\"~<>?") {
		if c == k && i != 5 {
			return shift, 0x2d + byte(i)
		}
	}
	panic("keyFor: no key for " + string(c))
}
