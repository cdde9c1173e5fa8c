package main_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/service-connector/service-connector/services/delivery"
)

// The keys of validBundle; no output of the helper may ever contain them.
const (
	poKey  = "pk_live_abc123"
	invKey = "inv_key_9876543"
)

func validBundle() delivery.Bundle {
	return delivery.Bundle{
		Env: []delivery.EnvEntry{
			{Name: "PO_API_KEY", Value: poKey, Service: "purchase_orders",
				ExpiresAt: time.Date(2027, 11, 22, 12, 0, 0, 0, time.UTC)},
			{Name: "INV_API_KEY", Value: invKey, Service: "invoicing"},
		},
		Skills: []delivery.Skill{
			{Name: "sc_purchase_orders.md", Content: "# Purchase Orders\n\nGET /api/orders\n"},
			{Name: "sc_invoicing.md", Content: "# Invoicing\n\nGET /api/invoices\n"},
		},
	}
}

func bundleJSON(b delivery.Bundle) string {
	GinkgoHelper()
	data, err := json.Marshal(b)
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// account is a throwaway login made by useradd for one spec.
type account struct {
	Name string
	UID  int
	GID  int
	Home string
}

// randomName returns prefix and 8 random lower-case letters: a valid, unused user name.
func randomName(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:8])
}

// mustRun runs a command as root and fails the spec, with its output, if it fails.
func mustRun(name string, args ...string) {
	GinkgoHelper()
	var out []byte
	var err error
	// useradd and userdel take a lock on /etc/passwd; parallel specs may meet it held.
	for range 50 {
		out, err = exec.Command(name, args...).CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("lock")) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	Expect(err).NotTo(HaveOccurred(), "%s %v: %s", name, args, out)
}

// newAccount creates a login with its own group and home and removes both after the spec.
// extra is passed to useradd, e.g. to give a home elsewhere.
func newAccount(extra ...string) account {
	GinkgoHelper()
	name := randomName("sct")
	args := append([]string{"-K", "UID_MIN=20000", "-K", "UID_MAX=59999", "-U", "-s", "/usr/sbin/nologin"}, extra...)
	if len(extra) == 0 {
		args = append(args, "-m")
	}
	mustRun("useradd", append(args, name)...)
	DeferCleanup(func() {
		// -r removes the home useradd made; a home the spec pointed elsewhere is its own.
		if len(extra) == 0 {
			mustRun("userdel", "-r", name)
		} else {
			mustRun("userdel", name)
		}
	})
	u, err := user.Lookup(name)
	Expect(err).NotTo(HaveOccurred())
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return account{Name: name, UID: uid, GID: gid, Home: u.HomeDir}
}

// give hands path (not what it points to) to the account, as if they had made it.
func (a account) give(path string) {
	GinkgoHelper()
	Expect(os.Lchown(path, a.UID, a.GID)).To(Succeed())
}

// plant writes a file owned by the account.
func (a account) plant(path, content string, perm fs.FileMode) {
	GinkgoHelper()
	Expect(os.WriteFile(path, []byte(content), perm)).To(Succeed())
	Expect(os.Chmod(path, perm)).To(Succeed())
	a.give(path)
}

// plantDir makes a directory owned by the account.
func (a account) plantDir(path string, perm fs.FileMode) {
	GinkgoHelper()
	Expect(os.Mkdir(path, perm)).To(Succeed())
	Expect(os.Chmod(path, perm)).To(Succeed())
	a.give(path)
}

// runHelper runs binary as root with args and stdin and waits for it to finish.
func runHelper(binary, stdin string, args ...string) *gexec.Session {
	GinkgoHelper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	// A hostile caller's environment; the helper must not care.
	cmd.Env = []string{"HOME=/root", "TMPDIR=/nonexistent", "PATH=/nonexistent", "LD_PRELOAD=/nonexistent.so"}
	return start(cmd)
}

func start(cmd *exec.Cmd) *gexec.Session {
	GinkgoHelper()
	session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(session).WithTimeout(20 * time.Second).Should(gexec.Exit())
	return session
}

// expectRefused checks a failed run: non-zero exit, exactly one line on stderr, no key.
func expectRefused(session *gexec.Session, secrets ...string) {
	GinkgoHelper()
	Expect(session.ExitCode()).NotTo(Equal(0), "stderr: %s", session.Err.Contents())
	stderr := string(session.Err.Contents())
	Expect(stderr).To(HaveSuffix("\n"))
	Expect(strings.Count(stderr, "\n")).To(Equal(1), "stderr: %q", stderr)
	Expect(stderr).To(HavePrefix("install-service-env: "))
	for _, s := range append(secrets, poKey, invKey) {
		Expect(stderr).NotTo(ContainSubstring(s))
	}
	Expect(session.Out.Contents()).To(BeEmpty())
}

// node is what a snapshot records of one path: enough to tell any change apart.
type node struct {
	Type    fs.FileMode
	Perm    fs.FileMode
	UID     uint32
	GID     uint32
	ModTime time.Time
	Content string
	Target  string
}

// snapshot records every path under the roots without following symlinks or opening FIFOs.
func snapshot(roots ...string) map[string]node {
	GinkgoHelper()
	tree := map[string]node{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := os.Lstat(path)
			if err != nil {
				return err
			}
			st := info.Sys().(*syscall.Stat_t)
			n := node{Type: info.Mode().Type(), Perm: info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky),
				UID: st.Uid, GID: st.Gid, ModTime: info.ModTime()}
			switch {
			case info.Mode().IsRegular():
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				n.Content = string(data)
			case info.Mode()&fs.ModeSymlink != 0:
				if n.Target, err = os.Readlink(path); err != nil {
					return err
				}
			}
			tree[path] = n
			return nil
		})
		Expect(err).NotTo(HaveOccurred())
	}
	return tree
}

// expectOwned checks path's type, owner, group and mode.
func expectOwned(path string, a account, kind fs.FileMode, perm fs.FileMode) {
	GinkgoHelper()
	info, err := os.Lstat(path)
	Expect(err).NotTo(HaveOccurred())
	st := info.Sys().(*syscall.Stat_t)
	Expect(info.Mode().Type()).To(Equal(kind), path)
	Expect(info.Mode().Perm()).To(Equal(perm), fmt.Sprintf("%s mode %v", path, info.Mode()))
	Expect(int(st.Uid)).To(Equal(a.UID), path)
	Expect(int(st.Gid)).To(Equal(a.GID), path)
}

func readFile(path string) string {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// rootArea is a root-only directory holding a file and a directory the accounts must never
// reach: the targets of their symlinks.
func rootArea() string {
	GinkgoHelper()
	dir, err := os.MkdirTemp("", "sct-root-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	Expect(os.Chmod(dir, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, "secret"), []byte("root only\n"), 0o600)).To(Succeed())
	Expect(os.Mkdir(filepath.Join(dir, "rules"), 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, "rules", "sc_old.md"), []byte("root's\n"), 0o644)).To(Succeed())
	return dir
}
