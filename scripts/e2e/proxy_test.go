package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// MQTT 3.1.1 (OASIS, 2014) §2.2: the fixed header is one byte of packet
// type and flags, then the remaining length in 1–4 bytes of 7 bits each.
const (
	mqttPublish      = 3    // packet type PUBLISH (§3.3)
	mqttDupFlag      = 0x08 // DUP, bit 3 of a PUBLISH's first byte (§3.3.1.1)
	mqttMaxRemaining = 268_435_455
)

// errProxyFrame is a stream that is not MQTT: the proxy drops the
// connection, as a broker would.
var errProxyFrame = errors.New("malformed MQTT fixed header")

// proxyReadPacket reads one whole MQTT control packet (fixed header and
// remaining length bytes) from r, however the bytes are split across reads.
func proxyReadPacket(r *bufio.Reader) ([]byte, error) {
	first, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	hdr := []byte{first}
	remaining, mult := 0, 1
	for i := 0; ; i++ {
		if i == 4 {
			return nil, fmt.Errorf("%w: remaining length longer than 4 bytes", errProxyFrame)
		}
		b, err := r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("read remaining length: %w", io.ErrUnexpectedEOF)
		}
		hdr = append(hdr, b)
		remaining += int(b&0x7f) * mult
		mult *= 128
		if b&0x80 == 0 {
			break
		}
	}
	pkt := make([]byte, len(hdr)+remaining)
	copy(pkt, hdr)
	if _, err := io.ReadFull(r, pkt[len(hdr):]); err != nil {
		return nil, fmt.Errorf("read %d-byte packet body: %w", remaining, io.ErrUnexpectedEOF)
	}
	return pkt, nil
}

// proxyPublish is what the proxy reads from a PUBLISH packet.
type proxyPublish struct {
	qos     byte
	topic   string
	payload int // bytes of application payload
}

// proxyParsePublish decodes the variable header of a PUBLISH packet
// (§3.3.2); ok is false for any other packet or a truncated one.
func proxyParsePublish(pkt []byte) (proxyPublish, bool) {
	if len(pkt) < 2 || pkt[0]>>4 != mqttPublish {
		return proxyPublish{}, false
	}
	i := 1
	for pkt[i]&0x80 != 0 {
		i++
	}
	body := pkt[i+1:]
	if len(body) < 2 {
		return proxyPublish{}, false
	}
	n := int(binary.BigEndian.Uint16(body))
	p := proxyPublish{qos: pkt[0] >> 1 & 0x03}
	rest := len(body) - 2 - n
	if p.qos > 0 {
		rest -= 2 // packet identifier
	}
	if rest < 0 {
		return proxyPublish{}, false
	}
	p.topic, p.payload = string(body[2:2+n]), rest
	return p, true
}

// faultProxy is a TCP proxy between MQTT clients and a broker that injects
// faults on command: it cuts every connection, delays every forwarded
// chunk, and sends the clients' QoS 1/2 PUBLISH packets twice (the second
// copy with DUP set, which the broker must deliver again for QoS 1:
// §4.3.2 makes the receiver treat it as a new publication). It is safe for
// concurrent use.
type faultProxy struct {
	ln     net.Listener
	target string
	// observe, when set before the first connection, sees every PUBLISH a
	// client sends.
	observe func(proxyPublish)

	delay      atomic.Int64 // time.Duration before each forwarded chunk
	duplicate  atomic.Bool
	duplicated atomic.Int64 // PUBLISH packets sent twice
	accepted   atomic.Int64
	closeErrs  atomic.Int64 // failed closes other than "already closed"

	mu    sync.Mutex
	conns map[net.Conn]bool // open connections; true for the client side
	wg    sync.WaitGroup
}

// startProxy listens on a free 127.0.0.1 port and forwards every
// connection to target; it stops at cleanup.
func startProxy(t testing.TB, target string, observe func(proxyPublish)) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, observe: observe, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(func() {
		if err := ln.Close(); err != nil {
			t.Errorf("close proxy listener: %v", err)
		}
		p.cut()
		p.wg.Wait()
		if n := p.closeErrs.Load(); n > 0 {
			t.Logf("proxy: %d connections failed to close cleanly", n)
		}
	})
	return p
}

func (p *faultProxy) url() string { return "tcp://" + p.ln.Addr().String() }

// setDelay makes every forwarded chunk wait d (0: no delay).
func (p *faultProxy) setDelay(d time.Duration) { p.delay.Store(int64(d)) }

// setDuplicate turns duplication of the clients' PUBLISH packets on or off.
func (p *faultProxy) setDuplicate(on bool) { p.duplicate.Store(on) }

