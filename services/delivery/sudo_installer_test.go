package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

var _ = Describe("SudoInstaller", func() {
	var (
		dir       string
		sudoPath  string
		installer *delivery.SudoInstaller
	)

	// fakeHelper writes an executable shell script standing in for the root helper.
	fakeHelper := func(body string) string {
		GinkgoHelper()
		path := filepath.Join(dir, "install-service-env")
		Expect(os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755)).To(Succeed())
		return path
	}

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		// The fake sudo records its arguments and environment, insists on -n, then runs the rest.
		sudoPath = filepath.Join(dir, "sudo")
		script := "#!/bin/sh\n" +
			"printf '%s\\n' \"$@\" > " + filepath.Join(dir, "sudo-args") + "\n" +
			"env > " + filepath.Join(dir, "sudo-env") + "\n" +
			"[ \"$1\" = -n ] || { echo 'fake sudo: -n missing' >&2; exit 97; }\n" +
			"shift\nexec \"$@\"\n"
		Expect(os.WriteFile(sudoPath, []byte(script), 0o755)).To(Succeed())
	})

	When("the helper succeeds", func() {
		BeforeEach(func() {
			helper := fakeHelper("cat > " + filepath.Join(dir, "stdin"))
			installer = delivery.NewSudoInstaller(sudoPath, helper, 5*time.Second)
			DeferCleanup(os.Setenv, "SC_SECRET_LEAK", os.Getenv("SC_SECRET_LEAK"))
			Expect(os.Setenv("SC_SECRET_LEAK", "portal-secret-value")).To(Succeed())
		})

		It("runs sudo -n with the helper and the username, and hands over the whole bundle as JSON", func() {
			Expect(installer.Install(context.Background(), "alice", validBundle())).To(Succeed())

			args := readFile(filepath.Join(dir, "sudo-args"))
			Expect(args).To(Equal("-n\n" + filepath.Join(dir, "install-service-env") + "\nalice\n"))
			var got delivery.Bundle
			Expect(json.Unmarshal([]byte(readFile(filepath.Join(dir, "stdin"))), &got)).To(Succeed())
			Expect(got).To(Equal(validBundle()))
		})

		It("does not pass the portal's environment, and its secrets, to sudo", func() {
			Expect(installer.Install(context.Background(), "alice", validBundle())).To(Succeed())

			Expect(readFile(filepath.Join(dir, "sudo-env"))).NotTo(ContainSubstring("portal-secret-value"))
		})
	})

	When("the helper fails", func() {
		BeforeEach(func() {
			helper := fakeHelper("cat > /dev/null\n" +
				"echo 'install-service-env: no account alice' >&2\n" +
				"echo 'a second line that is not carried' >&2\nexit 3")
			installer = delivery.NewSudoInstaller(sudoPath, helper, 5*time.Second)
		})

		It("returns EUnavailable carrying the helper's first stderr line, and no key", func() {
			err := installer.Install(context.Background(), "alice", validBundle())

			expectSafeError(err, services.EUnavailable)
			Expect(err.Error()).To(ContainSubstring("install-service-env: no account alice"))
			Expect(err.Error()).To(ContainSubstring("exit status 3"))
			Expect(err.Error()).NotTo(ContainSubstring("second line"))
		})
	})

	When("the helper floods stderr", func() {
		BeforeEach(func() {
			helper := fakeHelper("cat > /dev/null\nhead -c 100000 /dev/zero | tr '\\0' '#' >&2\nexit 1")
			installer = delivery.NewSudoInstaller(sudoPath, helper, 5*time.Second)
		})

		It("carries at most 512 bytes of it", func() {
			err := installer.Install(context.Background(), "alice", validBundle())

			expectSafeError(err, services.EUnavailable)
			Expect(strings.Count(err.Error(), "#")).To(BeNumerically("<=", 512))
			Expect(err.Error()).To(ContainSubstring(strings.Repeat("#", 512)))
		})
	})

	When("the helper hangs", func() {
		BeforeEach(func() {
			helper := fakeHelper("exec sleep 30")
			installer = delivery.NewSudoInstaller(sudoPath, helper, 300*time.Millisecond)
		})

		It("kills it at the timeout and says so", func() {
			start := time.Now()
			err := installer.Install(context.Background(), "alice", validBundle())

			expectSafeError(err, services.EUnavailable)
			Expect(err.Error()).To(ContainSubstring("timed out after 300ms"))
			Expect(time.Since(start)).To(BeNumerically("<", 3*time.Second))
		})
	})

	When("the caller's context is cancelled", func() {
		BeforeEach(func() {
			installer = delivery.NewSudoInstaller(sudoPath, fakeHelper("exec sleep 30"), time.Minute)
		})

		It("stops the helper promptly", func() {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			DeferCleanup(cancel)
			start := time.Now()

			err := installer.Install(ctx, "alice", validBundle())

			expectSafeError(err, services.EUnavailable)
			Expect(errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "signal")).To(BeTrue(), err.Error())
			Expect(time.Since(start)).To(BeNumerically("<", 3*time.Second))
		})
	})

	Describe("refusing before anything runs", func() {
		BeforeEach(func() {
			installer = delivery.NewSudoInstaller(sudoPath, fakeHelper("cat > /dev/null"), 5*time.Second)
		})

		DescribeTable("a bad username",
			func(username string) {
				err := installer.Install(context.Background(), username, validBundle())

				expectSafeError(err, services.EInvalid)
				Expect(filepath.Join(dir, "sudo-args")).NotTo(BeAnExistingFile())
			},
			Entry("empty", ""),
			Entry("a path", "../x"),
			Entry("an option", "-x"),
			Entry("with a space", "alice bob"),
			Entry("upper case", "Alice"),
			Entry("40 characters", strings.Repeat("a", 40)),
		)

		It("refuses an invalid bundle", func() {
			b := validBundle()
			b.Skills[0].Name = "../sc_x.md"

			expectSafeError(installer.Install(context.Background(), "alice", b), services.EInvalid)
			Expect(filepath.Join(dir, "sudo-args")).NotTo(BeAnExistingFile())
		})

		It("refuses relative paths for sudo or the helper", func() {
			relative := delivery.NewSudoInstaller("sudo", filepath.Join(dir, "install-service-env"), time.Second)

			expectSafeError(relative.Install(context.Background(), "alice", validBundle()), services.EUnavailable)
			Expect(filepath.Join(dir, "sudo-args")).NotTo(BeAnExistingFile())
		})
	})
})
