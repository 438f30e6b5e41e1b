// Package barcode holds pure decoders for the data a till's scanner sends:
// AIM symbology identifiers, GTINs (EAN-13, EAN-8, UPC-A, UPC-E, GTIN-14)
// and their GS1 check digits, restricted-circulation EAN-13 with an
// embedded price or weight, and the Luhn check used by many card numbers.
//
// It imports nothing from the rest of tillsync, does no I/O and keeps no
// state: every function is safe for concurrent use. Errors are plain Go
// errors (sentinels below, checked with errors.Is); the agent turns them
// into messages for the cashier.
package barcode

import "errors"

// Sentinel errors; every error this package returns wraps one of them.
var (
	// ErrFormat: the data is not the kind of code asked for (wrong length,
	// not digits, a symbology that carries no GTIN).
	ErrFormat = errors.New("not a valid barcode")
	// ErrCheckDigit: the code has the right shape but its GS1 mod-10 check
	// digit is wrong (a misread, or a mistyped code).
	ErrCheckDigit = errors.New("wrong check digit")
	// ErrPriceCheckDigit: the price check digit inside a
	// restricted-circulation barcode is wrong (GS1 General Specifications
	// §7.9.3, §7.9.4).
	ErrPriceCheckDigit = errors.New("wrong price check digit")
	// ErrLayout: a RestrictedLayout does not describe a 13-digit code.
	ErrLayout = errors.New("invalid restricted-circulation layout")
)
