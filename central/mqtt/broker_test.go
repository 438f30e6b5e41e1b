package mqtt_test

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/tillsync/tillsync/central/mqtt"
)

func TestStartBroker(t *testing.T) {
	t.Run("OKFreePort", func(t *testing.T) {
		b := startBroker(t)
		_, port, err := net.SplitHostPort(b.Addr())
		if err != nil || port == "0" {
			t.Fatalf("Addr() = %q, want the chosen port", b.Addr())
		}
		if b.URL() != "tcp://"+b.Addr() {
			t.Errorf("URL() = %q", b.URL())
		}
		newAgentSim(t, b.URL()) // a client can connect and subscribe
	})
	t.Run("ErrAddrInUse", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		defer func() {
			if err := ln.Close(); err != nil {
				t.Errorf("close listener: %v", err)
			}
		}()
		addr := ln.Addr().String()
		_, err = mqtt.StartBroker(addr, nil)
		if err == nil {
			t.Fatal("StartBroker on a taken port succeeded")
		}
		if want := "broker address " + addr + " is in use: "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %q, want prefix %q", err, want)
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("err = %v, want EADDRINUSE in its chain", err)
		}
	})
}
