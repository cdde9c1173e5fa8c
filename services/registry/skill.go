package registry

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode/utf8"
)

// maxSkillSize bounds a skill file: it is delivered into every connected user's home and
// loaded into the agent's context, so a runaway file must not get that far.
const maxSkillSize = 256 << 10

// readSkill returns the contents of the skill file name in skills, or a problem that says
// why it cannot be used.
func readSkill(skills fs.FS, name string) (string, string) {
	info, err := fs.Stat(skills, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Sprintf("%q is not in the skills directory", name)
	}
	if err != nil {
		return "", fmt.Sprintf("%q cannot be read: %v", name, cause(err))
	}
	if info.IsDir() {
		return "", fmt.Sprintf("%q is a directory, not a file", name)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Sprintf("%q is not a regular file", name)
	}
	f, err := skills.Open(name)
	if err != nil {
		return "", fmt.Sprintf("%q cannot be read: %v", name, cause(err))
	}
	defer f.Close()
	// Read one byte past the limit instead of trusting Stat, since the file may grow.
	data, err := io.ReadAll(io.LimitReader(f, maxSkillSize+1))
	switch {
	case err != nil:
		return "", fmt.Sprintf("%q cannot be read: %v", name, cause(err))
	case len(data) > maxSkillSize:
		return "", fmt.Sprintf("%q is larger than %d KiB", name, maxSkillSize>>10)
	case strings.TrimSpace(string(data)) == "":
		return "", fmt.Sprintf("%q is empty", name)
	case !utf8.Valid(data):
		return "", fmt.Sprintf("%q is not valid UTF-8", name)
	}
	return string(data), ""
}

// cause drops the path from a file system error: the message already names the file.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
