package usbhid

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tillsync/tillsync/drivers"
)

func TestParseSelector(t *testing.T) {
	tests := []struct {
		path string
		want Selector
	}{
		{"usb:05e0:1200", Selector{ByID: true, Vendor: 0x05e0, Product: 0x1200}},
		{"usb:5E0:A", Selector{ByID: true, Vendor: 0x05e0, Product: 0x000a}},
		{"usb:1-4", Selector{Bus: 1, Ports: []int{4}}},
		{"usb:2-1.4.3", Selector{Bus: 2, Ports: []int{1, 4, 3}}},
		{"usb:0c2e:0b61@1-1.2", Selector{ByID: true, Vendor: 0x0c2e, Product: 0x0b61, Bus: 1, Ports: []int{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := ParseSelector(tt.path)
			if err != nil {
				t.Fatalf("ParseSelector: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseSelector_Err(t *testing.T) {
	for _, path := range []string{
		"", "usb:", "/dev/hidraw0", "USB:05e0:1200", "usb:05e0", "usb:05e0:", "usb::1200",
		"usb:05e0:12000", "usb:xyz0:1200", "usb:05e0:1200@", "usb:05e0:1200@1", "usb:1-",
		"usb:0-1", "usb:1-0", "usb:1-1..2", "usb:1-256", "usb:a-1", "usb:1-1.2.3.4.5.6.7.8", "usb:05e0:1200:1",
	} {
		t.Run(path, func(t *testing.T) {
			if s, err := ParseSelector(path); !errors.Is(err, drivers.ErrConfig) {
				t.Fatalf("got %+v, %v; want ErrConfig", s, err)
			}
		})
	}
}

func TestSelector_Match(t *testing.T) {
	type dev struct {
		vid, pid uint16
		bus      int
		ports    []int
	}
	scanner := dev{0x05e0, 0x1200, 1, []int{1, 4}}
	tests := []struct {
		path string
		dev  dev
		want bool
	}{
		{"usb:05e0:1200", scanner, true},
		{"usb:05e0:1201", scanner, false},
		{"usb:05e1:1200", scanner, false},
		{"usb:1-1.4", scanner, true},
		{"usb:1-1", scanner, false},
		{"usb:2-1.4", scanner, false},
		{"usb:1-1.4.1", scanner, false},
		{"usb:05e0:1200@1-1.4", scanner, true},
		{"usb:05e0:1200@1-1.3", scanner, false},
		{"usb:0c2e:0b61@1-1.4", scanner, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			s, err := ParseSelector(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Match(tt.dev.vid, tt.dev.pid, tt.dev.bus, tt.dev.ports); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSelector_String(t *testing.T) {
	for _, path := range []string{"usb:05e0:1200", "usb:1-4", "usb:2-1.4.3", "usb:0c2e:0b61@1-1.2"} {
		t.Run(path, func(t *testing.T) {
			s, err := ParseSelector(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.String(); got != path {
				t.Fatalf("String = %q, want %q", got, path)
			}
		})
	}
}
