package deploytest_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store/keyring"
)

// The settings that turn on NoNewPrivileges for a non-root unit, which would break sudo.
var impliesNoNewPrivileges = []string{
	"NoNewPrivileges", "SystemCallFilter", "SystemCallArchitectures", "RestrictAddressFamilies",
	"RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID", "MemoryDenyWriteExecute",
	"LockPersonality", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules",
	"ProtectKernelLogs", "ProtectClock", "DynamicUser",
}

var _ = Describe("deploy.sh --root", func() {
	var root string

	deploy := func() string {
		GinkgoHelper()
		out, err := exec.Command("../deploy.sh", "--root", root, "--bin", binDir).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		return string(out)
	}

	BeforeEach(func() {
		var err error
		root, err = os.MkdirTemp("", "sct-deploy-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, root)
	})

	It("installs the system user, private data dir, binaries, sudoers, unit and config with the right owners and modes", func() {
		deploy()

		uid, gid := portalIDs(root)
		Expect(uid).To(BeNumerically("<", 1000), "a system account")
		expectNode(root, "var/lib/service-connector", fs.ModeDir, 0o700, uid, gid)
		expectNode(root, "usr/local/bin/install-service-env", 0, 0o755, 0, 0)
		expectNode(root, "usr/local/bin/service-connector", 0, 0o755, 0, 0)
		expectNode(root, "etc/sudoers.d/service-connector", 0, 0o440, 0, 0)
		expectNode(root, "etc/systemd/system/service-connector.service", 0, 0o644, 0, 0)
		expectNode(root, "etc/service-connector", fs.ModeDir, 0o750, 0, gid)
		expectNode(root, "etc/service-connector/service-connector.env", 0, 0o640, 0, gid)
		expectNode(root, "etc/service-connector/service_connectors.json", 0, 0o640, 0, gid)
		for _, skill := range []string{"sc_crm.md", "sc_invoicing.md", "sc_purchase_orders.md"} {
			expectNode(root, "etc/service-connector/skills/"+skill, 0, 0o640, 0, gid)
		}
		out, err := exec.Command("visudo", "-cf", filepath.Join(root, "etc/sudoers.d/service-connector")).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		expectNode(root, "etc/service-connector/store.key", 0, 0o400, 0, 0)
	})

	It("makes the key that encrypts API keys at rest once, root's alone, and never prints it", func() {
		keyPath := filepath.Join(root, "etc/service-connector/store.key")

		out := deploy()

		Expect(out).To(ContainSubstring("made " + keyPath))
		keys, err := keyring.LoadFile(keyPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(keys.IDs()).To(HaveLen(1))
		first := string(must(os.ReadFile(keyPath)))
		for _, line := range strings.Split(first, "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				Expect(out).NotTo(ContainSubstring(line))
			}
		}

		By("keeping it, and an admin's rotated file, on the next runs")
		Expect(deploy()).NotTo(ContainSubstring("made " + keyPath))
		Expect(os.ReadFile(keyPath)).To(Equal([]byte(first)))
		rotated := string(keyring.NewKeyLine()) + first
		Expect(os.Chmod(keyPath, 0o600)).To(Succeed())
		Expect(os.WriteFile(keyPath, []byte(rotated), 0o600)).To(Succeed())
		deploy()
		Expect(os.ReadFile(keyPath)).To(Equal([]byte(rotated)))
		expectNode(root, "etc/service-connector/store.key", 0, 0o400, 0, 0)
	})

	It("changes nothing when run a second time", func() {
		deploy()
		first := snapshot(root)

		deploy()

		second := snapshot(root)
		for path, n := range first {
			Expect(second).To(HaveKeyWithValue(path, n), path)
		}
		Expect(second).To(HaveLen(len(first)))
	})

	It("keeps an admin's secrets and never prints them", func() {
		deploy()
		envFile := filepath.Join(root, "etc/service-connector/service-connector.env")
		Expect(os.WriteFile(envFile, []byte("SC_SECRET_CRM=very-secret-value-123\n"), 0o600)).To(Succeed())

		out := deploy()

		Expect(os.ReadFile(envFile)).To(Equal([]byte("SC_SECRET_CRM=very-secret-value-123\n")))
		_, gid := portalIDs(root)
		expectNode(root, "etc/service-connector/service-connector.env", 0, 0o640, 0, gid)
		Expect(out).NotTo(ContainSubstring("very-secret-value-123"))
	})

	It("leaves the host's accounts alone", func() {
		before, err := os.ReadFile("/etc/passwd")
		Expect(err).NotTo(HaveOccurred())

		deploy()

		Expect(os.ReadFile("/etc/passwd")).To(Equal(before))
	})

	It("installs a unit without NoNewPrivileges or anything implying it, which systemd accepts", func() {
		deploy()
		unitPath := filepath.Join(root, "etc/systemd/system/service-connector.service")
		unit := string(must(os.ReadFile(unitPath)))

		for _, line := range strings.Split(unit, "\n") {
			key, _, _ := strings.Cut(strings.TrimSpace(line), "=")
			Expect(impliesNoNewPrivileges).NotTo(ContainElement(key), line)
		}
		Expect(unit).To(ContainSubstring("\nUser=service-connector\n"))
		Expect(unit).To(ContainSubstring("\nEnvironmentFile=/etc/service-connector/service-connector.env\n"))
		Expect(unit).To(ContainSubstring("\nExecStart=/usr/local/bin/service-connector serve\n"))
		Expect(unit).To(ContainSubstring("\nLoadCredential=store-key:/etc/service-connector/store.key\n"))
		Expect(unit).To(ContainSubstring("\nEnvironment=SC_STORE_KEY_FILE=%d/store-key\n"))

		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			GinkgoWriter.Println("systemd-analyze is not installed; the unit was checked for the settings above only")
			return
		}
		// The scratch tree has no systemd units of its own, so verify on the host with the
		// command pointed at the binary that was installed into the tree.
		copyPath := filepath.Join(GinkgoT().TempDir(), "service-connector.service")
		Expect(os.WriteFile(copyPath, []byte(strings.ReplaceAll(unit, "/usr/local/bin/service-connector",
			filepath.Join(root, "usr/local/bin/service-connector"))), 0o644)).To(Succeed())
		out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).To(BeEmpty())
	})

	It("refuses to run without the built binaries", func() {
		out, err := exec.Command("../deploy.sh", "--root", root, "--bin", filepath.Join(root, "nothing")).CombinedOutput()

		Expect(err).To(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("run make build first"))
		Expect(filepath.Join(root, "usr")).NotTo(BeADirectory())
	})
})

