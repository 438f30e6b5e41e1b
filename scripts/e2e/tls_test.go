package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/tillsync/tillsync/syncproto"
	"go.yaml.in/yaml/v3"
)

// TestTLS_MosquittoACL runs the whole chain through a real Mosquitto with a
// TLS listener that requires client certificates, a password file and an
// ACL file, all made by tillsync-central agents add / add-central (issue 5,
// item 5). It checks that a provisioned agent syncs over TLS with signed
// batches, that the ACL keeps an agent to its own topics, and that bad
// credentials and plain TCP are refused.
func TestTLS_MosquittoACL(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	keysFile, passwd := filepath.Join(dir, "agent-keys"), filepath.Join(dir, "mosquitto.passwd")
	a1 := provisionBroker(t, dir, passwd, "agents", "add", "--store", "S001", "--agent", "A1", "--keys-file", keysFile)
	b1 := provisionBroker(t, dir, passwd, "agents", "add", "--store", "S002", "--agent", "B1", "--keys-file", keysFile)
	hq := provisionBroker(t, dir, passwd, "agents", "add-central", "--user", "central1")
	acl := filepath.Join(dir, "mosquitto.acl")
	if err := os.WriteFile(acl, []byte(a1.acl+"\n"+b1.acl+"\n"+hq.acl), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	startTLSMosquitto(t, dir, addr, pki, passwd, acl)
	brokerURL := "ssl://" + addr

	c := startTLSCentral(t, dir, hq.snippet, brokerURL, keysFile, pki)
	agent := startProvisionedAgent(t, dir, a1.snippet, "S001", "A1", brokerURL,
		"TILLSYNC_UPLINK_TLS_CA_FILE="+pki.ca, "TILLSYNC_UPLINK_TLS_CERT_FILE="+pki.clientCert,
		"TILLSYNC_UPLINK_TLS_KEY_FILE="+pki.clientKey)

	t.Run("SignedSalesOverTLS", func(t *testing.T) {
		book := newBook()
		sellN(t, agent.api, 30, book)
		checkExactlyOnce(t, c, agent, book)
	})

	topics, err := syncproto.NewTopics(syncproto.DefaultPrefix, chainID)
	if err != nil {
		t.Fatal(err)
	}
	tlsURL := brokerURL
	t.Run("AgentCannotPublishForAnotherStore", func(t *testing.T) {
		hqProbe := dialProbe(t, tlsURL, "e2e-hq-probe", hq.user, hq.password, pki, true)
		hqProbe.subscribe(t, topics.UpFilter())
		b1Probe := dialProbe(t, tlsURL, "e2e-b1-probe", b1.user, b1.password, pki, true)
		b1Probe.subscribe(t, topics.StoreDown("S002"), topics.AllDown())
		a1Probe := dialProbe(t, tlsURL, "e2e-a1-probe", a1.user, a1.password, pki, true)
		forbidden := []string{topics.Up("S002", "B1"), topics.StoreDown("S002"), topics.AllDown()}
		for _, topic := range forbidden {
			a1Probe.publish(t, topic, "forged by A1")
		}
		// Control: A1's own up topic is delivered. Mosquitto handles one
		// connection's publishes in order, so once the control has come
		// through, anything A1 published before it has been routed.
		a1Probe.publish(t, topics.Up("S001", "A1"), "control from A1")
		hqProbe.waitFor(t, topics.Up("S001", "A1"), "control from A1")
		// Central's publishes go to B1's queue in order after A1's.
		hqProbe.publish(t, topics.StoreDown("S002"), "real down")
		b1Probe.waitFor(t, topics.StoreDown("S002"), "real down")
		for _, p := range []*probe{hqProbe, b1Probe} {
			if got := p.received("forged by A1"); len(got) > 0 {
				t.Errorf("%s received A1's forged messages on %q", p.name, got)
			}
		}
	})
	t.Run("AgentCannotReadAnotherStore", func(t *testing.T) {
		a1Probe := dialProbe(t, tlsURL, "e2e-a1-reader", a1.user, a1.password, pki, true)
		a1Probe.subscribe(t, topics.StoreDown("S002"), topics.Ack("S002", "B1"), topics.StoreDown("S001"))
		b1Probe := dialProbe(t, tlsURL, "e2e-b1-reader", b1.user, b1.password, pki, true)
		b1Probe.subscribe(t, topics.StoreDown("S002"), topics.Ack("S002", "B1"))
		hqProbe := dialProbe(t, tlsURL, "e2e-hq-writer", hq.user, hq.password, pki, true)
		hqProbe.publish(t, topics.StoreDown("S002"), "for S002")
		hqProbe.publish(t, topics.Ack("S002", "B1"), "ack for B1")
		// Control: the same publisher, later, on a topic A1 may read.
		hqProbe.publish(t, topics.StoreDown("S001"), "for S001")
		b1Probe.waitFor(t, topics.StoreDown("S002"), "for S002")
		b1Probe.waitFor(t, topics.Ack("S002", "B1"), "ack for B1")
		a1Probe.waitFor(t, topics.StoreDown("S001"), "for S001")
		if got := append(a1Probe.received("for S002"), a1Probe.received("ack for B1")...); len(got) > 0 {
			t.Errorf("A1 read S002's messages on %q", got)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		for _, tt := range []struct {
			name, url, user, password string
			clientCert                bool
		}{
			{"WrongPassword", tlsURL, a1.user, "not-" + a1.password, true},
			{"UnknownUser", tlsURL, "nobody", a1.password, true},
			{"NoClientCertificate", tlsURL, a1.user, a1.password, false},
			{"PlainTCP", "tcp://" + addr, a1.user, a1.password, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if err := tryConnect(tt.url, "e2e-refused-"+tt.name, tt.user, tt.password, pki, tt.clientCert); err == nil {
					t.Errorf("connect %s as %s succeeded, want it refused", tt.url, tt.user)
				}
			})
		}
		// The same connection with the right credentials goes through, so
		// the refusals above are the broker's doing.
		if err := tryConnect(tlsURL, "e2e-accepted", a1.user, a1.password, pki, true); err != nil {
			t.Errorf("connect with A1's credentials: %v", err)
		}
	})
}

// brokerUser is what one provisioning command printed.
type brokerUser struct {
	user, password string
	snippet, acl   string
}

// provisionBroker runs tillsync-central with args (agents add or agents
// add-central) and --password-file passwd, and returns what it printed.
func provisionBroker(t testing.TB, dir, passwd string, args ...string) brokerUser {
	t.Helper()
	cmd := exec.Command(bins.central, append(args, "--password-file", passwd)...)
	cmd.Env = append(os.Environ(), "TILLSYNC_CHAIN_ID="+chainID)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tillsync-central %v: %v\n%s", args, err, stderr.String())
	}
	snippet, rest, ok := strings.Cut(string(out), "\n# 2. Mosquitto ACL: append to the broker's acl_file\n")
	if !ok {
		t.Fatalf("tillsync-central %v printed no ACL part:\n%s", args, out)
	}
	acl, _, _ := strings.Cut(rest, "\n\n")
	var s struct {
		Uplink struct{ Username, Password string }
		Broker struct{ Username, Password string }
	}
	if err := yaml.Unmarshal([]byte(snippet), &s); err != nil {
		t.Fatalf("snippet is not YAML: %v\n%s", err, snippet)
	}
	u := brokerUser{user: s.Uplink.Username, password: s.Uplink.Password, snippet: snippet, acl: acl + "\n"}
	if u.user == "" {
		u.user, u.password = s.Broker.Username, s.Broker.Password
	}
	if u.user == "" || u.password == "" {
		t.Fatalf("no broker credentials in snippet:\n%s", snippet)
	}
	return u
}

