// Package app is the composition root of Service Connector: it reads the configuration,
// builds every part with plain constructors, holds the router, and runs the subcommands.
package app

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
)

// usage lists the subcommands.
const usage = `Usage: service-connector COMMAND

Commands:
  demo                   run the portal with dev sign-in and the reference services on loopback
  serve                  run the production portal: Google sign-in, sudo delivery (see README.md)
  registry check FILE    validate a registry and its skill files (--skills DIR; default: skills/ beside FILE)
  probe SERVICE_ID       check a live service against the token-exchange protocol (--check-url URL; see README.md)
  offboard EMAIL         revoke every key of a person and remove their files (--demo: the demo's data)
  rekey                  re-seal every API key at rest under SC_STORE_KEY_FILE's first key (--demo: the demo's data)
  audit verify|export    check the audit log's hash chain, or write it as JSON lines (see audit --help)
  help                   show this text

Configuration comes from SC_* environment variables; see README.md.
`

// Main runs the program with the process's arguments, environment and output streams until
// SIGINT or SIGTERM, and returns the exit code.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, getenv, stdout, stderr)
}

// Run is Main with a context: the program stops when ctx ends. Specs start it in-process.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	// gin's debug mode prints every route at start-up; the portal logs through slog instead.
	gin.SetMode(gin.ReleaseMode)
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[1] {
	case "demo":
		return runDemo(ctx, args[2:], getenv, stdout, stderr)
	case "serve":
		return Serve(ctx, args[2:], getenv, stdout, stderr, GoogleDefaults())
	case "registry":
		return runRegistry(args[2:], stdout, stderr)
	case "probe":
		return runProbe(ctx, args[2:], getenv, stdout, stderr)
	case "offboard":
		return runOffboard(ctx, args[2:], getenv, stdout, stderr)
	case "rekey":
		return runRekey(ctx, args[2:], getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, args[2:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "service-connector: unknown command %q\n\n%s", args[1], usage)
		return 2
	}
}
