package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/service-connector/service-connector/services/registry"
)

// runRegistry runs `registry check FILE [--skills DIR]`: exit 0 for a valid registry, or 1
// with one FILE:LINE:COL: message line per problem.
func runRegistry(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: service-connector registry check FILE [--skills DIR]")
		return 2
	}
	fs := flag.NewFlagSet("registry check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	skills := fs.String("skills", "", "directory of the skill files (default: skills/ beside FILE)")
	file, rest := "", args[1:]
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		file, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if file == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: service-connector registry check FILE [--skills DIR]")
		return 2
	}
	if *skills == "" {
		*skills = filepath.Join(filepath.Dir(file), "skills")
	}
	reg, err := registry.LoadFile(file, *skills, registry.LintSkills(*skills))
	if err != nil {
		var verr *registry.ValidationError
		if errors.As(err, &verr) {
			fmt.Fprintln(stdout, verr.Error())
		} else {
			fmt.Fprintf(stdout, "%s: %v\n", file, err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok, %d services\n", file, len(reg.Services()))
	return 0
}
