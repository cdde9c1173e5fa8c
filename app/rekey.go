package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/service-connector/service-connector/services/store"
)

// rekeyUsage explains the rekey command.
const rekeyUsage = `Usage: service-connector rekey [--demo]

Re-seals every API key in the portal's database under the first key of SC_STORE_KEY_FILE,
those stored in plain text included, so that the keys below the first can leave the file.
It uses the database of serve's settings (SC_DATABASE_URL, or SQLite in SC_DATA_DIR), works
in small transactions while portals keep running, and is safe to run again. It prints what
it re-sealed; it exits 0 once every API key is sealed under the first key, 1 when some are
not (named on stderr), 2 on a usage or configuration error.

  --demo   act on the demo's data ($SC_DATA_DIR, default ./var; its store.key unless
           SC_STORE_KEY_FILE is set)
`

// runRekey runs `service-connector rekey [--demo]`.
func runRekey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	demo := false
	for _, a := range args {
		switch a {
		case "--demo", "-demo":
			demo = true
		case "-h", "--help", "help":
			fmt.Fprint(stdout, rekeyUsage)
			return 0
		default:
			fmt.Fprintf(stderr, "service-connector rekey: unknown argument %q\n\n%s", a, rekeyUsage)
			return 2
		}
	}
	cfg, problems := loadRekeyConfig(getenv, demo)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "service-connector rekey:", p)
		}
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	st, err := openStore(ctx, cfg, cfg.DataDir, "", nil, log)
	if err != nil {
		fmt.Fprintln(stderr, "service-connector rekey:", err)
		return 1
	}
	defer st.Close()
	report, err := st.Rekey(ctx, store.RekeyBatch)
	if err != nil {
		fmt.Fprintf(stderr, "service-connector rekey: %v (re-sealed so far: %d; run it again)\n", err, report.Total())
		return 1
	}
	fmt.Fprintln(stdout, "service-connector rekey:", report)
	for _, f := range report.Failed {
		fmt.Fprintln(stderr, "service-connector rekey: left as it is:", f.Err)
	}
	if !report.Done() {
		return 1
	}
	return 0
}

// loadRekeyConfig reads what rekey needs: the database (as serve, or the demo's data) and
// the key file, which it requires.
func loadRekeyConfig(getenv func(string) string, demo bool) (Config, []string) {
	cfg, problems := loadConfig(getenv)
	if !demo {
		cfg.DataDir = envOr(getenv, "SC_DATA_DIR", "/var/lib/service-connector")
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return cfg, append(problems, "SC_DATA_DIR: "+err.Error())
	}
	cfg.DataDir = dataDir
	if info, err := os.Stat(dataDir); err != nil || !info.IsDir() {
		return cfg, append(problems, fmt.Sprintf("SC_DATA_DIR: %s is not the portal's data dir (it does not exist)", dataDir))
	}
	if demo && cfg.StoreKeyFile == "" {
		cfg.StoreKeyFile = filepath.Join(dataDir, demoKeyFile)
	}
	return cfg, append(problems, loadStoreKeys(&cfg, true)...)
}