var _ = Describe("the CI deploy sample", func() {
	It("takes every service's shared secret from CI secrets, never from the repository", func() {
		sample := string(must(os.ReadFile("../ci/deploy.yml")))

		for _, name := range []string{"SC_SECRET_PURCHASE_ORDERS", "SC_SECRET_INVOICING", "SC_SECRET_CRM", "SC_SESSION_SECRET"} {
			Expect(sample).To(ContainSubstring(name + ": ${{ secrets." + name + " }}"))
		}
	})
})

// portalIDs reads the portal user's uid and gid from the tree's own account files.
func portalIDs(root string) (int, int) {
	GinkgoHelper()
	for _, line := range strings.Split(string(must(os.ReadFile(filepath.Join(root, "etc/passwd")))), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 7 && f[0] == "service-connector" {
			return must(strconv.Atoi(f[2])), must(strconv.Atoi(f[3]))
		}
	}
	Fail("no service-connector account in " + root + "/etc/passwd")
	return 0, 0
}

func expectNode(root, rel string, kind, perm fs.FileMode, uid, gid int) {
	GinkgoHelper()
	info, err := os.Lstat(filepath.Join(root, rel))
	Expect(err).NotTo(HaveOccurred())
	st := info.Sys().(*syscall.Stat_t)
	Expect(info.Mode().Type()).To(Equal(kind), rel)
	Expect(info.Mode().Perm()).To(Equal(perm), rel)
	Expect([]int{int(st.Uid), int(st.Gid)}).To(Equal([]int{uid, gid}), rel+" owner")
}

type node struct {
	Mode    fs.FileMode
	UID     uint32
	GID     uint32
	ModTime time.Time
	Content string
}

func snapshot(root string) map[string]node {
	GinkgoHelper()
	tree := map[string]node{}
	Expect(filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		n := node{Mode: info.Mode(), UID: st.Uid, GID: st.Gid, ModTime: info.ModTime()}
		if info.Mode().IsRegular() {
			n.Content = string(must(os.ReadFile(path)))
		}
		tree[path] = n
		return nil
	})).To(Succeed())
	return tree
}

func must[T any](v T, err error) T {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred())
	return v
}