// cut closes every open connection at once, both sides, and returns how
// many client connections it cut.
func (p *faultProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c, isClient := range p.conns {
		p.close(c)
		if isClient {
			n++
		}
	}
	clear(p.conns)
	return n
}

// close closes c; "already closed" is expected, since both pipes and cut
// close the same connections.
func (p *faultProxy) close(c net.Conn) {
	if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		p.closeErrs.Add(1)
	}
}

func (p *faultProxy) acceptLoop() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // listener closed at cleanup
		}
		p.accepted.Add(1)
		p.wg.Add(1)
		go p.serve(client)
	}
}

// serve pipes one client connection to a new broker connection. A broker
// that is down closes the client at once, as a refused connection would.
func (p *faultProxy) serve(client net.Conn) {
	defer p.wg.Done()
	broker, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		p.close(client)
		return
	}
	p.mu.Lock()
	p.conns[client], p.conns[broker] = true, false
	p.mu.Unlock()
	var pipes sync.WaitGroup
	pipes.Go(func() { p.clientToBroker(client, broker) })
	pipes.Go(func() { p.brokerToClient(broker, client) })
	pipes.Wait()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, broker)
	p.mu.Unlock()
}

// clientToBroker forwards whole packets so that a PUBLISH can be sent twice.
func (p *faultProxy) clientToBroker(client, broker net.Conn) {
	defer p.close(client)
	defer p.close(broker)
	r := bufio.NewReaderSize(client, 64<<10)
	for {
		pkt, err := proxyReadPacket(r)
		if err != nil {
			return
		}
		p.sleep()
		if _, err := broker.Write(pkt); err != nil {
			return
		}
		pub, isPub := proxyParsePublish(pkt)
		if isPub && p.observe != nil {
			p.observe(pub)
		}
		if !isPub || pub.qos == 0 || !p.duplicate.Load() {
			continue
		}
		dup := bytes.Clone(pkt)
		dup[0] |= mqttDupFlag
		if _, err := broker.Write(dup); err != nil {
			return
		}
		p.duplicated.Add(1)
	}
}

func (p *faultProxy) brokerToClient(broker, client net.Conn) {
	defer p.close(client)
	defer p.close(broker)
	buf := make([]byte, 32<<10)
	for {
		n, err := broker.Read(buf)
		if n > 0 {
			p.sleep()
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *faultProxy) sleep() {
	if d := time.Duration(p.delay.Load()); d > 0 {
		time.Sleep(d)
	}
}

// proxyPacket builds a packet of type typ with flags and body, encoding
// the remaining length as §2.2.3 says.
func proxyPacket(typ, flags byte, body []byte) []byte {
	pkt := []byte{typ<<4 | flags}
	n := len(body)
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		pkt = append(pkt, b)
		if n == 0 {
			break
		}
	}
	return append(pkt, body...)
}

func proxyPublishBody(topic string, id uint16, payload int) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(topic)))
	b = append(b, topic...)
	if id != 0 {
		b = binary.BigEndian.AppendUint16(b, id)
	}
	return append(b, make([]byte, payload)...)
}

