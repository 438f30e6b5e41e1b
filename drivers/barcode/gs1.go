package barcode

import (
	"fmt"
	"strings"
)

// ErrUnknownAI: a GS1 element string holds an Application Identifier this
// package does not know, so where its data ends cannot be told. It wraps
// ErrFormat.
var ErrUnknownAI = fmt.Errorf("%w: unknown GS1 application identifier", ErrFormat)

// gs is the group separator (ASCII 0x1d) scanners transmit for FNC1 in
// the middle of GS1 data (GS1 General Specifications §7.8.3).
const gs = '\x1d'

// AI is one GS1 element: an Application Identifier and its data.
type AI struct {
	Code  string // "01", "17", "3103", ...
	Value string
}

// aiSpec is how to read one AI: the AI's own length in digits, its data
// length (maximum unless fixed), whether the data is all digits, and
// whether a FNC1 separator follows when more data comes after it.
type aiSpec struct {
	aiLen, dataLen int
	fixed, numeric bool
	separated      bool
}

// predefined returns the spec of AIs whose total length is fixed by their
// first two digits (GS1 General Specifications §7.8.5, Figure 7.8.5-2):
// they need no FNC1 separator.
func predefined(p string) (aiSpec, bool) {
	switch p {
	case "00":
		return aiSpec{aiLen: 2, dataLen: 18, fixed: true, numeric: true}, true
	case "01", "02", "03":
		return aiSpec{aiLen: 2, dataLen: 14, fixed: true, numeric: true}, true
	case "04":
		return aiSpec{aiLen: 2, dataLen: 16, fixed: true, numeric: true}, true
	case "11", "12", "13", "14", "15", "16", "17", "18", "19":
		return aiSpec{aiLen: 2, dataLen: 6, fixed: true, numeric: true}, true
	case "20":
		return aiSpec{aiLen: 2, dataLen: 2, fixed: true, numeric: true}, true
	case "31", "32", "33", "34", "35", "36":
		return aiSpec{aiLen: 4, dataLen: 6, fixed: true, numeric: true}, true
	case "41":
		return aiSpec{aiLen: 3, dataLen: 13, fixed: true, numeric: true}, true
	}
	return aiSpec{}, false
}

// separated returns the spec of common AIs whose data ends with a FNC1
// (or the end of the data), keyed by the AI or, for AI families with a
// decimal-point digit, by its first three digits (GS1 General
// Specifications §3.2).
func separated(code string) (aiSpec, bool) {
	v := func(aiLen, max int, numeric bool) (aiSpec, bool) {
		return aiSpec{aiLen: aiLen, dataLen: max, numeric: numeric, separated: true}, true
	}
	switch code {
	case "10", "21", "22":
		return v(2, 20, false) // batch/lot, serial, consumer product variant
	case "30", "37":
		return v(2, 8, true) // variable count, count of trade items
	case "90":
		return v(2, 30, false)
	case "91", "92", "93", "94", "95", "96", "97", "98", "99":
		return v(2, 90, false) // company internal
	case "240", "241", "250", "251", "400", "401", "403":
		return v(3, 30, false)
	case "254", "420":
		return v(3, 20, false)
	case "421":
		return v(3, 12, false) // ISO country code (3 digits) + postal code
	case "422", "423", "424", "425", "426":
		return v(3, 15, true)
	case "390", "391", "392", "393":
		return v(4, 18, true) // amounts, AI 390n–393n
	case "7003":
		return aiSpec{aiLen: 4, dataLen: 10, fixed: true, numeric: true, separated: true}, true
	case "8008":
		return v(4, 12, true)
	case "8020":
		return v(4, 25, false)
	case "8200":
		return v(4, 70, false)
	}
	return aiSpec{}, false
}

