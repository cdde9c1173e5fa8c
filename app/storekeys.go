package app

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/service-connector/service-connector/services/store/keyring"
)

// The key file that encrypts API keys at rest (SC_STORE_KEY_FILE): see package keyring for
// its format, and README "Keys encrypted at rest".

// credentialName is the name of the key file among systemd's credentials
// (LoadCredential=store-key:/etc/service-connector/store.key).
const credentialName = "store-key"

// demoKeyFile is the demo's key file in its data dir, made on first start.
const demoKeyFile = "store.key"

// storeKeyFile is SC_STORE_KEY_FILE or, when it is unset and systemd passed the credential,
// $CREDENTIALS_DIRECTORY/store-key.
func storeKeyFile(getenv func(string) string) string {
	if path := strings.TrimSpace(getenv("SC_STORE_KEY_FILE")); path != "" {
		return path
	}
	if dir := getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		path := filepath.Join(dir, credentialName)
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	return ""
}

// isCredential reports whether path lies in credDir, the directory where systemd passes a
// service its credentials ($CREDENTIALS_DIRECTORY): systemd sets their mode there.
func isCredential(credDir, path string) bool {
	if credDir == "" || !filepath.IsAbs(credDir) {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(credDir), filepath.Clean(path))
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

// loadStoreKeys loads cfg.StoreKeyFile into cfg.StoreKeys. Without a file, it is a problem
// when required (serve, rekey) and leaves no keys otherwise; the store then refuses a
// database holding encrypted keys. The problem never holds key material.
func loadStoreKeys(cfg *Config, required bool) []string {
	if cfg.StoreKeyFile == "" {
		if required {
			return []string{"SC_STORE_KEY_FILE is required: the file of the keys that encrypt API keys at rest " +
				"(deploy.sh makes one; or `(umask 077; head -c 32 /dev/urandom | base64 > store.key)`)"}
		}
		return nil
	}
	load := keyring.LoadFile
	if cfg.getenv != nil && isCredential(cfg.getenv("CREDENTIALS_DIRECTORY"), cfg.StoreKeyFile) {
		load = keyring.LoadCredential
	}
	keys, err := load(cfg.StoreKeyFile)
	if err != nil {
		return []string{"SC_STORE_KEY_FILE: " + err.Error()}
	}
	cfg.StoreKeys = keys
	return nil
}

// demoStoreKeys gives the demo its keys: SC_STORE_KEY_FILE when set, otherwise store.key in
// its data dir, made (mode 0600) on first start.
func demoStoreKeys(cfg *Config, log *slog.Logger) error {
	if cfg.StoreKeyFile == "" {
		dataDir, err := makeDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.StoreKeyFile = filepath.Join(dataDir, demoKeyFile)
		created, err := keyring.Create(cfg.StoreKeyFile)
		if err != nil {
			return fmt.Errorf("SC_STORE_KEY_FILE: %w", err)
		}
		if created {
			log.Info("made the key that encrypts API keys at rest", "file", cfg.StoreKeyFile)
		}
	}
	if problems := loadStoreKeys(cfg, true); len(problems) > 0 {
		return fmt.Errorf("%s", problems[0])
	}
	return nil
}

// demoDataKeys loads the keys of the demo's data for a command acting on it (offboard and
// rekey with --demo): SC_STORE_KEY_FILE when set, otherwise the demo's store.key if the demo
// made one. It never makes one.
func demoDataKeys(cfg *Config, dataDir string) []string {
	if cfg.StoreKeyFile == "" {
		path := filepath.Join(dataDir, demoKeyFile)
		if _, err := os.Lstat(path); err != nil {
			return nil
		}
		cfg.StoreKeyFile = path
	}
	return loadStoreKeys(cfg, false)
}
