package delivery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services"
)

// DirInstaller delivers bundles into root/<username>/ in-process, without sudo: the demo's
// stand-in for the root helper, writing with the same code the helper uses in a real home.
type DirInstaller struct {
	root string
}

// NewDirInstaller returns an installer whose homes live under root.
func NewDirInstaller(root string) *DirInstaller {
	return &DirInstaller{root: root}
}

// Install delivers b into root/<username>/ exactly as the root helper will into a real
// home, creating root and the user's directory (both 0700) when they are missing. A bad
// username or bundle is refused before anything is created.
func (d *DirInstaller) Install(ctx context.Context, username string, b Bundle) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("install for %s: %w", username, err)
	}
	if !services.ValidUsername(username) {
		return services.Errorf(services.EInvalid, "%q is not a valid user name", username)
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if err := d.ensureHome(username); err != nil {
		return services.Wrap(services.EUnavailable, err, "Could not prepare the delivery directory")
	}
	if err := WriteHome(filepath.Join(d.root, username), b); err != nil {
		return fmt.Errorf("install for %s: %w", username, err)
	}
	return nil
}

// ensureHome creates root and root/<username> when missing. An existing user directory is
// left for WriteHome to judge, so a symlink there is refused rather than followed.
func (d *DirInstaller) ensureHome(username string) error {
	if _, err := os.Stat(d.root); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(d.root, dirMode); err != nil {
			return fmt.Errorf("create %s: %w", d.root, err)
		}
		// MkdirAll's mode passes through the umask.
		if err := os.Chmod(d.root, dirMode); err != nil {
			return fmt.Errorf("chmod %s: %w", d.root, err)
		}
	}
	rootFd, err := unix.Open(d.root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", d.root, err)
	}
	defer unix.Close(rootFd)
	err = unix.Mkdirat(rootFd, username, dirMode)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s/%s: %w", d.root, username, err)
	}
	fd, err := unix.Openat(rootFd, username, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s/%s: %w", d.root, username, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, dirMode); err != nil {
		return fmt.Errorf("chmod %s/%s: %w", d.root, username, err)
	}
	return nil
}
