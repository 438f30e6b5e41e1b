package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/central/mqtt"
	"github.com/tillsync/tillsync/central/storetest"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

// deadline bounds every wait; waits poll, nothing asserts on timing.
const deadline = 60 * time.Second

// testConfig is DefaultConfig on free ports with a database in a temp dir.
func testConfig(t *testing.T) Config {
	t.Helper()
	c := DefaultConfig()
	c.Broker.Listen = "127.0.0.1:0"
	c.HTTP.Listen = "127.0.0.1:0"
	c.Database.Path = filepath.Join(t.TempDir(), "central.db")
	return c
}

func runMain(t *testing.T, c Config) *Main {
	t.Helper()
	m := NewMain(c, nil)
	if err := m.Run(t.Context()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	end := time.Now().Add(deadline)
	for !m.Ingester.Subscribed() {
		if time.Now().After(end) {
			t.Fatal("ingester never subscribed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return m
}

// sendBatch publishes b as its agent would and waits for central's ack.
func sendBatch(t *testing.T, brokerURL string, b *syncproto.Batch) *syncproto.Ack {
	t.Helper()
	tp, err := syncproto.NewTopics("", "demo")
	if err != nil {
		t.Fatalf("NewTopics: %v", err)
	}
	acks := make(chan *syncproto.Ack, 10)
	c := paho.NewClient(paho.NewClientOptions().AddBroker(brokerURL).
		SetClientID("test-" + b.GetAgentId()).SetOrderMatters(false))
	if tok := c.Connect(); !tok.WaitTimeout(deadline) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", brokerURL, tok.Error())
	}
	defer c.Disconnect(100)
	tok := c.Subscribe(tp.Ack(b.GetStoreId(), b.GetAgentId()), 1, func(_ paho.Client, m paho.Message) {
		var a syncproto.Ack
		if err := proto.Unmarshal(m.Payload(), &a); err == nil {
			acks <- &a
		}
	})
	if !tok.WaitTimeout(deadline) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	payload, err := proto.Marshal(b)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if tok := c.Publish(tp.Up(b.GetStoreId(), b.GetAgentId()), 1, false, payload); !tok.WaitTimeout(deadline) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case a := <-acks:
		return a
	case <-time.After(deadline):
		t.Fatal("no ack")
		return nil
	}
}

func getReport(t *testing.T, addr string) map[string]any {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v1/reports/sales-by-store")
	if err != nil {
		t.Fatalf("GET report: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET report: %d %s %v", resp.StatusCode, body, err)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("report JSON %s: %v", body, err)
	}
	return v
}

func TestMain_Run(t *testing.T) {
	t.Run("OKEmbedded", func(t *testing.T) {
		m := runMain(t, testConfig(t))
		a := sendBatch(t, m.Broker.URL(), storetest.SaleBatch("s1", "a1", 1, 5))
		if r := a.GetRanges(); len(r) != 1 || r[0].GetFirst() != 1 || r[0].GetLast() != 5 {
			t.Fatalf("ack = %v", a)
		}
		rep := getReport(t, m.Server.Addr())
		stores, ok := rep["stores"].([]any)
		if !ok || len(stores) != 1 || stores[0].(map[string]any)["sales"] != float64(5) {
			t.Fatalf("report = %v, want s1 with 5 sales", rep)
		}
		// The ack can reach the test before central counts it: read the
		// metrics until they show it, for a while.
		wants := []string{`tillsync_central_events_total{result="applied"} 5`, "tillsync_central_acks_total 1", "tillsync_central_subscribed 1"}
		var body []byte
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			resp, err := http.Get("http://" + m.Server.Addr() + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, err = io.ReadAll(resp.Body)
			if cerr := resp.Body.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			missing := slices.IndexFunc(wants, func(w string) bool { return !strings.Contains(string(body), w) })
			if missing < 0 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("metrics lack %q:\n%s", wants[missing], body)
			}
		}
	})
	t.Run("OKExternalSharedGroup", func(t *testing.T) {
		b, err := mqtt.StartBroker("127.0.0.1:0", nil)
		if err != nil {
			t.Fatalf("StartBroker: %v", err)
		}
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("broker Close: %v", err)
			}
		})
		c := testConfig(t)
		c.Broker.Mode, c.Broker.URL, c.Broker.Listen, c.Broker.SharedGroup = BrokerExternal, b.URL(), "", "central"
		m := runMain(t, c)
		if m.Broker != nil {
			t.Fatal("external mode started an embedded broker")
		}
		sendBatch(t, b.URL(), storetest.SaleBatch("s2", "a2", 1, 3))
		if st := m.Ingester.Stats(); st.Applied != 3 {
			t.Fatalf("stats = %+v, want 3 applied", st)
		}
	})
	t.Run("ErrBrokerAddrInUse", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		defer func() {
			if err := ln.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}()
		c := testConfig(t)
		c.Broker.Listen = ln.Addr().String()
		m := NewMain(c, nil)
		err = m.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "broker address "+c.Broker.Listen+" is in use") {
			t.Fatalf("Run err = %v, want the address in use", err)
		}
		if err := m.Close(); err != nil { // safe after a failed Run
			t.Fatalf("Close after failed Run: %v", err)
		}
	})
	t.Run("ErrInvalidConfig", func(t *testing.T) {
		c := testConfig(t)
		c.Ingest.Workers = 0
		err := NewMain(c, nil).Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "ingest.workers") {
			t.Fatalf("Run err = %v, want one naming ingest.workers", err)
		}
	})
}
