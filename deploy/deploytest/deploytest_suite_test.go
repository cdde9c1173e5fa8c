package deploytest_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

func TestDeploy(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Deploy Suite", Label("root"))
}

// binDir holds freshly built service-connector and install-service-env, as `make build`
// leaves them in bin/.
var binDir string

var _ = SynchronizedBeforeSuite(func() []byte {
	Expect(os.Geteuid()).To(Equal(0), "deploy.sh installs root-owned files; run the deploy specs as root (CI does)")
	dir, err := os.MkdirTemp("", "sct-bin-")
	Expect(err).NotTo(HaveOccurred())
	for name, pkg := range map[string]string{
		"service-connector":   "github.com/service-connector/service-connector",
		"install-service-env": "github.com/service-connector/service-connector/sudo",
	} {
		built, err := gexec.Build(pkg)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.Rename(built, filepath.Join(dir, name))).To(Succeed())
	}
	return []byte(dir)
}, func(dir []byte) {
	binDir = string(dir)
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	os.RemoveAll(binDir)
	gexec.CleanupBuildArtifacts()
})
