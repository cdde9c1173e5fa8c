package client_test

import (
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("The sync_data.sh snippet", Label("sshd"), func() {
	var (
		r        runner
		platform string
		project  string
		home     string
	)

	BeforeEach(func() {
		r = newRunner("/usr/bin/dash", "original-awk")
		platform = GinkgoT().TempDir()
		project = GinkgoT().TempDir()
		home = GinkgoT().TempDir()
		snippet := readFile("sync_data.snippet.sh")
		writeFile(filepath.Join(platform, "sync_data.sh"), "#!/bin/sh\necho data synced\n"+snippet, 0o755)
		writeFile(filepath.Join(platform, "sync-service-env.sh"), readFile("sync-service-env.sh"), 0o755)
		writeFile(filepath.Join(home, ".service_env"), serverEnv, 0o600)
	})

	syncData := func() (string, error) {
		GinkgoHelper()
		cmd := exec.Command(r.shell, filepath.Join(platform, "sync_data.sh"))
		cmd.Dir = project
		cmd.Env = append([]string{"PATH=" + r.path, "HOME=" + project}, r.env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	It("syncs the keys over the platform's ssh alias", func() {
		r.env = append(r.env, startSSHD(home))
		out, err := syncData()
		Expect(err).NotTo(HaveOccurred(), out)
		expectServerKeysLoaded(filepath.Join(project, ".env"))
	})

	It("reports a failed key sync without failing the data sync", func() {
		r.env = append(r.env, unreachableSSH())
		out, err := syncData()
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("data synced"))
		Expect(out).To(ContainSubstring("Service Connector keys were not updated"))
		Expect(filepath.Join(project, ".env")).NotTo(BeAnExistingFile())
		_, statErr := os.Stat(filepath.Join(project, ".claude"))
		Expect(os.IsNotExist(statErr)).To(BeTrue())
	})
})
