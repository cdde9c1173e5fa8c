package delivery

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services"
)

// The names delivery owns in a home. Only skill files that pass services.ValidSkillName
// are managed: the portal never writes any other name, so any other file is the person's.
const (
	serviceEnvName = ".service_env"
	rulesDirName   = ".claude_rules"
	fileMode       = 0o600
	dirMode        = 0o700
)

// WriteHome makes home hold exactly b: ~/.service_env and the managed ~/.claude_rules/sc_*.md
// files. It validates b and inspects the home before its first write, and refuses the whole
// bundle, changing nothing, if anything is not what delivery itself would have left there.
// It never follows a symlink it meets in home, replaces files by rename only, and leaves
// every file it does not manage alone.
func WriteHome(home string, b Bundle) error {
	if err := b.Validate(); err != nil {
		return err
	}
	homeFd, err := openHome(home)
	if err != nil {
		return err
	}
	defer unix.Close(homeFd)

	plan, err := inspectHome(homeFd)
	if err != nil {
		return err
	}
	defer plan.close()
	if err := plan.apply(homeFd, b); err != nil {
		return services.Wrap(services.EUnavailable, fmt.Errorf("write %s: %w", home, err),
			"Could not write your Service Connector files")
	}
	return nil
}

// openHome opens the home directory, which must be a real directory owned by the user
// delivery runs as: the root helper drops to the home's owner before it calls WriteHome, and
// a write as anyone else (root above all) could leave files the owner cannot read or be
// steered by them into places they could not write.
func openHome(home string) (int, error) {
	fd, err := unix.Open(home, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case err == nil:
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, services.Wrap(services.EUnavailable, fmt.Errorf("stat %s: %w", home, err),
				"Could not open your home directory")
		}
		if int(st.Uid) != os.Geteuid() {
			unix.Close(fd)
			return -1, services.Wrap(services.EInvalid,
				fmt.Errorf("home %s is owned by uid %d, delivery runs as uid %d", home, st.Uid, os.Geteuid()),
				"Your home directory does not belong to the account Service Connector writes as")
		}
		return fd, nil
	case errors.Is(err, unix.ENOENT):
		return -1, services.Wrap(services.EInvalid, fmt.Errorf("open %s: %w", home, err),
			"Your home directory does not exist")
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR):
		return -1, services.Wrap(services.EInvalid, fmt.Errorf("open %s: %w", home, err),
			"Your home directory is not a plain directory")
	default:
		return -1, services.Wrap(services.EUnavailable, fmt.Errorf("open %s: %w", home, err),
			"Could not open your home directory")
	}
}

// homePlan is what inspectHome found: the open rules directory (or -1 when it is missing)
// and the managed skill files already in it. Holding the directory open from inspection
// to the last write means the directory checked is the directory written.
type homePlan struct {
	rulesFd  int
	existing []string
	// staleHome and staleRules are temp files a delivery killed mid-write left behind;
	// they may hold a key, so the next delivery removes them.
	staleHome, staleRules []string
}

func (p *homePlan) close() {
	if p.rulesFd >= 0 {
		unix.Close(p.rulesFd)
	}
}

// inspectHome checks everything delivery will replace or remove, without changing anything.
func inspectHome(homeFd int) (*homePlan, error) {
	if err := requireKind(homeFd, serviceEnvName, unix.S_IFREG, "~/.service_env"); err != nil {
		return nil, err
	}
	plan := &homePlan{rulesFd: -1}
	if err := requireKind(homeFd, rulesDirName, unix.S_IFDIR, "~/.claude_rules"); err != nil {
		return nil, err
	}
	homeNames, err := readDirNames(homeFd)
	if err != nil {
		return nil, services.Wrap(services.EUnavailable, err, "Could not list the home directory")
	}
	plan.staleHome = staleTemps(homeFd, homeNames)
	fd, err := unix.Openat(homeFd, rulesDirName, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return plan, nil
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR):
		return nil, refuse(err, "~/.claude_rules")
	case err != nil:
		return nil, services.Wrap(services.EUnavailable, fmt.Errorf("open %s: %w", rulesDirName, err),
			"Could not open ~/.claude_rules")
	}
	plan.rulesFd = fd
	names, err := readDirNames(fd)
	if err != nil {
		plan.close()
		return nil, services.Wrap(services.EUnavailable, err, "Could not list ~/.claude_rules")
	}
	plan.staleRules = staleTemps(fd, names)
	for _, name := range names {
		if !services.ValidSkillName(name) {
			continue
		}
		if err := requireKind(fd, name, unix.S_IFREG, "~/.claude_rules/"+name); err != nil {
			plan.close()
			return nil, err
		}
		plan.existing = append(plan.existing, name)
	}
	return plan, nil
}

