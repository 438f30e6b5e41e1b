package barcode

// Luhn reports whether digits (at least two, all ASCII digits) ends in a
// valid Luhn (ISO/IEC 7812-1 mod-10) check digit. Anything else is false.
func Luhn(digits string) bool {
	if len(digits) < 2 || !allDigits(digits) {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