// lookupAI finds the spec for the AI data starts with.
func lookupAI(data string) (aiSpec, error) {
	if len(data) >= 2 {
		if s, ok := predefined(data[:2]); ok {
			if s.aiLen > len(data) {
				return aiSpec{}, fmt.Errorf("GS1 data %q: %w: application identifier cut short", data, ErrFormat)
			}
			return s, nil
		}
		for n := 2; n <= 4 && n <= len(data); n++ {
			if s, ok := separated(data[:n]); ok {
				if s.aiLen > len(data) {
					return aiSpec{}, fmt.Errorf("GS1 data %q: %w: application identifier cut short", data, ErrFormat)
				}
				return s, nil
			}
		}
	}
	return aiSpec{}, fmt.Errorf("GS1 data at %q: %w", prefix(data, 4), ErrUnknownAI)
}

func prefix(s string, n int) string { return s[:min(n, len(s))] }

// ParseGS1 splits a GS1 element string, as a scanner sends GS1-128 (or
// GS1 DataBar, Data Matrix, QR) data, into its AIs in order. A leading
// AIM identifier ("]C1", "]e0", "]d2", "]Q3") and leading FNC1 are
// skipped; FNC1 inside the data is the GS character 0x1d. AIs whose
// length is predefined by their first two digits need no separator;
// variable-length AIs end at GS or at the end of the data.
//
// Errors wrap ErrFormat: an unknown AI wraps ErrUnknownAI, data that is
// truncated, too long, not numeric where it must be, or an empty element
// string. An SSCC (00) or GTIN (01, 02) with a wrong check digit is a
// *CheckDigitError (ErrCheckDigit).
func ParseGS1(data string) ([]AI, error) {
	if aim, rest := StripAIM(data); aim != "" {
		data = rest
	}
	data = strings.TrimPrefix(data, string(gs))
	if data == "" {
		return nil, fmt.Errorf("GS1 data: %w: empty", ErrFormat)
	}
	var ais []AI
	for data != "" {
		ai, rest, err := parseElement(data)
		if err != nil {
			return nil, err
		}
		ais = append(ais, ai)
		data = rest
	}
	return ais, nil
}

// parseElement reads the AI at the front of data and returns the rest.
func parseElement(data string) (AI, string, error) {
	s, err := lookupAI(data)
	if err != nil {
		return AI{}, "", err
	}
	code, rest := data[:s.aiLen], data[s.aiLen:]
	if !allDigits(code) {
		return AI{}, "", fmt.Errorf("GS1 AI %q: %w: not digits", code, ErrUnknownAI)
	}
	var value string
	if s.separated {
		end := strings.IndexByte(rest, gs)
		if end < 0 {
			end = len(rest)
		}
		value, rest = rest[:end], strings.TrimPrefix(rest[end:], string(gs))
	} else {
		if len(rest) < s.dataLen {
			return AI{}, "", fmt.Errorf("GS1 AI (%s) %q: %w: truncated, want %d characters", code, rest, ErrFormat, s.dataLen)
		}
		value, rest = rest[:s.dataLen], rest[s.dataLen:]
		// A FNC1 after a predefined-length AI is allowed but not needed.
		rest = strings.TrimPrefix(rest, string(gs))
	}
	if err := checkValue(code, value, s); err != nil {
		return AI{}, "", err
	}
	return AI{Code: code, Value: value}, rest, nil
}

func checkValue(code, value string, s aiSpec) error {
	switch {
	case value == "":
		return fmt.Errorf("GS1 AI (%s): %w: no data", code, ErrFormat)
	case len(value) > s.dataLen || s.fixed && len(value) != s.dataLen:
		return fmt.Errorf("GS1 AI (%s) %q: %w: %d characters, want %d", code, value, ErrFormat, len(value), s.dataLen)
	case s.numeric && !allDigits(value):
		return fmt.Errorf("GS1 AI (%s) %q: %w: must be digits", code, value, ErrFormat)
	case strings.IndexByte(value, gs) >= 0:
		return fmt.Errorf("GS1 AI (%s): %w: misplaced separator", code, ErrFormat)
	}
	switch code {
	case "00", "01", "02": // SSCC and GTINs carry a GS1 mod-10 check digit
		if err := verifyCheckDigit(value); err != nil {
			return fmt.Errorf("GS1 AI (%s): %w", code, err)
		}
	}
	return nil
}
