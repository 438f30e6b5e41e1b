package hid

import (
	"bytes"
	"errors"
	"testing"
)

// rep builds a boot keyboard report.
func rep(mods byte, keys ...byte) []byte {
	r := make([]byte, 8)
	r[0] = mods
	copy(r[2:], keys)
	return r
}

func TestKeyboardDecoder_AppendDecode(t *testing.T) {
	const shift, ctrl = modLeftShift, modLeftCtrl
	tests := []struct {
		name    string
		reports [][]byte
		want    string
	}{
		{"Digits", [][]byte{rep(0, 0x22), rep(0), rep(0, 0x26), rep(0), rep(0, 0x27), rep(0), rep(0, 0x28), rep(0)}, "590\r"},
		{"RepeatedCharNeedsRelease", [][]byte{rep(0, 0x1e), rep(0), rep(0, 0x1e), rep(0, 0x1e), rep(0)}, "11"},
		{"MultipleKeysInOrder", [][]byte{rep(0, 0x1f, 0x20, 0x21), rep(0)}, "234"},
		{"HeldKeyThenNewKey", [][]byte{rep(0, 0x04), rep(0, 0x04, 0x05), rep(0)}, "ab"},
		{"Shift", [][]byte{rep(shift, 0x04), rep(0), rep(modRightShift, 0x1e), rep(shift, 0x38), rep(0)}, "A!?"},
		{"CtrlBracketIsGS", [][]byte{rep(0, 0x1e), rep(ctrl, keyRightBracket), rep(0), rep(0, 0x1f)}, "1\x1d2"},
		{"TabSpacePunct", [][]byte{rep(0, 0x2b, 0x2c, 0x2d, 0x37), rep(0)}, "\t -."},
		{"Keypad", [][]byte{rep(0, 0x59, 0x62, 0x63, keyKeypadEnter), rep(0)}, "10.\r"},
		{"RollOverIgnored", [][]byte{rep(0, 0x04), rep(0, 1, 1, 1, 1, 1, 1), rep(0, 0x04), rep(0)}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d KeyboardDecoder
			var got []byte
			for _, r := range tt.reports {
				var err error
				if got, err = d.AppendDecode(got, r); err != nil {
					t.Fatalf("AppendDecode(% x): %v", r, err)
				}
			}
			if string(got) != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyboardDecoder_AppendDecode_Err(t *testing.T) {
	var d KeyboardDecoder
	for _, r := range [][]byte{nil, make([]byte, 7), make([]byte, 9)} {
		if _, err := d.AppendDecode(nil, r); !errors.Is(err, ErrReport) {
			t.Fatalf("report of %d bytes: err = %v", len(r), err)
		}
	}
	got, err := d.AppendDecode(nil, rep(0, 0x04, 0x3a, 0x05)) // F1 between a and b
	if !errors.Is(err, ErrReport) || string(got) != "ab" {
		t.Fatalf("unknown key: got %q, %v", got, err)
	}
}

// pos builds one 64-byte HID POS report.
func pos(aim, data string, more bool) []byte {
	r := make([]byte, POSReportLen)
	r[0], r[1] = POSReportID, byte(len(data))
	copy(r[2:5], aim)
	copy(r[5:], data)
	if more {
		r[63] = 1
	}
	return r
}

func TestPOSAssembler_Feed(t *testing.T) {
	long := "0109506000134352172012251" + "0ABC123\x1d21XYZ" + string(bytes.Repeat([]byte("9"), 40))
	tests := []struct {
		name     string
		reports  [][]byte
		wantAIM  string
		wantData string
	}{
		{"Single", [][]byte{pos("]E0", "5901234123457", false)}, "]E0", "5901234123457"},
		{"NoAIM", [][]byte{pos("", "96385074", false)}, "", "96385074"},
		{"Continued", [][]byte{pos("]C1", long[:58], true), pos("]C1", long[58:], false)}, "]C1", long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a POSAssembler
			for i, r := range tt.reports {
				aim, data, done, err := a.Feed(r)
				if err != nil {
					t.Fatalf("Feed: %v", err)
				}
				if last := i == len(tt.reports)-1; done != last {
					t.Fatalf("report %d: done = %v", i, done)
				} else if last && (aim != tt.wantAIM || string(data) != tt.wantData) {
					t.Fatalf("got %q %q, want %q %q", aim, data, tt.wantAIM, tt.wantData)
				}
			}
		})
	}
}

func TestPOSAssembler_Feed_Err(t *testing.T) {
	badID := pos("]E0", "1", false)
	badID[0] = 0x01
	badLen := pos("]E0", "1", false)
	badLen[1] = 59
	for name, r := range map[string][]byte{"Short": make([]byte, 10), "ReportID": badID, "Length": badLen} {
		t.Run(name, func(t *testing.T) {
			var a POSAssembler
			if _, _, _, err := a.Feed(r); !errors.Is(err, ErrReport) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("TooLong", func(t *testing.T) {
		a := POSAssembler{MaxScan: 60}
		if _, _, _, err := a.Feed(pos("]E0", string(make([]byte, 58)), true)); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := a.Feed(pos("]E0", "123", false)); !errors.Is(err, ErrReport) {
			t.Fatalf("err = %v", err)
		}
		// the assembler recovers with the next scan
		if aim, data, done, err := a.Feed(pos("]E4", "96385074", false)); err != nil || !done || aim != "]E4" || string(data) != "96385074" {
			t.Fatalf("after error: %q %q %v %v", aim, data, done, err)
		}
	})
}
