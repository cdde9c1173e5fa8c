package registry

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/service-connector/service-connector/services/delivery"
)

// readSkill returns the contents of the skill file name in skills, or a problem that says
// why it cannot be used. What the delivery would refuse is refused here, by the delivery's
// own check, so a skill the registry accepts can always be delivered.
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
	data, err := io.ReadAll(io.LimitReader(f, delivery.MaxSkillSize+1))
	if err != nil {
		return "", fmt.Sprintf("%q cannot be read: %v", name, cause(err))
	}
	if len(data) <= delivery.MaxSkillSize && strings.TrimSpace(string(data)) == "" {
		return "", fmt.Sprintf("%q is empty", name)
	}
	if problem := contentProblem(string(data)); problem != "" {
		return "", fmt.Sprintf("%q %s", name, problem)
	}
	return string(data), ""
}

// contentProblem is the delivery's verdict on a skill's contents, with the line and column
// of the fault when it has one.
func contentProblem(contents string) string {
	problem, offset := delivery.SkillContentProblem(contents)
	if problem == "" || offset < 0 {
		return problem
	}
	line, col := position([]byte(contents), offset)
	return fmt.Sprintf("%s (line %d, column %d)", problem, line, col)
}

// cause drops the path from a file system error: the message already names the file.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
