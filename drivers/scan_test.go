package drivers

import "testing"

func TestNewScan(t *testing.T) {
	tests := []struct {
		name    string
		frame   string
		aim     bool
		label   string
		wantAIM string
		sym     string
		sdt     int
	}{
		{"EAN13", "5901234123457", false, "5901234123457", "", "EAN-13", SDTEAN13},
		{"EAN8", "96385074", false, "96385074", "", "EAN-8", SDTEAN8},
		{"UPCA", "036000291452", false, "036000291452", "", "UPC-A", SDTUPCA},
		{"BadCheckDigit", "5901234123458", false, "5901234123458", "", "", SDTUnknown},
		{"AIMEAN13", "]E04006381333931", true, "4006381333931", "]E0", "EAN-13", SDTEAN13},
		{"AIMUPCE", "]E004252614", true, "04252614", "]E0", "UPC-E", SDTUPCE},
		{"AIMEAN8", "]E496385074", true, "96385074", "]E4", "EAN-8", SDTEAN8},
		{"AIMGS1128", "]C10109506000134352", true, "0109506000134352", "]C1", "GS1-128", SDTEAN128},
		{"AIMQR", "]Q1hello", true, "hello", "]Q1", "QR Code", SDTQRCode},
		{"AIMUnknown", "]X0abc", true, "abc", "]X0", "", SDTUnknown},
		{"AIMExpectedButMissing", "5901234123457", true, "5901234123457", "", "EAN-13", SDTEAN13},
		{"AIMNotExpected", "]E05901234123457", false, "]E05901234123457", "", "", SDTUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScan([]byte(tt.frame), tt.aim)
			if s.Label != tt.label || s.AIM != tt.wantAIM || s.Symbology != tt.sym || s.ScanDataType != tt.sdt || string(s.Raw) != tt.frame {
				t.Fatalf("NewScan(%q) = %+v", tt.frame, s)
			}
		})
	}
}
