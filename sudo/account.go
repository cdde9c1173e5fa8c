package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/service-connector/service-connector/services"
)

// The reserved uids above every real account: nobody (the kernel's overflow uid) and -1.
const (
	overflowUID = 65534
	invalidUID  = 1<<32 - 1
)

// account is the target of a delivery, as the system's account database describes it.
type account struct {
	name   string
	uid    int
	gid    int
	groups []int
	home   string
}

// The account database the helper trusts: the local files only. Going through NSS would
// load shared libraries chosen by configuration into a root process; reading the files keeps
// the helper a static binary that no LD_* variable or module can reach.
const (
	passwdPath = "/etc/passwd"
	groupPath  = "/etc/group"
)

// lookupAccount accepts only an existing, valid, non-root local account with uid ≥ minUID.
// The name is checked before anything is read.
func lookupAccount(name string, minUID int) (account, error) {
	if !services.ValidUsername(name) {
		return account{}, errors.New("the user name is not valid")
	}
	fields, err := findEntry(passwdPath, func(f []string) bool { return len(f) == 7 && f[0] == name })
	if err != nil {
		return account{}, err
	}
	if fields == nil {
		return account{}, fmt.Errorf("no account %s", name)
	}
	uid, err := strconv.Atoi(fields[2])
	if err != nil {
		return account{}, fmt.Errorf("account %s has a non-numeric uid", name)
	}
	gid, err := strconv.Atoi(fields[3])
	if err != nil {
		return account{}, fmt.Errorf("account %s has a non-numeric gid", name)
	}
	home := fields[5]
	switch {
	case uid == 0 || gid == 0:
		return account{}, fmt.Errorf("account %s is root or in root's group", name)
	case uid < minUID:
		return account{}, fmt.Errorf("account %s has uid %d, below the minimum %d", name, uid, minUID)
	case uid == overflowUID || uid == invalidUID:
		// nobody and the "no uid" value own files all over the system; they are nobody's account.
		return account{}, fmt.Errorf("account %s has the reserved uid %d", name, uid)
	case !filepath.IsAbs(home) || filepath.Clean(home) == "/":
		return account{}, fmt.Errorf("account %s has no usable home directory", name)
	}
	groups, err := supplementaryGroups(name, gid)
	if err != nil {
		return account{}, err
	}
	return account{name: name, uid: uid, gid: gid, groups: groups, home: filepath.Clean(home)}, nil
}

// supplementaryGroups lists the account's groups, primary first, refusing root's group so
// the helper never writes with gid 0 in its set.
func supplementaryGroups(name string, gid int) ([]int, error) {
	groups := []int{gid}
	var bad error
	_, err := findEntry(groupPath, func(f []string) bool {
		if len(f) != 4 || !slices.Contains(strings.Split(f[3], ","), name) {
			return false
		}
		g, err := strconv.Atoi(f[2])
		switch {
		case err != nil:
			bad = fmt.Errorf("a group of %s has a non-numeric id", name)
		case g == 0:
			bad = fmt.Errorf("account %s is in root's group", name)
		case g != gid:
			groups = append(groups, g)
		}
		return bad != nil
	})
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	return groups, nil
}

// findEntry returns the colon-separated fields of the first line of the file at path that
// match wants, or nil when none does.
func findEntry(path string, wants func(fields []string) bool) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the account database: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if fields := strings.Split(line, ":"); wants(fields) {
			return fields, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return nil, nil
}

// dropPrivileges becomes the account for good: groups first, while still allowed to, then
// gid, then uid. Since Go 1.16 these apply to every thread. It then checks that each id
// took and that root cannot be regained.
func dropPrivileges(a account) error {
	if err := syscall.Setgroups(a.groups); err != nil {
		return fmt.Errorf("drop privileges: setgroups: %w", err)
	}
	if err := syscall.Setgid(a.gid); err != nil {
		return fmt.Errorf("drop privileges: setgid: %w", err)
	}
	if err := syscall.Setuid(a.uid); err != nil {
		return fmt.Errorf("drop privileges: setuid: %w", err)
	}
	if os.Getuid() != a.uid || os.Geteuid() != a.uid || os.Getgid() != a.gid || os.Getegid() != a.gid {
		return errors.New("drop privileges: the ids did not change")
	}
	if syscall.Setuid(0) == nil {
		return errors.New("drop privileges: root could be regained")
	}
	return nil
}
