package delivery_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

var _ = Describe("DirInstaller", func() {
	var (
		root      string
		installer *delivery.DirInstaller
		ctx       context.Context
	)

	BeforeEach(func() {
		root = filepath.Join(GinkgoT().TempDir(), "var", "homes")
		installer = delivery.NewDirInstaller(root)
		ctx = context.Background()
	})

	DescribeTable("refuses a bad user name without creating anything",
		func(username string) {
			err := installer.Install(ctx, username, validBundle())

			expectSafeError(err, services.EInvalid)
			Expect(root).NotTo(BeADirectory())
		},
		Entry("empty", ""),
		Entry("a path", "../x"),
		Entry("a leading dash", "-x"),
		Entry("uppercase", "Root"),
		Entry("40 characters", strings.Repeat("a", 40)),
	)

	It("refuses an invalid bundle without creating anything", func() {
		b := validBundle()
		b.Env[0].Value = "pk_live_\nEVIL=1"

		err := installer.Install(ctx, "alice", b)

		expectSafeError(err, services.EInvalid, "pk_live_\nEVIL=1")
		Expect(root).NotTo(BeADirectory())
	})

	It("does nothing once the context is done", func() {
		canceled, cancel := context.WithCancel(ctx)
		cancel()

		Expect(installer.Install(canceled, "alice", validBundle())).To(MatchError(context.Canceled))
		Expect(root).NotTo(BeADirectory())
	})

	It("creates the root and the user's directory privately, whatever the umask, and delivers into it", func() {
		Expect(os.Mkdir(filepath.Dir(root), 0o755)).To(Succeed())
		withUmask(0o277)

		Expect(installer.Install(ctx, "alice", validBundle())).To(Succeed())

		home := filepath.Join(root, "alice")
		Expect(lstat(root).Mode()).To(Equal(os.ModeDir | 0o700))
		Expect(lstat(home).Mode()).To(Equal(os.ModeDir | 0o700))
		Expect(readFile(filepath.Join(home, ".service_env"))).To(Equal(string(delivery.RenderServiceEnv(validBundle()))))
		Expect(readFile(filepath.Join(home, ".claude_rules", "sc_invoicing.md"))).To(Equal(validBundle().Skills[1].Content))
	})

	It("delivers the new desired state over an earlier one", func() {
		Expect(installer.Install(ctx, "alice", validBundle())).To(Succeed())
		b := validBundle()
		b.Env, b.Skills = b.Env[1:], b.Skills[1:]

		Expect(installer.Install(ctx, "alice", b)).To(Succeed())

		home := filepath.Join(root, "alice")
		Expect(readFile(filepath.Join(home, ".service_env"))).NotTo(ContainSubstring("PO_API_KEY"))
		Expect(filepath.Join(home, ".claude_rules", "sc_purchase_orders.md")).NotTo(BeAnExistingFile())
	})

	It("refuses a user directory that is a symlink", func() {
		elsewhere := filepath.Join(filepath.Dir(root), "elsewhere")
		Expect(os.MkdirAll(elsewhere, 0o700)).To(Succeed())
		Expect(os.MkdirAll(root, 0o700)).To(Succeed())
		Expect(os.Symlink(elsewhere, filepath.Join(root, "alice"))).To(Succeed())

		err := installer.Install(ctx, "alice", validBundle())

		expectSafeError(err, services.EInvalid)
		Expect(os.ReadDir(elsewhere)).To(BeEmpty())
	})
})
