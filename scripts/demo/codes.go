package main

import (
	"fmt"
	"strconv"

	"github.com/tillsync/tillsync/drivers/barcode"
)

// withCheckDigit appends the GS1 mod-10 check digit (GS1 General
// Specifications §7.9.1) to body, the digits of a GTIN but its last.
func withCheckDigit(body string) string {
	d, err := barcode.CheckDigit(body + "0")
	if err != nil {
		panic(fmt.Sprintf("check digit of %q: %v", body, err)) // bodies are built from digits here
	}
	return body + strconv.Itoa(d)
}

// weightLabel is a scale label in the policy's "21" layout:
// 21 IIIII WWWWW C, the item code and the weight in grams.
func weightLabel(itemCode int, grams int64) string {
	return withCheckDigit(fmt.Sprintf("21%05d%05d", itemCode, grams))
}

// priceLabel is a scale label in the policy's "22" layout:
// 22 IIII P PPPPP C, the item code, the price check digit (§7.9.3) and
// the price in fen.
func priceLabel(itemCode int, priceFen int64) string {
	value := fmt.Sprintf("%05d", priceFen)
	return withCheckDigit(fmt.Sprintf("22%04d%d%s", itemCode, barcode.PriceCheckDigit(value), value))
}

// luhnCard is a 13-digit membership card number "8800" + 8 digits + a
// Luhn (ISO/IEC 7812-1) check digit, which the policy's card pattern takes.
func luhnCard(n int) string {
	body := fmt.Sprintf("8800%08d", n)
	for d := 0; d <= 9; d++ {
		if c := body + strconv.Itoa(d); barcode.Luhn(c) {
			return c
		}
	}
	panic("no Luhn digit") // one of ten always fits
}

// swipe is what a serial magnetic-stripe reader sends for a loyalty card:
// ISO/IEC 7813 track 2 ";PAN=YYMM...?" with its LRC character, optionally
// after the "%E?" a three-track reader prints for an empty track 1, and
// a CR terminator.
func swipe(card string, emptyTrack1 bool) string {
	t2 := ";" + card + "=2812101" + "?"
	lrc := byte(0)
	for i := 0; i < len(t2); i++ {
		lrc ^= t2[i] - 0x30
	}
	t2 += string(rune(0x30 + lrc&0x0f))
	if emptyTrack1 {
		t2 = "%E?" + t2
	}
	return t2 + "\r"
}

// scannerFrame is what a serial scanner with AIM identifiers sends for
// code: "]E4" for EAN-8, "]E0" for EAN-13 and UPC-A (ISO/IEC 15424), CR.
func scannerFrame(code string) string {
	if len(code) == 8 {
		return "]E4" + code + "\r"
	}
	return "]E0" + code + "\r"
}
