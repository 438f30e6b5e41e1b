package barcode

// StripAIM splits an AIM symbology identifier (ISO/IEC 15424: "]" + code
// character + modifier character, e.g. "]E0" EAN-13/UPC, "]E4" EAN-8,
// "]C1" GS1-128) from the front of data. Without one it returns "" and
// data unchanged.
func StripAIM(data string) (aim string, rest string) {
	if len(data) >= 3 && data[0] == ']' && isLetter(data[1]) && isAlnum(data[2]) {
		return data[:3], data[3:]
	}
	return "", data
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

func isAlnum(c byte) bool { return isLetter(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
