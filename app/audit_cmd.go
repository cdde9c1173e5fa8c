package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/identity"
	"github.com/service-connector/service-connector/services/store"
)

// auditUsage explains the audit command.
const auditUsage = `Usage: service-connector audit verify [--demo] [--expect SEQ:HASH]
       service-connector audit export [--demo] [--since TIME] [--person EMAIL] [--service ID]

verify  checks the audit log's hash chain, from the first record kept to the last, and names
        the first record changed, removed, inserted or moved. --expect SEQ:HASH also checks
        that record SEQ still has the hash an earlier run printed (kept outside the database),
        which finds a log rewritten whole. Exit 0 when the chain holds, 1 when it does not or
        cannot be read, 2 on a usage or configuration error.
export  writes the records to stdout as JSON lines, oldest first, for a SIEM. --since takes an
        RFC 3339 time (2026-11-23T12:00:00Z), a date (2026-11-23, UTC) or a duration back from
        now (24h, 7d); --person an email; --service a service id.

Both use the portal's database: SC_DATABASE_URL (or _FILE), or SQLite in SC_DATA_DIR
(default /var/lib/service-connector; with --demo the demo's, default ./var).
`

// runAudit runs `service-connector audit verify|export`.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		out := stderr
		if len(args) > 0 {
			out = stdout
		}
		fmt.Fprint(out, auditUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	fs := flag.NewFlagSet("service-connector audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	demo := fs.Bool("demo", false, "")
	var expect, since, person, service string
	switch args[0] {
	case "verify":
		fs.StringVar(&expect, "expect", "", "")
	case "export":
		fs.StringVar(&since, "since", "", "")
		fs.StringVar(&person, "person", "", "")
		fs.StringVar(&service, "service", "", "")
	default:
		fmt.Fprintf(stderr, "service-connector audit: unknown subcommand %q\n\n%s", args[0], auditUsage)
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(stderr, "service-connector audit %s: %v\n\n%s", args[0], err, auditUsage)
		return 2
	}
	cfg, problems := loadAuditConfig(getenv, *demo)
	if args[0] == "verify" {
		exp, err := parseExpect(expect)
		if err != nil {
			problems = append(problems, err.Error())
		}
		return withAuditStore(ctx, cfg, problems, "verify", stderr, func(st *store.Store) int {
			return auditVerify(ctx, st, exp, stdout, stderr)
		})
	}
	f, err := exportFilter(since, person, service, time.Now())
	if err != nil {
		problems = append(problems, err.Error())
	}
	return withAuditStore(ctx, cfg, problems, "export", stderr, func(st *store.Store) int {
		return auditExport(ctx, st, f, stdout, stderr)
	})
}

// loadAuditConfig reads where the portal's database is, as offboard does: SC_DATABASE_URL,
// or SQLite in SC_DATA_DIR (serve's default, or the demo's with --demo). The data dir must
// exist, and hold the database when it is SQLite: the command never creates one.
func loadAuditConfig(getenv func(string) string, demo bool) (Config, []string) {
	cfg, problems := loadConfig(getenv)
	if !demo {
		cfg.DataDir = envOr(getenv, "SC_DATA_DIR", "/var/lib/service-connector")
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err == nil {
		cfg.DataDir = dir
	}
	if info, err := os.Stat(cfg.DataDir); err != nil || !info.IsDir() {
		problems = append(problems, fmt.Sprintf("SC_DATA_DIR: %s is not the portal's data dir (it does not exist)", cfg.DataDir))
	} else if cfg.DatabaseURL == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, store.FileName)); err != nil {
			problems = append(problems, fmt.Sprintf("SC_DATA_DIR: %s holds no database (%s)", cfg.DataDir, store.FileName))
		}
	}
	return cfg, problems
}

// withAuditStore opens the portal's database and runs fn over it, or reports the problems.
func withAuditStore(ctx context.Context, cfg Config, problems []string, sub string, stderr io.Writer, fn func(*store.Store) int) int {
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "service-connector audit %s: %s\n", sub, p)
		}
		return 2
	}
	// The audit log holds no key: an auditor needs no key file to verify or export it.
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir,
		Log: newLogger(stderr, cfg.LogLevel), KeysUnread: true})
	if err != nil {
		fmt.Fprintf(stderr, "service-connector audit %s: open the database: %v\n", sub, err)
		return 1
	}
	defer st.Close()
	return fn(st)
}

