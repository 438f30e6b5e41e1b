package usbhid

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tillsync/tillsync/drivers"
)

// pathScheme starts every USB device path.
const pathScheme = "usb:"

// Selector picks a USB device by vendor/product ID, by bus and port path,
// or by both (all given parts must match). Build it with ParseSelector.
type Selector struct {
	ByID    bool   // Vendor and Product are set
	Vendor  uint16 // idVendor
	Product uint16 // idProduct
	Bus     int    // 0: any bus (then Ports is empty)
	Ports   []int  // port path from the root hub; empty: any port
}

// ParseSelector parses a Config.Path: "usb:VVVV:PPPP" (hex IDs),
// "usb:B-P[.P...]" (decimal bus and port path, Linux sysfs naming) or
// "usb:VVVV:PPPP@B-P[.P...]". Errors wrap drivers.ErrConfig and show the
// expected syntax.
func ParseSelector(path string) (Selector, error) {
	rest, ok := strings.CutPrefix(path, pathScheme)
	if !ok || rest == "" {
		return Selector{}, selectorErr(path, "want usb:VVVV:PPPP, usb:B-P.P or usb:VVVV:PPPP@B-P.P")
	}
	var s Selector
	ids, port, hasPort := strings.Cut(rest, "@")
	if !hasPort && !strings.Contains(rest, ":") {
		ids, port, hasPort = "", rest, true
	}
	if ids != "" || !hasPort {
		vid, pid, ok := strings.Cut(ids, ":")
		if !ok {
			return Selector{}, selectorErr(path, "vendor and product ID must be VVVV:PPPP")
		}
		var err error
		if s.Vendor, err = parseID(vid); err != nil {
			return Selector{}, selectorErr(path, "vendor ID: "+err.Error())
		}
		if s.Product, err = parseID(pid); err != nil {
			return Selector{}, selectorErr(path, "product ID: "+err.Error())
		}
		s.ByID = true
	}
	if hasPort {
		var err error
		if s.Bus, s.Ports, err = parsePort(port); err != nil {
			return Selector{}, selectorErr(path, err.Error())
		}
	}
	return s, nil
}

func selectorErr(path, why string) error {
	return fmt.Errorf("%w: path %q: %s", drivers.ErrConfig, path, why)
}

// parseID parses a 16-bit USB ID of 1–4 hex digits.
func parseID(s string) (uint16, error) {
	if s == "" || len(s) > 4 {
		return 0, fmt.Errorf("%q is not 1-4 hex digits", s)
	}
	v, err := strconv.ParseUint(s, 16, 16)
	if err != nil {
		return 0, fmt.Errorf("%q is not 1-4 hex digits", s)
	}
	return uint16(v), nil
}

// parsePort parses "B-P[.P...]": bus ≥ 1, each port 1–255, at most 7
// tiers (USB 2.0 §4.1.1 allows five hubs between host and device).
func parsePort(s string) (bus int, ports []int, err error) {
	b, p, ok := strings.Cut(s, "-")
	if !ok || p == "" {
		return 0, nil, fmt.Errorf("port %q must be BUS-PORT[.PORT...], e.g. 1-1.4", s)
	}
	bus, err = strconv.Atoi(b)
	if err != nil || bus < 1 || bus > 255 {
		return 0, nil, fmt.Errorf("bus %q must be a number 1-255", b)
	}
	for _, f := range strings.Split(p, ".") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 255 {
			return 0, nil, fmt.Errorf("port %q in %q must be a number 1-255", f, s)
		}
		ports = append(ports, n)
	}
	if len(ports) > 7 {
		return 0, nil, fmt.Errorf("port path %q is deeper than USB allows", s)
	}
	return bus, ports, nil
}

// Match reports whether a device with these descriptor values is the
// selected one. ports is the device's port path from the root hub.
func (s Selector) Match(vendor, product uint16, bus int, ports []int) bool {
	if s.ByID && (vendor != s.Vendor || product != s.Product) {
		return false
	}
	if s.Bus != 0 && (bus != s.Bus || !slices.Equal(ports, s.Ports)) {
		return false
	}
	return true
}

// String returns the selector in Config.Path syntax.
func (s Selector) String() string {
	var b strings.Builder
	b.WriteString(pathScheme)
	if s.ByID {
		fmt.Fprintf(&b, "%04x:%04x", s.Vendor, s.Product)
	}
	if s.Bus != 0 {
		if s.ByID {
			b.WriteByte('@')
		}
		fmt.Fprintf(&b, "%d-", s.Bus)
		for i, p := range s.Ports {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(strconv.Itoa(p))
		}
	}
	return b.String()
}
