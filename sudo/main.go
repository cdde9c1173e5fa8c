// Command install-service-env is the root helper: run by sudo as
// `install-service-env USERNAME` with a delivery bundle on standard input, it writes that
// person's ~/.service_env and ~/.claude_rules/sc_*.md as that person, and nothing else.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stderr))
}
