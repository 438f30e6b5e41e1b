package syncproto_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/syncproto"
	"github.com/tillsync/tillsync/syncproto/tlstest"
)

func TestTLSFiles_Config(t *testing.T) {
	pki := tlstest.New(t)
	t.Run("OKPlainText", func(t *testing.T) {
		c, err := syncproto.TLSFiles{}.Config("tcp://127.0.0.1:1883")
		if err != nil || c != nil {
			t.Fatalf("Config = %v, %v; want nil, nil", c, err)
		}
	})
	t.Run("OKSystemRoots", func(t *testing.T) {
		c, err := syncproto.TLSFiles{}.Config("mqtts://broker.example:8883")
		if err != nil || c == nil {
			t.Fatalf("Config = %v, %v", c, err)
		}
		if c.RootCAs != nil || c.ServerName != "broker.example" || c.MinVersion != tls.VersionTLS12 || c.InsecureSkipVerify {
			t.Errorf("config = roots %v, server name %q, min version %x, insecure %v", c.RootCAs, c.ServerName, c.MinVersion, c.InsecureSkipVerify)
		}
	})
	t.Run("OKServerName", func(t *testing.T) {
		c, err := syncproto.TLSFiles{CAFile: pki.CA, ServerName: "mq.internal"}.Config("ssl://10.0.0.1:8883")
		if err != nil || c.ServerName != "mq.internal" || c.RootCAs == nil {
			t.Fatalf("Config = %+v, %v", c, err)
		}
	})
	t.Run("OKHandshake", func(t *testing.T) {
		// A real handshake against a server that requires a client
		// certificate from the same CA: the CA verifies the server and
		// the client certificate is presented.
		addr := pki.Serve(t)
		c, err := pki.Files().Config("ssl://" + addr)
		if err != nil {
			t.Fatalf("Config: %v", err)
		}
		if err := tlstest.Handshake(addr, c); err != nil {
			t.Fatalf("handshake: %v", err)
		}
	})
	t.Run("ErrHandshakeUnknownCA", func(t *testing.T) {
		addr := pki.Serve(t)
		other := tlstest.New(t)
		f := pki.Files()
		f.CAFile = other.CA
		c, err := f.Config("ssl://" + addr)
		if err != nil {
			t.Fatalf("Config: %v", err)
		}
		var unknown x509.UnknownAuthorityError
		if err := tlstest.Handshake(addr, c); !errors.As(err, &unknown) {
			t.Fatalf("handshake = %v, want an unknown authority error", err)
		}
	})
	noCerts := tlstest.WriteFile(t, "empty.pem", "not a certificate\n")
	for _, tt := range []struct {
		name   string
		files  func() syncproto.TLSFiles
		url    string
		field  string
		reason string
	}{
		{"ErrFilesWithPlainURL", func() syncproto.TLSFiles { return syncproto.TLSFiles{CAFile: pki.CA} }, "tcp://h:1883", syncproto.TLSFieldURL, "not a TLS URL"},
		{"ErrBadURL", func() syncproto.TLSFiles { return syncproto.TLSFiles{} }, "ssl://h:1883/%zz", syncproto.TLSFieldURL, "invalid"},
		{"ErrCAMissing", func() syncproto.TLSFiles { return syncproto.TLSFiles{CAFile: pki.CA + ".none"} }, "ssl://h:8883", syncproto.TLSFieldCAFile, "cannot be read"},
		{"ErrCANoCertificates", func() syncproto.TLSFiles { return syncproto.TLSFiles{CAFile: noCerts} }, "ssl://h:8883", syncproto.TLSFieldCAFile, "no PEM certificate"},
		{"ErrCertWithoutKey", func() syncproto.TLSFiles { return syncproto.TLSFiles{CertFile: pki.Cert} }, "ssl://h:8883", syncproto.TLSFieldKeyFile, "required with cert_file"},
		{"ErrKeyWithoutCert", func() syncproto.TLSFiles { return syncproto.TLSFiles{KeyFile: pki.Key} }, "ssl://h:8883", syncproto.TLSFieldCertFile, "required with key_file"},
		{"ErrCertMissing", func() syncproto.TLSFiles { return syncproto.TLSFiles{CertFile: pki.Cert + ".none", KeyFile: pki.Key} }, "ssl://h:8883", syncproto.TLSFieldCertFile, "cannot be read"},
		{"ErrKeyMissing", func() syncproto.TLSFiles { return syncproto.TLSFiles{CertFile: pki.Cert, KeyFile: pki.Key + ".none"} }, "ssl://h:8883", syncproto.TLSFieldKeyFile, "cannot be read"},
		{"ErrKeyMismatch", func() syncproto.TLSFiles {
			return syncproto.TLSFiles{CertFile: pki.Cert, KeyFile: tlstest.New(t).Key}
		}, "ssl://h:8883", syncproto.TLSFieldCertFile, "does not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.files().Config(tt.url)
			var te *syncproto.TLSError
			if !errors.As(err, &te) || te.Field != tt.field || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Config = %v, %v; want a syncproto.TLSError for %s saying %q", c, err, tt.field, tt.reason)
			}
		})
	}
}
