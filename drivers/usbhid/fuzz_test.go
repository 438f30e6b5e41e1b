package usbhid

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tillsync/tillsync/drivers"
)

// FuzzParseSelector: never a panic, only ErrConfig errors, and a parsed
// selector prints back to a path that parses to the same selector.
func FuzzParseSelector(f *testing.F) {
	for _, seed := range []string{"usb:05e0:1200", "usb:1-1.4", "usb:0c2e:0b61@2-1.2.3", "usb:1-", "usb:ffff:ffff@255-255", "/dev/hidraw0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		s, err := ParseSelector(path)
		if err != nil {
			if !errors.Is(err, drivers.ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		again, err := ParseSelector(s.String())
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Fatalf("%q → %+v → %q → %+v, %v", path, s, s.String(), again, err)
		}
	})
}