// startTLSMosquitto runs Mosquitto on addr with only a TLS listener that
// requires a client certificate from pki's CA, no anonymous access, and
// the given password and ACL files.
func startTLSMosquitto(t *testing.T, dir, addr string, pki testPKI, passwd, acl string) *proc {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, statErr := os.Stat(bin); statErr != nil {
			t.Fatalf("mosquitto is not installed (scripts/test.sh installs it): %v", err)
		}
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	host, port := splitAddr(t, addr)
	// Run as root, Mosquitto drops to user "mosquitto", which cannot read
	// the 0600 files made here; naming the current user keeps it (and is
	// ignored when not root).
	conf := fmt.Sprintf(`user %s
per_listener_settings false
allow_anonymous false
password_file %s
acl_file %s
persistence false
listener %s %s
cafile %s
certfile %s
keyfile %s
require_certificate true
`, me.Username, passwd, acl, port, host, pki.ca, pki.serverCert, pki.serverKey)
	path := filepath.Join(dir, "mosquitto-tls.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "mosquitto", bin, nil, "-v", "-c", path)
	waitFor(t, 30*time.Second, "mosquitto to listen on "+addr, func() bool { return dialable(addr) })
	return p
}

// startTLSCentral starts central in external-broker mode over TLS with
// the add-central snippet as its config file and signed batches.
func startTLSCentral(t testing.TB, dir, snippet, brokerURL, keysFile string, pki testPKI) *central {
	t.Helper()
	cfg := filepath.Join(dir, "central.yaml")
	if err := os.WriteFile(cfg, []byte(snippet), 0o600); err != nil {
		t.Fatal(err)
	}
	httpAddr := freeAddr(t)
	c := &central{http: "http://" + httpAddr, brokerURL: brokerURL, env: []string{
		"TILLSYNC_CHAIN_ID=" + chainID,
		"TILLSYNC_DATABASE_PATH=" + filepath.Join(dir, "central.db"),
		"TILLSYNC_HTTP_LISTEN=" + httpAddr,
		"TILLSYNC_BROKER_URL=" + brokerURL,
		"TILLSYNC_BROKER_TLS_CA_FILE=" + pki.ca,
		"TILLSYNC_BROKER_TLS_CERT_FILE=" + pki.clientCert,
		"TILLSYNC_BROKER_TLS_KEY_FILE=" + pki.clientKey,
		"TILLSYNC_AUTH_MODE=signed", "TILLSYNC_AUTH_KEYS_FILE=" + keysFile,
	}}
	c.proc = start(t, dir, "central", bins.central, c.env, "run", "--config", cfg)
	waitFor(t, 60*time.Second, "central to serve /healthz", func() bool { return healthy(c.http) })
	return c
}

// probe is a paho client of the test that records every message it gets.
type probe struct {
	name   string
	client paho.Client
	mu     sync.Mutex
	msgs   []probeMsg
}

type probeMsg struct{ topic, payload string }

// probeTimeout bounds one broker round trip; it only catches a hang.
const probeTimeout = 30 * time.Second

func probeOptions(url, clientID, user, password string, pki testPKI, clientCert bool) *paho.ClientOptions {
	return paho.NewClientOptions().AddBroker(url).SetClientID(clientID).
		SetUsername(user).SetPassword(password).SetTLSConfig(pki.clientTLS(clientCert)).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(10 * time.Second)
}

// dialProbe connects a probe and disconnects it at cleanup.
func dialProbe(t *testing.T, url, clientID, user, password string, pki testPKI, clientCert bool) *probe {
	t.Helper()
	p := &probe{name: clientID}
	o := probeOptions(url, clientID, user, password, pki, clientCert).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.msgs = append(p.msgs, probeMsg{topic: m.Topic(), payload: string(m.Payload())})
		})
	p.client = paho.NewClient(o)
	if tok := p.client.Connect(); !tok.WaitTimeout(probeTimeout) || tok.Error() != nil {
		t.Fatalf("%s: connect as %s: %v", clientID, user, tok.Error())
	}
	t.Cleanup(func() { p.client.Disconnect(100) })
	return p
}

