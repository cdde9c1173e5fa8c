package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// keyMark is part of every API key the specs store, so a spec can prove no error holds one.
const keyMark = "KEYMARK9"

// connection returns a valid connection of email to serviceID.
func connection(email, serviceID string) services.Connection {
	return services.Connection{
		UserEmail:   email,
		Username:    strings.ToLower(strings.Split(email, "@")[0]),
		ServiceID:   serviceID,
		TokenID:     "tok_" + serviceID,
		APIKey:      services.Secret("pk_live_" + keyMark + "_" + serviceID),
		ConnectedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		ExpiresAt:   time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// storePath returns the path of a store file in a new, private temp directory.
func storePath() string {
	GinkgoHelper()
	return filepath.Join(GinkgoT().TempDir(), "connections.json")
}

// mustOpen opens the store at path, failing the spec on an error.
func mustOpen(path string) *store.Store {
	GinkgoHelper()
	s, err := store.Open(path)
	Expect(err).NotTo(HaveOccurred())
	return s
}

// mustPut records each connection, failing the spec on an error.
func mustPut(s *store.Store, conns ...services.Connection) {
	GinkgoHelper()
	for _, c := range conns {
		Expect(s.Put(c)).To(Succeed())
	}
}

// fileBytes returns the content of path, or nil when it does not exist.
func fileBytes(path string) []byte {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	Expect(err).NotTo(HaveOccurred())
	return data
}

// fileMode returns the permission bits of path.
func fileMode(path string) os.FileMode {
	GinkgoHelper()
	info, err := os.Stat(path)
	Expect(err).NotTo(HaveOccurred())
	return info.Mode().Perm()
}

// dirNames returns the names in dir.
func dirNames(dir string) []string {
	GinkgoHelper()
	entries, err := os.ReadDir(dir)
	Expect(err).NotTo(HaveOccurred())
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// expectNoKeyIn asserts that no rendering of err holds an API key the specs stored.
func expectNoKeyIn(err error) {
	GinkgoHelper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		Expect(text).NotTo(ContainSubstring(keyMark))
	}
}
