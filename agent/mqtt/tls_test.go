package mqtt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTLSFiles_Config(t *testing.T) {
	pki := newTLSTestPKI(t)
	t.Run("OKPlainText", func(t *testing.T) {
		c, err := TLSFiles{}.Config("tcp://127.0.0.1:1883")
		if err != nil || c != nil {
			t.Fatalf("Config = %v, %v; want nil, nil", c, err)
		}
	})
	t.Run("OKSystemRoots", func(t *testing.T) {
		c, err := TLSFiles{}.Config("mqtts://broker.example:8883")
		if err != nil || c == nil {
			t.Fatalf("Config = %v, %v", c, err)
		}
		if c.RootCAs != nil || c.ServerName != "broker.example" || c.MinVersion != tls.VersionTLS12 || c.InsecureSkipVerify {
			t.Errorf("config = roots %v, server name %q, min version %x, insecure %v", c.RootCAs, c.ServerName, c.MinVersion, c.InsecureSkipVerify)
		}
	})
	t.Run("OKServerName", func(t *testing.T) {
		c, err := TLSFiles{CAFile: pki.ca, ServerName: "mq.internal"}.Config("ssl://10.0.0.1:8883")
		if err != nil || c.ServerName != "mq.internal" || c.RootCAs == nil {
			t.Fatalf("Config = %+v, %v", c, err)
		}
	})
	t.Run("OKHandshake", func(t *testing.T) {
		// A real handshake against a server that requires a client
		// certificate from the same CA: the CA verifies the server and
		// the client certificate is presented.
		addr := pki.serve(t)
		c, err := pki.files().Config("ssl://" + addr)
		if err != nil {
			t.Fatalf("Config: %v", err)
		}
		if err := handshake(addr, c); err != nil {
			t.Fatalf("handshake: %v", err)
		}
	})
	t.Run("ErrHandshakeUnknownCA", func(t *testing.T) {
		addr := pki.serve(t)
		other := newTLSTestPKI(t)
		f := pki.files()
		f.CAFile = other.ca
		c, err := f.Config("ssl://" + addr)
		if err != nil {
			t.Fatalf("Config: %v", err)
		}
		var unknown x509.UnknownAuthorityError
		if err := handshake(addr, c); !errors.As(err, &unknown) {
			t.Fatalf("handshake = %v, want an unknown authority error", err)
		}
	})
	noCerts := writeTestFile(t, "empty.pem", "not a certificate\n")
	for _, tt := range []struct {
		name   string
		files  func() TLSFiles
		url    string
		field  string
		reason string
	}{
		{"ErrFilesWithPlainURL", func() TLSFiles { return TLSFiles{CAFile: pki.ca} }, "tcp://h:1883", TLSFieldURL, "not a TLS URL"},
		{"ErrBadURL", func() TLSFiles { return TLSFiles{} }, "ssl://h:1883/%zz", TLSFieldURL, "invalid"},
		{"ErrCAMissing", func() TLSFiles { return TLSFiles{CAFile: pki.ca + ".none"} }, "ssl://h:8883", TLSFieldCAFile, "cannot be read"},
		{"ErrCANoCertificates", func() TLSFiles { return TLSFiles{CAFile: noCerts} }, "ssl://h:8883", TLSFieldCAFile, "no PEM certificate"},
		{"ErrCertWithoutKey", func() TLSFiles { return TLSFiles{CertFile: pki.cert} }, "ssl://h:8883", TLSFieldKeyFile, "required with cert_file"},
		{"ErrKeyWithoutCert", func() TLSFiles { return TLSFiles{KeyFile: pki.key} }, "ssl://h:8883", TLSFieldCertFile, "required with key_file"},
		{"ErrCertMissing", func() TLSFiles { return TLSFiles{CertFile: pki.cert + ".none", KeyFile: pki.key} }, "ssl://h:8883", TLSFieldCertFile, "cannot be read"},
		{"ErrKeyMissing", func() TLSFiles { return TLSFiles{CertFile: pki.cert, KeyFile: pki.key + ".none"} }, "ssl://h:8883", TLSFieldKeyFile, "cannot be read"},
		{"ErrKeyMismatch", func() TLSFiles {
			return TLSFiles{CertFile: pki.cert, KeyFile: newTLSTestPKI(t).key}
		}, "ssl://h:8883", TLSFieldCertFile, "does not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.files().Config(tt.url)
			var te *TLSError
			if !errors.As(err, &te) || te.Field != tt.field || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Config = %v, %v; want a TLSError for %s saying %q", c, err, tt.field, tt.reason)
			}
		})
	}
}