func (p *probe) subscribe(t *testing.T, filters ...string) {
	t.Helper()
	subs := map[string]byte{}
	for _, f := range filters {
		subs[f] = 1
	}
	if tok := p.client.SubscribeMultiple(subs, nil); !tok.WaitTimeout(probeTimeout) || tok.Error() != nil {
		t.Fatalf("%s: subscribe %q: %v", p.name, filters, tok.Error())
	}
}

func (p *probe) publish(t *testing.T, topic, payload string) {
	t.Helper()
	// QoS 1: the PUBACK comes after the broker has handled the message,
	// denied or not (MQTT 3.1.1 has no way to tell the publisher).
	if tok := p.client.Publish(topic, 1, false, payload); !tok.WaitTimeout(probeTimeout) || tok.Error() != nil {
		t.Fatalf("%s: publish %s: %v", p.name, topic, tok.Error())
	}
}

// waitFor waits until the probe has received payload on topic.
func (p *probe) waitFor(t *testing.T, topic, payload string) {
	t.Helper()
	waitFor(t, probeTimeout, fmt.Sprintf("%s to receive %q on %s", p.name, payload, topic), func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, m := range p.msgs {
			if m.topic == topic && m.payload == payload {
				return true
			}
		}
		return false
	})
}

// received returns the topics on which the probe got payload.
func (p *probe) received(payload string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var topics []string
	for _, m := range p.msgs {
		if m.payload == payload {
			topics = append(topics, m.topic)
		}
	}
	return topics
}

