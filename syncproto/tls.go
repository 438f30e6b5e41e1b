package syncproto

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
)

// TLS field names, as TLSError.Field reports them; the agent's config keys
// under uplink.tls and central's under broker.tls use the same names.
const (
	TLSFieldCAFile     = "ca_file"
	TLSFieldCertFile   = "cert_file"
	TLSFieldKeyFile    = "key_file"
	TLSFieldServerName = "server_name"
	// TLSFieldURL is the broker URL: not parseable, or a plain-text
	// scheme with TLS files set.
	TLSFieldURL = "url"
)

// TLSFiles names the files and settings of a TLS connection to the broker
// (DESIGN §5 rule 6: transport is TLS with per-agent credentials). Agents
// and central dial the broker alike, so both build their TLS from it.
// The zero value verifies the broker against the system's roots under the
// broker URL's host name. There is deliberately no switch that turns
// verification off: a broker with a private CA is trusted through CAFile.
type TLSFiles struct {
	// CAFile is a PEM file of the CA certificates the broker's certificate
	// must chain to; empty trusts the system's roots.
	CAFile string
	// CertFile and KeyFile are the PEM client certificate and its private
	// key, for brokers that authenticate clients by certificate
	// (Mosquitto's require_certificate). Both or neither.
	CertFile, KeyFile string
	// ServerName is the name the broker's certificate must carry; empty
	// takes the broker URL's host.
	ServerName string
}

// IsZero reports whether no TLS setting is made.
func (f TLSFiles) IsZero() bool { return f == TLSFiles{} }

// TLSError is a problem with one TLS setting. Field is one of the
// TLSField names, Value the file or name that was set.
type TLSError struct {
	Field, Value string
	Err          error
}

func (e *TLSError) Error() string { return fmt.Sprintf("tls %s %q: %v", e.Field, e.Value, e.Err) }

// Unwrap returns the underlying cause.
func (e *TLSError) Unwrap() error { return e.Err }

// TLSScheme reports whether paho dials a broker URL of scheme over TLS.
func TLSScheme(scheme string) bool {
	switch scheme {
	case "ssl", "tls", "mqtts", "mqtt+ssl", "tcps", "wss":
		return true
	}
	return false
}

// Config returns the tls.Config for a connection to brokerURL: nil, nil
// when the URL's scheme is not a TLS one and f is zero. Setting files for
// a plain-text URL is an error, so a deployment never believes it is
// encrypted when it is not. Every error is a *TLSError naming the field
// (or the url), and never holds key material. Files are read now, once.
func (f TLSFiles) Config(brokerURL string) (*tls.Config, error) {
	u, err := url.Parse(brokerURL)
	if err != nil {
		return nil, &TLSError{Field: TLSFieldURL, Value: brokerURL, Err: err}
	}
	if !TLSScheme(u.Scheme) {
		if f.IsZero() {
			return nil, nil
		}
		return nil, &TLSError{Field: TLSFieldURL, Value: brokerURL,
			Err: errors.New("is not a TLS URL (ssl, tls, mqtts, tcps, wss) but TLS files are set")}
	}
	c := &tls.Config{
		// TLS 1.2 is the oldest version without known protocol attacks
		// (RFC 8996 deprecates 1.0 and 1.1); Mosquitto 2 defaults to it.
		MinVersion: tls.VersionTLS12,
		ServerName: f.ServerName,
	}
	if c.ServerName == "" {
		// Set explicitly: paho's proxy path (all_proxy) hands the config
		// to tls.Client, which does not derive the name from the address.
		c.ServerName = hostOf(u.Host)
	}
	if f.CAFile != "" {
		if c.RootCAs, err = loadCertPool(f.CAFile); err != nil {
			return nil, &TLSError{Field: TLSFieldCAFile, Value: f.CAFile, Err: err}
		}
	}
	if err := f.loadClientCert(c); err != nil {
		return nil, err
	}
	return c, nil
}

func (f TLSFiles) loadClientCert(c *tls.Config) error {
	switch {
	case f.CertFile == "" && f.KeyFile == "":
		return nil
	case f.KeyFile == "":
		return &TLSError{Field: TLSFieldKeyFile, Value: "", Err: errors.New("is required with cert_file")}
	case f.CertFile == "":
		return &TLSError{Field: TLSFieldCertFile, Value: "", Err: errors.New("is required with key_file")}
	}
	for _, file := range [][2]string{{TLSFieldCertFile, f.CertFile}, {TLSFieldKeyFile, f.KeyFile}} {
		// Checked one by one so that the error names the file at fault.
		if _, err := os.ReadFile(file[1]); err != nil {
			return &TLSError{Field: file[0], Value: file[1], Err: fmt.Errorf("cannot be read: %w", err)}
		}
	}
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		// The error names no key bytes: crypto/tls reports only the
		// kind of problem.
		return &TLSError{Field: TLSFieldCertFile, Value: f.CertFile, Err: fmt.Errorf("with key_file %q: %w", f.KeyFile, err)}
	}
	c.Certificates = []tls.Certificate{cert}
	return nil
}

// loadCertPool reads a PEM file of CA certificates.
func loadCertPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("holds no PEM certificate")
	}
	return pool, nil
}

// hostOf returns the host part of host[:port].
func hostOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
