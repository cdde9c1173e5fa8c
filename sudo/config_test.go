package main_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const helperConf = "/etc/service-connector/helper.conf"

// The helper reads its config from a fixed root-owned path, so these specs change the
// machine's file: Serial keeps every other spec from running meanwhile, and the original
// (usually no file at all) is put back afterwards.
var _ = Describe("the root-owned config file", Serial, func() {
	var acct account

	// useConfig installs content as the helper's config with the given owner and mode.
	useConfig := func(content string, uid int, perm fs.FileMode) {
		GinkgoHelper()
		Expect(os.WriteFile(helperConf, []byte(content), perm)).To(Succeed())
		Expect(os.Chmod(helperConf, perm)).To(Succeed())
		Expect(os.Chown(helperConf, uid, 0)).To(Succeed())
	}

	BeforeEach(func() {
		acct = newAccount()
		dir := filepath.Dir(helperConf)
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			Expect(os.Mkdir(dir, 0o755)).To(Succeed())
			DeferCleanup(os.Remove, dir)
		}
		original, err := os.ReadFile(helperConf)
		if errors.Is(err, fs.ErrNotExist) {
			DeferCleanup(os.Remove, helperConf)
		} else {
			Expect(err).NotTo(HaveOccurred())
			info, err := os.Stat(helperConf)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(func() {
				Expect(os.WriteFile(helperConf, original, info.Mode().Perm())).To(Succeed())
				Expect(os.Chmod(helperConf, info.Mode().Perm())).To(Succeed())
			})
		}
	})

	It("raises the minimum uid when root wrote it", func() {
		useConfig("# stricter than the build\nmin_uid = 60001\n", 0, 0o644)
		before := snapshot(acct.Home)

		session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

		expectRefused(session)
		Expect(string(session.Err.Contents())).To(ContainSubstring("below the minimum 60001"))
		Expect(snapshot(acct.Home)).To(Equal(before))
	})

	It("still delivers when the account is above the configured minimum", func() {
		useConfig("min_uid = 2000\n", 0, 0o600)

		session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

		Expect(session.ExitCode()).To(Equal(0), "stderr: %s", session.Err.Contents())
		Expect(filepath.Join(acct.Home, ".service_env")).To(BeARegularFile())
	})

	DescribeTable("is refused, and so is the delivery, when it cannot be trusted",
		func(content string, owner func(account) int, perm fs.FileMode, reason string) {
			useConfig(content, owner(acct), perm)
			before := snapshot(acct.Home)

			session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

			expectRefused(session)
			Expect(string(session.Err.Contents())).To(ContainSubstring(reason))
			Expect(snapshot(acct.Home)).To(Equal(before))
		},
		Entry("writable by its group", "min_uid = 1\n", rootUID, fs.FileMode(0o664), "writable by no one else"),
		Entry("writable by anyone", "min_uid = 1\n", rootUID, fs.FileMode(0o666), "writable by no one else"),
		Entry("owned by the account", "min_uid = 1\n", accountUID, fs.FileMode(0o644), "owned by root"),
		Entry("with an unknown setting", "max_uid = 1\n", rootUID, fs.FileMode(0o644), "only min_uid"),
		Entry("with a non-numeric minimum", "min_uid = many\n", rootUID, fs.FileMode(0o644), "positive number"),
	)
})

func rootUID(account) int      { return 0 }
func accountUID(a account) int { return a.UID }
