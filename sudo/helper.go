package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

// configPath is the only place, besides the build, that may change the helper's policy; it
// counts only when root owns it and nobody else can write it.
const configPath = "/etc/service-connector/helper.conf"

// run is the whole helper. Every refusal happens before the first change to the home, and
// the one line it prints on failure never holds a key: errors from delivery name fields and
// paths, never values.
func run(args []string, stdin io.Reader, stderr io.Writer) int {
	if err := install(args, stdin); err != nil {
		fmt.Fprintln(stderr, "install-service-env: "+oneLine(err.Error()))
		return 1
	}
	return 0
}

func install(args []string, stdin io.Reader) error {
	// The caller's environment is theirs to choose; nothing below may depend on it.
	os.Clearenv()
	if os.Geteuid() != 0 {
		return errors.New("must be run as root (through sudo)")
	}
	if len(args) != 1 {
		return errors.New("usage: install-service-env USERNAME < bundle.json")
	}
	minUID, err := loadMinUID(configPath)
	if err != nil {
		return err
	}
	acct, err := lookupAccount(args[0], minUID)
	if err != nil {
		return err
	}
	b, err := delivery.DecodeBundle(stdin)
	if err != nil {
		return err
	}
	if err := dropPrivileges(acct); err != nil {
		return err
	}
	// Only now, as the account itself, is anything in the home looked at.
	syscall.Umask(0o077)
	if err := requireRealDir(acct.home); err != nil {
		return err
	}
	if err := delivery.WriteHome(acct.home, b); err != nil {
		return fmt.Errorf("deliver to %s: %w", acct.name, err)
	}
	return nil
}

// requireRealDir refuses a home that is missing, a symlink or not a directory.
func requireRealDir(home string) error {
	info, err := os.Lstat(home)
	if err != nil {
		return services.Wrap(services.EInvalid, err, "the account's home directory cannot be used")
	}
	if !info.IsDir() {
		return services.Errorf(services.EInvalid, "the account's home directory %s is not a real directory", home)
	}
	return nil
}

// oneLine keeps stderr to one printable line whatever an error carried.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