// parseExpect reads --expect SEQ:HASH.
func parseExpect(raw string) ([]store.ExpectHash, error) {
	if raw == "" {
		return nil, nil
	}
	seq, hash, ok := strings.Cut(raw, ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 1 || len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("--expect: %q is not SEQ:HASH, a record number and the 64 hex digits of its hash", raw)
	}
	return []store.ExpectHash{{Seq: n, Hash: hash}}, nil
}

// auditVerify checks the chain and says what it found.
func auditVerify(ctx context.Context, st *store.Store, expect []store.ExpectHash, stdout, stderr io.Writer) int {
	check, err := st.VerifyAudit(ctx, expect...)
	if err != nil {
		fmt.Fprintf(stderr, "service-connector audit verify: %v\n", err)
		return 1
	}
	from := fmt.Sprintf("from record %d, which follows the anchor %s", check.From, check.AnchorHash)
	if check.AnchorHash == store.ZeroHash {
		from = fmt.Sprintf("from record %d, the first of the log", check.From)
	}
	if check.Bad != nil && check.Bad.Seq == 0 {
		fmt.Fprintf(stdout, "audit log BROKEN: %s\n", check.Bad.Why) // nothing could be checked
		return 1
	}
	if check.Bad != nil {
		at := ""
		if !check.Bad.At.IsZero() {
			at = " (" + check.Bad.At.Format(time.RFC3339Nano) + ")"
		}
		fmt.Fprintf(stdout, "audit log BROKEN at record %d%s: %s\nchecked %s; %d records before it hold\n",
			check.Bad.Seq, at, check.Bad.Why, from, check.Records)
		return 1
	}
	if check.Records == 0 {
		fmt.Fprintf(stdout, "audit log OK: no records to check (%s)\n", from)
		return 0
	}
	fmt.Fprintf(stdout, "audit log OK: records %d to %d (%d records), checked %s\nhead: %d:%s\n",
		check.From, check.To, check.Records, from, check.To, check.Head)
	return 0
}

// exportFilter reads export's flags into a filter.
func exportFilter(since, person, service string, now time.Time) (store.AuditFilter, error) {
	var f store.AuditFilter
	var problems []string
	if since != "" {
		t, err := parseSince(since, now)
		if err != nil {
			problems = append(problems, err.Error())
		}
		f.Since = t
	}
	if person != "" {
		email, err := identity.NormalizeEmail(person)
		if err != nil {
			problems = append(problems, "--person: "+services.ErrorMessage(err))
		}
		f.Person = email
	}
	if service != "" {
		if !services.ValidServiceID(service) {
			problems = append(problems, fmt.Sprintf("--service: %q is not a service id", service))
		}
		f.ServiceID = service
	}
	if len(problems) > 0 {
		return f, errors.New(strings.Join(problems, "; "))
	}
	return f, nil
}

// parseSince reads --since: an RFC 3339 time, a date (midnight UTC), or a duration back from
// now.
func parseSince(raw string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, raw); err == nil {
		return t, nil
	}
	if d, err := parseDuration(raw); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since: %q is not a time (2026-11-23T12:00:00Z), a date (2026-11-23) or a duration back from now (24h, 7d)", raw)
}

// exportedRecord is one line of the export.
type exportedRecord struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"`
	Actor     string `json:"actor"`
	Kind      string `json:"kind"`
	Person    string `json:"person"`
	Account   string `json:"account"`
	ServiceID string `json:"service_id"`
	TokenID   string `json:"token_id"`
	Outcome   string `json:"outcome"`
	Reason    string `json:"reason"`
	PrevHash  string `json:"prev_hash"`
	Hash      string `json:"hash"`
}

// auditExport writes the records f selects as JSON lines.
func auditExport(ctx context.Context, st *store.Store, f store.AuditFilter, stdout, stderr io.Writer) int {
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	err := st.ExportAudit(ctx, f, func(r store.AuditRecord) error {
		return enc.Encode(exportedRecord{Seq: r.Seq, Time: r.At.Format(time.RFC3339Nano), Actor: r.Actor, Kind: r.Kind, Person: r.Person,
			Account: r.Account, ServiceID: r.ServiceID, TokenID: r.TokenID, Outcome: r.Outcome, Reason: r.Reason, PrevHash: r.PrevHash, Hash: r.Hash})
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "service-connector audit export: %v\n", err)
		return 1
	}
	return 0
}
