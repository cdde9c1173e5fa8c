package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

func TestInstallServiceEnv(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "install-service-env Suite", Label("root"))
}

// binaries are the helper as shipped and one built with a minimum uid above every account
// the specs create.
type binaries struct {
	Helper      string
	StrictBuild string
}

var bins binaries

var _ = SynchronizedBeforeSuite(func() []byte {
	Expect(os.Geteuid()).To(Equal(0),
		"the root helper specs create accounts with useradd and run the helper as root; run them as root (CI does)")
	helper, err := gexec.Build("github.com/service-connector/service-connector/sudo")
	Expect(err).NotTo(HaveOccurred())
	strict, err := gexec.Build("github.com/service-connector/service-connector/sudo",
		"-ldflags=-X main.buildMinUID=60001")
	Expect(err).NotTo(HaveOccurred())
	// gexec builds into private directories; the accounts must be able to reach the binaries.
	for _, bin := range []string{helper, strict} {
		Expect(os.Chmod(filepath.Dir(bin), 0o755)).To(Succeed())
		Expect(os.Chmod(filepath.Dir(filepath.Dir(bin)), 0o755)).To(Succeed())
	}
	return []byte(helper + "\n" + strict)
}, func(paths []byte) {
	Expect(os.Geteuid()).To(Equal(0), "the root helper specs must run as root")
	parts := strings.Split(string(paths), "\n")
	bins = binaries{Helper: parts[0], StrictBuild: parts[1]}
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	gexec.CleanupBuildArtifacts()
})