func TestProxy_ReadPacket(t *testing.T) {
	pingreq := proxyPacket(12, 0, nil)
	small := proxyPacket(mqttPublish, 0x02, proxyPublishBody("a/up", 7, 10))
	twoByte := proxyPacket(mqttPublish, 0x02, proxyPublishBody("t", 1, 321))      // remaining 326: 2 bytes
	threeByte := proxyPacket(mqttPublish, 0x02, proxyPublishBody("t", 2, 70_000)) // 3 bytes
	fourByte := proxyPacket(mqttPublish, 0x00, proxyPublishBody("t", 0, 2_100_000))
	stream := bytes.Join([][]byte{pingreq, small, twoByte, threeByte, fourByte}, nil)
	if got := []int{len(twoByte) - 326, len(threeByte) - 70_005, len(fourByte) - 2_100_003}; got[0] != 3 || got[1] != 4 || got[2] != 5 {
		t.Fatalf("test packets have fixed headers of %v bytes, want 3, 4, 5", got)
	}
	for _, tt := range []struct {
		name string
		r    io.Reader
	}{
		{"OK", bytes.NewReader(stream)},
		{"OKOneByteReads", iotest.OneByteReader(bytes.NewReader(stream))},
		{"OKHalfReads", iotest.HalfReader(bytes.NewReader(stream))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReaderSize(tt.r, 16)
			for i, want := range [][]byte{pingreq, small, twoByte, threeByte, fourByte} {
				got, err := proxyReadPacket(r)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("packet %d: %d bytes, err %v; want %d bytes", i, len(got), err, len(want))
				}
			}
			if _, err := proxyReadPacket(r); !errors.Is(err, io.EOF) {
				t.Fatalf("after the last packet: %v, want io.EOF", err)
			}
		})
	}
	t.Run("ErrTruncatedBody", func(t *testing.T) {
		_, err := proxyReadPacket(bufio.NewReader(bytes.NewReader(small[:len(small)-1])))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err %v, want io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("ErrTruncatedLength", func(t *testing.T) {
		_, err := proxyReadPacket(bufio.NewReader(bytes.NewReader(twoByte[:2])))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err %v, want io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("ErrFiveByteLength", func(t *testing.T) {
		_, err := proxyReadPacket(bufio.NewReader(bytes.NewReader([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01})))
		if !errors.Is(err, errProxyFrame) {
			t.Fatalf("err %v, want errProxyFrame", err)
		}
	})
}

func TestProxy_ParsePublish(t *testing.T) {
	for _, tt := range []struct {
		name string
		pkt  []byte
		want proxyPublish
		ok   bool
	}{
		{"OKQoS1", proxyPacket(mqttPublish, 0x02, proxyPublishBody("x/up", 9, 40)), proxyPublish{qos: 1, topic: "x/up", payload: 40}, true},
		{"OKQoS0", proxyPacket(mqttPublish, 0x01, proxyPublishBody("x/state", 0, 3)), proxyPublish{qos: 0, topic: "x/state", payload: 3}, true},
		{"OKLongLength", proxyPacket(mqttPublish, 0x0a, proxyPublishBody("t", 1, 20_000)), proxyPublish{qos: 1, topic: "t", payload: 20_000}, true},
		{"ErrNotPublish", proxyPacket(4, 0, []byte{0, 1}), proxyPublish{}, false},
		{"ErrTruncated", proxyPacket(mqttPublish, 0x02, []byte{0, 9, 'x'}), proxyPublish{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := proxyParsePublish(tt.pkt)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestProxy_Faults drives the proxy over loopback: bytes pass both ways,
// a QoS 1 PUBLISH arrives twice (the copy with DUP set) while duplication
// is on, and cut closes the client's connection.
func TestProxy_Faults(t *testing.T) {
	upstream, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 8)
	served := make(chan error, 1)
	go func() { served <- proxyFakeBroker(upstream, got) }()
	var observed atomic.Int64
	p := startProxy(t, upstream.Addr().String(), func(proxyPublish) { observed.Add(1) })
	p.setDelay(time.Millisecond)
	c, err := net.Dial("tcp", p.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.close(c)
	hello := make([]byte, 5)
	if _, err := io.ReadFull(c, hello); err != nil || string(hello) != "hello" {
		t.Fatalf("broker to client: %q %v", hello, err)
	}
	pub := proxyPacket(mqttPublish, 0x02, proxyPublishBody("a/up", 5, 100))
	p.setDuplicate(true)
	if _, err := c.Write(pub); err != nil {
		t.Fatal(err)
	}
	first, second := <-got, <-got
	if !bytes.Equal(first, pub) || second[0] != pub[0]|mqttDupFlag || !bytes.Equal(second[1:], pub[1:]) {
		t.Fatalf("broker got % x then % x, want the publish then its DUP copy", first[:4], second[:4])
	}
	// The proxy counts a copy after writing it, so the broker may hold
	// the copy a moment before the count says so.
	waitFor(t, 30*time.Second, "the proxy to count the copy", func() bool { return p.duplicated.Load() >= 1 })
	if p.duplicated.Load() != 1 || observed.Load() != 1 {
		t.Fatalf("duplicated %d, observed %d; want 1 and 1", p.duplicated.Load(), observed.Load())
	}
	if n := p.cut(); n != 1 {
		t.Fatalf("cut %d connections, want 1", n)
	}
	if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(hello); err == nil {
		t.Fatal("read after cut succeeded")
	}
	// The broker side was cut too, so the fake broker's read ends.
	t.Logf("fake broker stopped: %v", <-served)
}

// proxyFakeBroker accepts one connection on ln, says hello, and passes the
// packets it reads to got until the connection ends; it then closes ln.
func proxyFakeBroker(ln net.Listener, got chan<- []byte) error {
	defer ln.Close()
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	for {
		pkt, err := proxyReadPacket(r)
		if err != nil {
			return err
		}
		got <- pkt
	}
}
