// Package tlstest makes a small PKI for tests of TLS connections to the
// broker: a CA and one certificate for 127.0.0.1, and a TLS server that
// requires a client certificate from that CA.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// PKI is a CA with one certificate for 127.0.0.1, used both as the
// server's and as the client's, as PEM files in a temp dir.
type PKI struct {
	// CA, Cert and Key are the PEM files: the CA's certificate, the
	// leaf certificate and its private key.
	CA, Cert, Key string
	Pool          *x509.CertPool
	Pair          tls.Certificate
}

// Files returns the PKI as a client's TLS settings.
func (p PKI) Files() syncproto.TLSFiles {
	return syncproto.TLSFiles{CAFile: p.CA, CertFile: p.Cert, KeyFile: p.Key}
}

// New makes a PKI in a temp dir of t.
func New(t testing.TB) PKI {
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
	p := PKI{
		CA:   WriteFile(t, filepath.Join(dir, "ca.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))),
		Cert: WriteFile(t, filepath.Join(dir, "cert.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))),
		Key:  WriteFile(t, filepath.Join(dir, "key.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))),
		Pool: x509.NewCertPool(),
	}
	p.Pool.AddCert(ca)
	if p.Pair, err = tls.LoadX509KeyPair(p.Cert, p.Key); err != nil {
		t.Fatal(err)
	}
	return p
}

// Serve runs a TLS server on a free port that requires a client
// certificate from p's CA and completes handshakes until cleanup.
func (p PKI) Serve(t testing.TB) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.Pair},
		ClientCAs: p.Pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
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

// Handshake dials addr with c and reads the server's "ok", which comes
// only after the server accepted the client's certificate.
func Handshake(addr string, c *tls.Config) error {
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

// WriteFile writes body to path (relative paths go to a temp dir of t)
// and returns the path.
func WriteFile(t testing.TB, path, body string) string {
	t.Helper()
	if !filepath.IsAbs(path) {
		path = filepath.Join(t.TempDir(), path)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
