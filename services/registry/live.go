package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services"
)

// Status is how the live registry stands, for admins: where it comes from, the registry in
// service, and the problems of the files on disk when they are not the registry in service.
type Status struct {
	Source   string    // the registry file
	Services int       // services in the registry in service
	LoadedAt time.Time // when the registry in service was loaded
	// Problems of the last edit, one "FILE:LINE:COL: message" per line; empty when the
	// files on disk are the registry in service.
	Problems  []string
	CheckedAt time.Time // when the files were last looked at
}

// Change is a reload that replaced the registry in service.
type Change struct {
	Old, New *Registry
	Removed  []services.Service // services of Old that New no longer has
}

// Live is the registry in service, reloaded when its files change. An edit that does not
// validate keeps the last good registry in service, and its problems are logged and shown
// in Status until the files are fixed. It is safe for concurrent use, and implements what
// the connector reads of a registry.
type Live struct {
	path, skillsDir string
	load            func() (*Registry, error)
	log             *slog.Logger
	now             func() time.Time

	mu      sync.RWMutex
	current *Registry
	status  Status
	stamp   string // fingerprint of the files behind current, or of the failed edit
}

// OpenLive loads the registry at path with skill files from skillsDir. The first load must
// succeed: there is no last good registry to fall back on yet.
func OpenLive(path, skillsDir string, log *slog.Logger, now func() time.Time, opts ...Option) (*Live, error) {
	return OpenLiveFunc(path, skillsDir, log, now, func() (*Registry, error) { return LoadFile(path, skillsDir, opts...) })
}

// OpenLiveFunc is OpenLive with the registry loaded by load, which reads path and
// skillsDir its own way (the demo points the example URLs at its reference services).
func OpenLiveFunc(path, skillsDir string, log *slog.Logger, now func() time.Time, load func() (*Registry, error)) (*Live, error) {
	if now == nil {
		now = time.Now
	}
	l := &Live{path: path, skillsDir: skillsDir, load: load, log: log, now: now}
	stamp, err := fingerprint(path, skillsDir)
	if err != nil {
		return nil, fmt.Errorf("load registry: %w", err)
	}
	reg, err := load()
	if err != nil {
		return nil, err
	}
	at := now()
	l.current, l.stamp = reg, stamp
	l.status = Status{Source: path, Services: len(reg.services), LoadedAt: at, CheckedAt: at}
	return l, nil
}

// Services returns every service of the registry in service.
func (l *Live) Services() []services.Service { return l.Current().Services() }

// Service returns the service with the given id from the registry in service.
func (l *Live) Service(id string) (services.Service, bool) { return l.Current().Service(id) }

// Skill returns the contents of a skill file of the registry in service.
func (l *Live) Skill(name string) (string, bool) { return l.Current().Skill(name) }

// Current returns the registry in service.
func (l *Live) Current() *Registry {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.current
}

// Status returns how the registry stands.
func (l *Live) Status() Status {
	l.mu.RLock()
	defer l.mu.RUnlock()
	st := l.status
	st.Problems = slices.Clone(st.Problems)
	return st
}

// Reload looks at the files and, when they changed since the last look, loads them. A valid
// edit replaces the registry in service and is returned as a Change; an invalid one keeps
// it, and its problems go to the log and to Status. Unchanged files cost a few stats.
func (l *Live) Reload() (*Change, error) {
	stamp, err := fingerprint(l.path, l.skillsDir)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status.CheckedAt = l.now()
	if err == nil && stamp == l.stamp {
		return nil, nil
	}
	var reg *Registry
	if err == nil {
		reg, err = l.load()
	}
	if err != nil {
		problems := problemLines(err)
		if stamp != l.stamp || !slices.Equal(problems, l.status.Problems) {
			l.log.Error("registry edit refused; the last good registry stays in service", "file", l.path, "problems", strings.Join(problems, "; "))
		}
		l.stamp, l.status.Problems = stamp, problems
		return nil, err
	}
	change := &Change{Old: l.current, New: reg}
	for _, svc := range l.current.services {
		if _, ok := reg.Service(svc.ID); !ok {
			change.Removed = append(change.Removed, svc)
		}
	}
	l.current, l.stamp = reg, stamp
	l.status = Status{Source: l.path, Services: len(reg.services), LoadedAt: l.status.CheckedAt, CheckedAt: l.status.CheckedAt}
	ids := make([]string, len(change.Removed))
	for i, svc := range change.Removed {
		ids[i] = svc.ID
	}
	l.log.Info("registry reloaded", "file", l.path, "services", len(reg.services), "removed", strings.Join(ids, ","))
	return change, nil
}

// Watch reloads every interval until ctx ends, and hands each change to onChange.
func (l *Live) Watch(ctx context.Context, interval time.Duration, onChange func(*Change)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if change, _ := l.Reload(); change != nil && onChange != nil {
			onChange(change)
		}
	}
}

// problemLines is an error as the admin page lists it: one line per problem.
func problemLines(err error) []string {
	var verr *ValidationError
	if errors.As(err, &verr) {
		return strings.Split(verr.Error(), "\n")
	}
	return []string{err.Error()}
}

// fingerprint identifies the current version of the registry file and the skill files:
// each file's name, size, modification time and inode. An edit, an atomic replace or a new
// skill file changes it; reading it costs a stat per file.
func fingerprint(path, skillsDir string) (string, error) {
	var b strings.Builder
	add := func(name string, info fs.FileInfo) {
		fmt.Fprintf(&b, "%s|%d|%d|%v\n", name, info.Size(), info.ModTime().UnixNano(), inode(info))
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	add(path, info)
	entries, err := os.ReadDir(skillsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(skillsDir, e.Name()))
		if err != nil {
			continue // removed in between: the next look sees it gone
		}
		add(e.Name(), info)
	}
	return b.String(), nil
}