// requireKind accepts a missing name or one of the given file type, never following it.
func requireKind(dirFd int, name string, kind uint32, shown string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirFd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case err != nil:
		return services.Wrap(services.EUnavailable, fmt.Errorf("stat %s: %w", name, err),
			"Could not inspect %s", shown)
	case uint32(st.Mode)&unix.S_IFMT != kind:
		return refuse(fmt.Errorf("%s has file type %#o", name, uint32(st.Mode)&unix.S_IFMT), shown)
	}
	return nil
}

func refuse(cause error, shown string) error {
	return services.Wrap(services.EInvalid, cause,
		"%s is not what Service Connector expects (a symlink, or the wrong kind of file); move it aside and try again", shown)
}

// readDirNames lists a directory through a fresh descriptor, so the caller's descriptor
// keeps its own offset.
func readDirNames(dirFd int) ([]string, error) {
	fd, err := unix.Openat(dirFd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("reopen directory: %w", err)
	}
	f := os.NewFile(uintptr(fd), rulesDirName)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list directory: %w", err)
	}
	return names, nil
}

// apply writes the skills, then ~/.service_env, then removes skills no longer wanted.
func (p *homePlan) apply(homeFd int, b Bundle) error {
	if err := p.openRules(homeFd); err != nil {
		return err
	}
	wanted := make(map[string]bool, len(b.Skills))
	for _, s := range b.Skills {
		wanted[s.Name] = true
		if err := writeFileAt(p.rulesFd, s.Name, []byte(s.Content)); err != nil {
			return fmt.Errorf("write %s/%s: %w", rulesDirName, s.Name, err)
		}
	}
	if err := writeFileAt(homeFd, serviceEnvName, RenderServiceEnv(b)); err != nil {
		return fmt.Errorf("write %s: %w", serviceEnvName, err)
	}
	removeStale(homeFd, p.staleHome)
	removed := removeStale(p.rulesFd, p.staleRules)
	for _, name := range p.existing {
		if wanted[name] {
			continue
		}
		// unlinkat without AT_REMOVEDIR removes the entry itself, whatever it points to.
		if err := unix.Unlinkat(p.rulesFd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("remove %s/%s: %w", rulesDirName, name, err)
		}
		removed = true
	}
	if removed {
		if err := unix.Fsync(p.rulesFd); err != nil {
			return fmt.Errorf("sync %s: %w", rulesDirName, err)
		}
	}
	return nil
}

// staleTemps picks out of a directory listing the temp files a killed delivery left: regular
// files whose name has exactly the shape delivery gives its temp files. A file of the
// person's that merely starts alike, or anything that is not a regular file, is theirs.
func staleTemps(dirFd int, names []string) []string {
	var out []string
	for _, name := range names {
		if !tempNamePattern.MatchString(name) {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(dirFd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			out = append(out, name)
		}
	}
	return out
}

// removeStale unlinks leftover temp files; unlinkat never follows what it removes. It is
// best effort: one left now is removed by the next delivery.
func removeStale(dirFd int, names []string) bool {
	removed := false
	for _, name := range names {
		if unix.Unlinkat(dirFd, name, 0) == nil {
			removed = true
		}
	}
	return removed
}

// openRules creates ~/.claude_rules when inspection found none and forces its mode.
func (p *homePlan) openRules(homeFd int) error {
	if p.rulesFd < 0 {
		// Mkdirat fails if the name appeared since inspection, so nothing unchecked is used.
		if err := unix.Mkdirat(homeFd, rulesDirName, dirMode); err != nil {
			return fmt.Errorf("create %s: %w", rulesDirName, err)
		}
		fd, err := unix.Openat(homeFd, rulesDirName, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", rulesDirName, err)
		}
		p.rulesFd = fd
		if err := unix.Fsync(homeFd); err != nil {
			return fmt.Errorf("sync home: %w", err)
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(p.rulesFd, &st); err != nil {
		return fmt.Errorf("stat %s: %w", rulesDirName, err)
	}
	if uint32(st.Mode)&0o7777 != dirMode {
		if err := unix.Fchmod(p.rulesFd, dirMode); err != nil {
			return fmt.Errorf("chmod %s: %w", rulesDirName, err)
		}
	}
	return nil
}
