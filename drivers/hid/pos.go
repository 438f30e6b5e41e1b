package hid

import "fmt"

// HID POS scanner report layout (usage page 0x8C, the common 64-byte
// input report, devices.md): byte 0 report ID 0x02, byte 1 the number of
// data bytes in this report, bytes 2–4 the AIM identifier ("]E0"; zeros
// when the scanner sends none), data from byte 5, and the last byte a
// flag that is non-zero when more reports of the same scan follow.
const (
	POSReportLen   = 64
	POSReportID    = 0x02
	posDataOffset  = 5
	posMaxData     = POSReportLen - posDataOffset - 1 // 58
	defaultMaxScan = 4096
)

// POSAssembler joins HID POS scanner reports into whole scans. The AIM
// identifier is taken from a scan's first report.
type POSAssembler struct {
	// MaxScan caps an assembled scan; 0 means 4096 bytes. A longer scan is
	// an error and is dropped.
	MaxScan int
	aim     string
	data    []byte
	active  bool
}

// Feed adds one report. When it completes a scan, done is true and aim
// and data hold it; data is only valid until the next Feed. A malformed
// report is an error wrapping ErrReport and drops any partial scan.
func (a *POSAssembler) Feed(report []byte) (aim string, data []byte, done bool, err error) {
	if err := checkPOSReport(report); err != nil {
		a.Reset()
		return "", nil, false, err
	}
	n := int(report[1])
	if !a.active {
		a.active, a.data = true, a.data[:0]
		a.aim = aimOf(report[2:5])
	}
	max := a.MaxScan
	if max <= 0 {
		max = defaultMaxScan
	}
	if len(a.data)+n > max {
		a.Reset()
		return "", nil, false, fmt.Errorf("%w: scan longer than %d bytes", ErrReport, max)
	}
	a.data = append(a.data, report[posDataOffset:posDataOffset+n]...)
	if report[POSReportLen-1] != 0 {
		return "", nil, false, nil // continuation follows
	}
	a.active = false
	return a.aim, a.data, true, nil
}

// Reset drops any partial scan.
func (a *POSAssembler) Reset() {
	a.active, a.aim, a.data = false, "", a.data[:0]
}

func checkPOSReport(r []byte) error {
	switch {
	case len(r) != POSReportLen:
		return fmt.Errorf("%w: POS report of %d bytes, want %d", ErrReport, len(r), POSReportLen)
	case r[0] != POSReportID:
		return fmt.Errorf("%w: report ID 0x%02x, want 0x%02x", ErrReport, r[0], POSReportID)
	case int(r[1]) > posMaxData:
		return fmt.Errorf("%w: length %d, at most %d fit", ErrReport, r[1], posMaxData)
	}
	return nil
}

// aimOf returns the 3-byte AIM identifier, or "" when the scanner sent
// none (zeros) or something that is not one.
func aimOf(b []byte) string {
	if b[0] != ']' || b[1] == 0 || b[2] == 0 {
		return ""
	}
	return string(b)
}
