package delivery_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

// The keys of validBundle; specs check that no error ever mentions them.
const (
	poKey  = "pk_live_abc123"
	invKey = "inv_key_9876543"
)

const header = "# Service Connector: keys for the services you connected. Managed by the portal; edits are overwritten.\n"

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

// entry is what a snapshot records of one path: enough to tell any change apart.
type entry struct {
	Type    fs.FileMode
	Perm    fs.FileMode
	ModTime time.Time
	Content string
	Target  string
}

// snapshot records every path under base without following symlinks or opening FIFOs.
func snapshot(base string) map[string]entry {
	GinkgoHelper()
	tree := map[string]entry{}
	err := filepath.WalkDir(base, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		e := entry{Type: info.Mode().Type(), Perm: info.Mode().Perm(), ModTime: info.ModTime()}
		switch {
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			e.Content = string(data)
		case info.Mode()&fs.ModeSymlink != 0:
			if e.Target, err = os.Readlink(path); err != nil {
				return err
			}
		}
		tree[path] = e
		return nil
	})
	Expect(err).NotTo(HaveOccurred())
	return tree
}

func writeFile(path, content string, perm fs.FileMode) {
	GinkgoHelper()
	Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
	Expect(os.WriteFile(path, []byte(content), perm)).To(Succeed())
	Expect(os.Chmod(path, perm)).To(Succeed())
}

func readFile(path string) string {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}

func lstat(path string) fs.FileInfo {
	GinkgoHelper()
	info, err := os.Lstat(path)
	Expect(err).NotTo(HaveOccurred())
	return info
}

// withUmask sets the process umask for the rest of the spec.
func withUmask(mask int) {
	GinkgoHelper()
	old := unix.Umask(mask)
	DeferCleanup(func() { unix.Umask(old) })
}

// backdate moves the times of paths into the past, so a rewrite would show in the mtime
// regardless of the filesystem's timestamp granularity.
func backdate(paths ...string) {
	GinkgoHelper()
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, p := range paths {
		Expect(os.Chtimes(p, past, past)).To(Succeed())
	}
}

// expectSafeError checks err is a domain error of code that mentions none of the keys.
func expectSafeError(err error, code services.Code, secrets ...string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred())
	var domainErr *services.Error
	Expect(errors.As(err, &domainErr)).To(BeTrue(), "not a *services.Error: %v", err)
	Expect(services.ErrorCode(err)).To(Equal(code), err.Error())
	for _, s := range append(secrets, poKey, invKey) {
		if s == "" {
			continue
		}
		Expect(err.Error()).NotTo(ContainSubstring(s))
		Expect(services.ErrorMessage(err)).NotTo(ContainSubstring(s))
	}
}