func TestNewUplink_TLS(t *testing.T) {
	pki := newTLSTestPKI(t)
	cfg := Config{BrokerURL: "ssl://127.0.0.1:8883", Topics: testTopics(t), StoreID: testStore, AgentID: testAgent, TLS: pki.files()}
	t.Run("OK", func(t *testing.T) {
		u, err := NewUplink(cfg, newTestLedger(t))
		if err != nil {
			t.Fatalf("NewUplink: %v", err)
		}
		o := u.clientOptions(t.Context())
		if o.TLSConfig == nil || o.TLSConfig.RootCAs == nil || len(o.TLSConfig.Certificates) != 1 || o.TLSConfig.ServerName != "127.0.0.1" {
			t.Errorf("paho TLS config = %+v", o.TLSConfig)
		}
	})
	t.Run("ErrCAFile", func(t *testing.T) {
		bad := cfg
		bad.TLS.CAFile += ".none"
		if _, err := NewUplink(bad, newTestLedger(t)); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "ca_file") {
			t.Fatalf("NewUplink = %v, want ErrInvalidConfig naming ca_file", err)
		}
	})
	t.Run("ErrPlainURL", func(t *testing.T) {
		bad := cfg
		bad.BrokerURL = "tcp://127.0.0.1:1883"
		if _, err := NewUplink(bad, newTestLedger(t)); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "not a TLS URL") {
			t.Fatalf("NewUplink = %v, want ErrInvalidConfig for the plain URL", err)
		}
	})
}

// tlsTestPKI is a CA with one certificate for 127.0.0.1, used both as the
// server's and as the client's, as PEM files in a temp dir.
type tlsTestPKI struct {
	ca, cert, key string
	pool          *x509.CertPool
	pair          tls.Certificate
}

func (p tlsTestPKI) files() TLSFiles { return TLSFiles{CAFile: p.ca, CertFile: p.cert, KeyFile: p.key} }

func newTLSTestPKI(t *testing.T) tlsTestPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := tlsTestPKI{
		ca:   writeTestFile(t, filepath.Join(dir, "ca.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))),
		cert: writeTestFile(t, filepath.Join(dir, "cert.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))),
		key:  writeTestFile(t, filepath.Join(dir, "key.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))),
		pool: x509.NewCertPool(),
	}
	p.pool.AddCert(ca)
	if p.pair, err = tls.LoadX509KeyPair(p.cert, p.key); err != nil {
		t.Fatal(err)
	}
	return p
}

// serve runs a TLS server on a free port that requires a client
// certificate from p's CA and completes handshakes until cleanup.
func (p tlsTestPKI) serve(t *testing.T) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.pair},
		ClientCAs: p.pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			// Finish the handshake (it fails for a bad client), then
			// close: the test only needs the handshake.
			if err := conn.(*tls.Conn).Handshake(); err == nil {
				if _, err := io.WriteString(conn, "ok"); err != nil {
					t.Logf("write: %v", err)
				}
			}
			if err := conn.Close(); err != nil {
				t.Logf("close: %v", err)
			}
		}
	}()
	t.Cleanup(func() {
		if err := ln.Close(); err != nil {
			t.Errorf("close listener: %v", err)
		}
		<-done
	})
	return ln.Addr().String()
}

// handshake dials addr with c and reads the server's "ok", which comes
// only after the server accepted the client's certificate.
func handshake(addr string, c *tls.Config) error {
	conn, err := tls.Dial("tcp", addr, c)
	if err != nil {
		return err
	}
	buf := make([]byte, 2)
	_, err = io.ReadFull(conn, buf)
	if cerr := conn.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeTestFile(t *testing.T, path, body string) string {
	t.Helper()
	if !filepath.IsAbs(path) {
		path = filepath.Join(t.TempDir(), path)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
