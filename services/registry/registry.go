// Package registry loads service_connectors.json, the admin-edited list of internal
// services (a bare JSON list, or the list under {"services": [...]}), and checks it strictly: a registry is either entirely valid or rejected with
// every problem located by line and column.
package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/service-connector/service-connector/services"
)

// Registry is an immutable snapshot of a valid registry file and the skill files it names.
// It is safe for concurrent use.
type Registry struct {
	services []services.Service
	byID     map[string]int
	skills   map[string]string
}

// Parse validates data, the contents of the registry file called filename, against the
// skill files in skills. Any problem makes it return a *ValidationError listing all of them.
func Parse(filename string, data []byte, skills fs.FS, opts ...Option) (*Registry, error) {
	if skills == nil {
		return nil, errors.New("parse registry: no skills directory given")
	}
	root, syntaxErr := parseTree(data)
	if syntaxErr != nil {
		line, col := position(data, syntaxErr.offset)
		return nil, &ValidationError{File: filename, Problems: []Problem{{Line: line, Col: col, Message: syntaxErr.msg}}}
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	c := newChecker(skills, o)
	list := c.document(root)
	if len(c.findings) == 0 {
		c.worstBundle(list, c.contents())
	}
	if findings := c.sorted(); len(findings) > 0 || len(c.skillProblems) > 0 {
		problems := make([]Problem, len(findings), len(findings)+len(c.skillProblems))
		for i, f := range findings {
			line, col := position(data, f.offset)
			problems[i] = Problem{Line: line, Col: col, Message: f.message}
		}
		problems = append(problems, c.skillProblems...)
		return nil, &ValidationError{File: filename, Problems: problems}
	}
	r := &Registry{services: list, byID: make(map[string]int, len(list)), skills: c.contents()}
	for i, svc := range list {
		r.byID[svc.ID] = i
	}
	return r, nil
}

// LoadFile reads and parses the registry at path, with skill files from skillsDir.
func LoadFile(path, skillsDir string, opts ...Option) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load registry: %w", err)
	}
	return Parse(path, data, os.DirFS(skillsDir), opts...)
}

// Services returns every service, enabled or not, in file order. The slice is the
// caller's own.
func (r *Registry) Services() []services.Service {
	return slices.Clone(r.services)
}

// Service returns the service with the given id.
func (r *Registry) Service(id string) (services.Service, bool) {
	i, ok := r.byID[id]
	if !ok {
		return services.Service{}, false
	}
	return r.services[i], true
}

// Skill returns the contents of a skill file named by the registry, as read by Parse, so
// what is delivered matches what was validated.
func (r *Registry) Skill(name string) (string, bool) {
	s, ok := r.skills[name]
	return s, ok
}
