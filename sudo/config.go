package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// buildMinUID is the lowest uid the helper delivers to, set at build time with
// -ldflags "-X main.buildMinUID=N". It has to be a package variable for -X to reach it.
var buildMinUID = "1000"

// loadMinUID returns the build's minimum uid, overridden by min_uid in the config file at
// path when that file exists and only root can change it. A config anyone else could have
// written is an error, not something to skip, so a tampered policy is noticed.
func loadMinUID(path string) (int, error) {
	minUID, err := strconv.Atoi(buildMinUID)
	if err != nil || minUID < 1 {
		return 0, fmt.Errorf("the build's minimum uid %q is not a positive number", buildMinUID)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return minUID, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Uid != 0 || st.Mode&0o022 != 0 {
		return 0, fmt.Errorf("%s must be a regular file owned by root and writable by no one else", path)
	}
	return parseConfig(f, path, minUID)
}

// parseConfig reads `min_uid = N` lines; blank lines and # comments are ignored, and any
// other line is an error so a typo does not silently keep the default.
func parseConfig(f *os.File, path string, minUID int) (int, error) {
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) != "min_uid" {
			return 0, fmt.Errorf("%s line %d: only min_uid = N is understood", path, n)
		}
		v, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || v < 1 {
			return 0, fmt.Errorf("%s line %d: min_uid must be a positive number", path, n)
		}
		minUID = v
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return minUID, nil
}