// tryConnect connects once and disconnects; it returns why it could not.
func tryConnect(url, clientID, user, password string, pki testPKI, clientCert bool) error {
	c := paho.NewClient(probeOptions(url, clientID, user, password, pki, clientCert))
	tok := c.Connect()
	if !tok.WaitTimeout(probeTimeout) {
		return fmt.Errorf("no answer within %s", probeTimeout)
	}
	if err := tok.Error(); err != nil {
		return err
	}
	c.Disconnect(100)
	return nil
}

// testPKI is a throwaway CA with a server certificate for 127.0.0.1 and
// localhost and one client certificate, as PEM files.
type testPKI struct {
	ca, serverCert, serverKey, clientCert, clientKey string
	pool                                             *x509.CertPool
	client                                           tls.Certificate
}

// newTestPKI writes the CA, server and client certificates into dir.
func newTestPKI(t testing.TB, dir string) testPKI {
	t.Helper()
	caKey := newKey(t)
	caTmpl := certTemplate(1, "tillsync e2e CA")
	caTmpl.IsCA, caTmpl.BasicConstraintsValid = true, true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("create CA: %v", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	p := testPKI{ca: writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER), pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, name string) (string, string) {
		key := newKey(t)
		tmpl := certTemplate(serial, cn)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
		if usage == x509.ExtKeyUsageServerAuth {
			tmpl.IPAddresses, tmpl.DNSNames = []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatalf("create %s certificate: %v", name, err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return writePEM(t, dir, name+".pem", "CERTIFICATE", der), writePEM(t, dir, name+"-key.pem", "PRIVATE KEY", keyDER)
	}
	p.serverCert, p.serverKey = issue(2, "tillsync e2e broker", x509.ExtKeyUsageServerAuth, "server")
	p.clientCert, p.clientKey = issue(3, "tillsync e2e client", x509.ExtKeyUsageClientAuth, "client")
	if p.client, err = tls.LoadX509KeyPair(p.clientCert, p.clientKey); err != nil {
		t.Fatal(err)
	}
	return p
}

// clientTLS is the probes' TLS config: the test CA, and the client
// certificate when withCert.
func (p testPKI) clientTLS(withCert bool) *tls.Config {
	c := &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if withCert {
		c.Certificates = []tls.Certificate{p.client}
	}
	return c
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func certTemplate(serial int64, cn string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-time.Hour), // a little clock skew is harmless
		NotAfter:     now.Add(24 * time.Hour),
	}
}

func writePEM(t testing.TB, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
