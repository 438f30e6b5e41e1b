package main

import (
	"fmt"

	"github.com/tillsync/tillsync/central/mqtt"
)

// AuthConfig is the batch authentication section (DESIGN §5 rule 6).
type AuthConfig struct {
	// Mode is AuthOpen (any well-formed batch is stored; for a demo or a
	// closed network) or AuthSigned (every batch must be signed with its
	// agent's key). Production sets signed.
	Mode string `mapstructure:"mode"`
	// KeysFile holds one line per agent, "store agent base64key", as
	// tillsync-central agents add writes it. Required in signed mode; it
	// is reread on SIGHUP.
	KeysFile string `mapstructure:"keys_file"`
}

// Auth modes: the values of mqtt.AuthMode.
const (
	AuthOpen   = string(mqtt.AuthOpen)
	AuthSigned = string(mqtt.AuthSigned)
)

func (a *AuthConfig) validate(p *problems) {
	switch a.Mode {
	case AuthOpen:
	case AuthSigned:
		if a.KeysFile == "" {
			p.add("auth.keys_file", a.KeysFile, "is required with auth.mode signed (create it with tillsync-central agents add)")
			return
		}
		// Read it now, so that config validate catches a bad line before a
		// restart does. The error names the line, never a key.
		if _, err := mqtt.LoadKeys(a.KeysFile); err != nil {
			p.add("auth.keys_file", a.KeysFile, "cannot be used: "+err.Error())
		}
	default:
		p.add("auth.mode", a.Mode, "must be open or signed")
	}
}

// ingestAuth returns the ingester's auth mode and, in signed mode, the
// agents' keys read from the keys file.
func (m *Main) ingestAuth() (mqtt.AuthMode, *mqtt.Keys, error) {
	a := m.Config.Auth
	if a.Mode != AuthSigned {
		m.Logger.Warn("auth.mode is open: batches are not authenticated; set auth.mode signed in production")
		return mqtt.AuthOpen, nil, nil
	}
	keys, err := mqtt.LoadKeys(a.KeysFile)
	if err != nil {
		return "", nil, fmt.Errorf("auth: %w", err)
	}
	m.Logger.Info("batches must be signed", "keys_file", a.KeysFile, "agents", keys.Len())
	return mqtt.AuthSigned, keys, nil
}

// ReloadKeys rereads auth.keys_file and hands it to the running ingester,
// so that an agent provisioned with agents add syncs without a restart. It
// does nothing in open mode. On error the keys in use are kept.
func (m *Main) ReloadKeys() error {
	if m.Config.Auth.Mode != AuthSigned || m.Ingester == nil {
		return nil
	}
	keys, err := mqtt.LoadKeys(m.Config.Auth.KeysFile)
	if err != nil {
		return fmt.Errorf("reload keys: %w", err)
	}
	m.Ingester.SetKeys(keys)
	m.Logger.Info("keys reloaded", "keys_file", m.Config.Auth.KeysFile, "agents", keys.Len())
	return nil
}
