package drivers

import (
	"github.com/tillsync/tillsync/drivers/barcode"
)

// ParseAIM splits an ISO/IEC 15424 AIM identifier ("]E0") from the front
// of a frame; without one it returns "" and the frame unchanged.
func ParseAIM(frame string) (aim, rest string) {
	return barcode.StripAIM(frame)
}

// NewScan builds the Scan for one frame. With withAIM the frame is
// expected to start with an AIM identifier, which names the symbology;
// without one (or when the scanner sent none) the symbology is guessed
// from the data: 13, 12 or 8 digits with a valid GS1 check digit are
// EAN-13, UPC-A or EAN-8, anything else is unknown. Raw is a copy.
func NewScan(frame []byte, withAIM bool) Scan {
	s := Scan{Raw: append([]byte(nil), frame...)}
	data := string(s.Raw)
	if withAIM {
		s.AIM, data = ParseAIM(data)
	}
	s.Label = data
	s.Symbology, s.ScanDataType = classifyScan(s.AIM, data)
	return s
}

// aimType names the symbology and UnifiedPOS ScanDataType of AIM
// identifiers (ISO/IEC 15424, devices.md) that fix the symbology. "]E0" is
// absent: EAN-13, UPC-A and UPC-E share it and are told apart by length.
func aimType(aim string) (name string, sdt int, ok bool) {
	switch aim {
	case "]E4":
		return "EAN-8", SDTEAN8, true
	case "]C1":
		return "GS1-128", SDTEAN128, true
	case "]C0":
		return "Code 128", SDTCode128, true
	case "]A0":
		return "Code 39", SDTCode39, true
	case "]e0":
		return "GS1 DataBar", SDTUnknown, true
	case "]Q1", "]Q3":
		return "QR Code", SDTQRCode, true
	case "]d1", "]d2":
		return "Data Matrix", SDTDataMatrix, true
	}
	return "", SDTUnknown, false
}

func classifyScan(aim, data string) (string, int) {
	if name, sdt, ok := aimType(aim); ok {
		return name, sdt
	}
	if aim != "" && aim != "]E0" {
		return "", SDTUnknown
	}
	if barcode.ValidGTIN(data) == nil {
		switch len(data) {
		case 13:
			return "EAN-13", SDTEAN13
		case 12:
			return "UPC-A", SDTUPCA
		case 8:
			if aim == "" {
				return "EAN-8", SDTEAN8
			}
		}
	}
	if aim == "]E0" && len(data) == 8 {
		if _, err := barcode.ExpandUPCE(data); err == nil {
			return "UPC-E", SDTUPCE
		}
	}
	return "", SDTUnknown
}
