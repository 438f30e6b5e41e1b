package barcode

import (
	"fmt"
	"strings"
)

// Symbology is the kind of product barcode a GTIN was read from.
type Symbology int

// Symbologies NormalizeGTIN recognises. Unknown is the zero value.
const (
	Unknown Symbology = iota
	EAN13
	EAN8
	UPCA
	UPCE
	GTIN14
)

// String returns the symbology's usual name ("EAN-13", "UPC-E", ...).
func (s Symbology) String() string {
	switch s {
	case EAN13:
		return "EAN-13"
	case EAN8:
		return "EAN-8"
	case UPCA:
		return "UPC-A"
	case UPCE:
		return "UPC-E"
	case GTIN14:
		return "GTIN-14"
	default:
		return "unknown"
	}
}

// CheckDigitError is a GTIN whose check digit does not match its other
// digits. It wraps ErrCheckDigit.
type CheckDigitError struct {
	Code string
	Got  int // the check digit the code carries
	Want int // the check digit its other digits call for
}

func (e *CheckDigitError) Error() string {
	return fmt.Sprintf("barcode %s: check digit is %d, expected %d", e.Code, e.Got, e.Want)
}

// Unwrap makes errors.Is(err, ErrCheckDigit) true.
func (e *CheckDigitError) Unwrap() error { return ErrCheckDigit }

// CheckDigit returns the GS1 mod-10 check digit (GS1 General
// Specifications §7.9.1) computed over all but the last digit of digits,
// i.e. the digit a valid code of that length must end with. digits must
// be 2 or more ASCII digits, otherwise the error wraps ErrFormat.
func CheckDigit(digits string) (int, error) {
	if len(digits) < 2 || !allDigits(digits) {
		return 0, fmt.Errorf("check digit of %q: %w: need at least two digits", digits, ErrFormat)
	}
	sum := 0
	weight := 3 // the digit left of the check digit weighs 3, then 1, 3, ...
	for i := len(digits) - 2; i >= 0; i-- {
		sum += int(digits[i]-'0') * weight
		weight = 4 - weight
	}
	return (10 - sum%10) % 10, nil
}

// ValidGTIN checks that code is a GTIN-8, -12, -13 or -14: all digits, one
// of those lengths, and a correct check digit. A wrong check digit is a
// *CheckDigitError (wrapping ErrCheckDigit); anything else wraps ErrFormat.
func ValidGTIN(code string) error {
	if !allDigits(code) {
		return fmt.Errorf("barcode %q: %w: a GTIN holds only digits", code, ErrFormat)
	}
	switch len(code) {
	case 8, 12, 13, 14:
	default:
		return fmt.Errorf("barcode %s: %w: %d digits, a GTIN has 8, 12, 13 or 14", code, ErrFormat, len(code))
	}
	return verifyCheckDigit(code)
}

func verifyCheckDigit(code string) error {
	want, err := CheckDigit(code)
	if err != nil {
		return err
	}
	if got := int(code[len(code)-1] - '0'); got != want {
		return &CheckDigitError{Code: code, Got: got, Want: want}
	}
	return nil
}

// ExpandUPCE expands an 8-digit UPC-E (number system 0 or 1, six data
// digits, check digit) to the 12-digit UPC-A it stands for, checking the
// check digit (which UPC-E takes from the UPC-A). E.g. 04252614 →
// 042100005264.
func ExpandUPCE(upce string) (upca string, err error) {
	if len(upce) != 8 || !allDigits(upce) || (upce[0] != '0' && upce[0] != '1') {
		return "", fmt.Errorf("UPC-E %q: %w: need 8 digits starting with 0 or 1", upce, ErrFormat)
	}
	ns, d, check := upce[:1], upce[1:7], upce[7:]
	var body string
	// The last data digit says where the zeros go (UPC-E zero suppression).
	switch d[5] {
	case '0', '1', '2':
		body = d[0:2] + d[5:6] + "0000" + d[2:5]
	case '3':
		body = d[0:3] + "00000" + d[3:5]
	case '4':
		body = d[0:4] + "00000" + d[4:5]
	default:
		body = d[0:5] + "0000" + d[5:6]
	}
	upca = ns + body + check
	if err := verifyCheckDigit(upca); err != nil {
		return "", fmt.Errorf("UPC-E %s: %w", upce, err)
	}
	return upca, nil
}

// NormalizeGTIN turns scanner data into a 14-digit GTIN (left-padded with
// zeros), the form the catalog is keyed by. The rule for telling the
// symbologies apart, since 8 digits may be EAN-8 or UPC-E:
//
//   - no AIM prefix: 8 digits are EAN-8, 12 UPC-A, 13 EAN-13, 14 GTIN-14.
//     A scanner that sends UPC-E must either transmit AIM identifiers or
//     expand UPC-E to UPC-A (a standard scanner setting);
//   - "]E0" (EAN-13, UPC-A or UPC-E, ISO/IEC 15424): 13 digits EAN-13,
//     12 UPC-A, 8 UPC-E (expanded to UPC-A);
//   - "]E4": 8 digits EAN-8;
//   - "]I0"/"]I1" (ITF-14): 14 digits GTIN-14;
//   - "]C1", "]e0", "]d2", "]Q3" (GS1 element strings): the GTIN of AI
//     (01), which must come first (GS1 puts it first by convention);
//   - any other AIM prefix carries no GTIN: ErrFormat.
//
// A wrong check digit returns a *CheckDigitError; other failures wrap
// ErrFormat; sym is Unknown whenever err is non-nil.
func NormalizeGTIN(data string) (gtin14 string, sym Symbology, err error) {
	aim, rest := StripAIM(data)
	sym, code, err := classify(aim, rest)
	if err != nil {
		return "", Unknown, err
	}
	if err := ValidGTIN(code); err != nil {
		return "", Unknown, err
	}
	return strings.Repeat("0", 14-len(code)) + code, sym, nil
}

// classify returns the symbology and the GTIN digits (UPC-E expanded).
func classify(aim, rest string) (Symbology, string, error) {
	var bySize map[int]Symbology
	switch aim {
	case "":
		bySize = map[int]Symbology{8: EAN8, 12: UPCA, 13: EAN13, 14: GTIN14}
	case "]E0":
		bySize = map[int]Symbology{8: UPCE, 12: UPCA, 13: EAN13}
	case "]E4":
		bySize = map[int]Symbology{8: EAN8}
	case "]I0", "]I1":
		bySize = map[int]Symbology{14: GTIN14}
	case "]C1", "]e0", "]d2", "]Q3":
		if len(rest) < 16 || rest[:2] != "01" {
			return Unknown, "", fmt.Errorf("GS1 data %q: %w: carries no GTIN (AI 01) first", rest, ErrFormat)
		}
		return GTIN14, rest[2:16], nil
	default:
		return Unknown, "", fmt.Errorf("symbology %s: %w: it carries no GTIN", aim, ErrFormat)
	}
	sym, ok := bySize[len(rest)]
	if !ok || !allDigits(rest) {
		return Unknown, "", fmt.Errorf("barcode %q: %w: not a GTIN for symbology %q", rest, ErrFormat, aim)
	}
	if sym == UPCE {
		upca, err := ExpandUPCE(rest)
		return sym, upca, err
	}
	return sym, rest, nil
}
