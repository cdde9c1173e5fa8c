package delivery

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"os"
	"regexp"

	"golang.org/x/sys/unix"
)

// tempPrefix starts with a dot so the laptop's sc_*.md sync never picks up a temp file.
const tempPrefix = ".sc-tmp-"

// tempRandomBytes is how much randomness a temp name carries: 128 bits, written as 26
// characters of unpadded RFC 4648 base32 (A-Z, 2-7), the same shape crypto/rand.Text gave
// earlier versions, so their leftovers are still recognised.
const tempRandomBytes = 16

var tempEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// tempNamePattern is the exact shape of every temp name delivery makes. Only a regular file
// with such a name is delivery's own; the sweep of leftovers removes nothing else.
var tempNamePattern = regexp.MustCompile(`^\.sc-tmp-[A-Z2-7]{26}$`)

// tempName returns a fresh, unpredictable temp file name of tempNamePattern's shape.
func tempName() string {
	b := make([]byte, tempRandomBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return tempPrefix + tempEncoding.EncodeToString(b)
}

// writeFileAt replaces dirFd/name with data, mode 0600, by writing a fresh temp file and
// renaming it over the target: the old inode is never written, so a hard link or a swapped
// entry planted by the home's owner cannot redirect the write.
func writeFileAt(dirFd int, name string, data []byte) error {
	if upToDate(dirFd, name, data) {
		return nil
	}
	// An unpredictable name and O_EXCL|O_NOFOLLOW: nothing planted in advance can be opened.
	tmp := tempName()
	fd, err := unix.Openat(dirFd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, fileMode)
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	if err := fillTemp(f, data); err != nil {
		f.Close()
		unix.Unlinkat(dirFd, tmp, 0)
		return err
	}
	if err := f.Close(); err != nil {
		unix.Unlinkat(dirFd, tmp, 0)
		return fmt.Errorf("close temp file: %w", err)
	}
	if err := unix.Renameat(dirFd, tmp, dirFd, name); err != nil {
		unix.Unlinkat(dirFd, tmp, 0)
		return fmt.Errorf("rename temp file: %w", err)
	}
	if err := unix.Fsync(dirFd); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

func fillTemp(f *os.File, data []byte) error {
	// The umask may have narrowed or, at 0, left the create mode alone; either way set it.
	if err := unix.Fchmod(int(f.Fd()), fileMode); err != nil {
		return fmt.Errorf("chmod temp file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write temp file: %w", err)
	}
	if err := unix.Fsync(int(f.Fd())); err != nil {
		return fmt.Errorf("sync temp file: %w", err)
	}
	return nil
}

// upToDate reports whether dirFd/name already is exactly what writeFileAt would leave:
// a regular file of ours, mode 0600, one link, holding data. Anything else is rewritten,
// which also fixes a wrong mode without calling chmod on an inode the owner may control.
func upToDate(dirFd int, name string, data []byte) bool {
	// O_NONBLOCK: should the entry have turned into a FIFO since inspection, do not hang.
	fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG || uint32(st.Mode)&0o7777 != fileMode ||
		uint64(st.Nlink) != 1 || int(st.Uid) != os.Geteuid() || st.Size != int64(len(data)) {
		return false
	}
	have, err := io.ReadAll(io.LimitReader(f, int64(len(data))+1))
	if err != nil {
		return false
	}
	return bytes.Equal(have, data)
}
