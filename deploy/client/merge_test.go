package client_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const (
	serverEnv = "# Service Connector: keys for the services you connected. Managed by the portal; edits are overwritten.\n" +
		"# purchase_orders expires 2027-11-22T12:00:00Z\nPO_API_KEY=pk_live_abc123\n" +
		"# crm expires 2027-11-22T12:00:00Z\nCRM_API_KEY=crm_key_456\n"
	oldBlock = startMark + "\nOLD_KEY=old_value\n" + endMark + "\n"
)

var serverKeys = []string{"PO_API_KEY=pk_live_abc123", "CRM_API_KEY=crm_key_456"}

// expectServerKeysLoaded checks the block and what python-dotenv makes of the file.
func expectServerKeysLoaded(envPath string) {
	GinkgoHelper()
	got := readFile(envPath)
	Expect(blockKeys(got)).To(Equal(serverKeys))
	info, err := os.Stat(envPath)
	Expect(err).NotTo(HaveOccurred())
	Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	loaded := loadDotenv(envPath, "PO_API_KEY", "CRM_API_KEY", "OLD_KEY")
	Expect(loaded["PO_API_KEY"]).To(HaveValue(Equal("pk_live_abc123")))
	Expect(loaded["CRM_API_KEY"]).To(HaveValue(Equal("crm_key_456")))
	Expect(loaded["OLD_KEY"]).To(BeNil())
}

var _ = Describe("Merging the keys into .env", func() {
	for _, shell := range shells {
		for _, awk := range awks {
			When("run by "+shell+" with "+awk, func() {
				var (
					r       runner
					project string
					server  string
					envPath string
				)

				BeforeEach(func() {
					r = newRunner(shell, awk)
					project = GinkgoT().TempDir()
					server = GinkgoT().TempDir()
					envPath = filepath.Join(project, ".env")
					writeFile(filepath.Join(server, ".service_env"), serverEnv, 0o600)
				})

				DescribeTable("keeps every line of the analyst's own and replaces only the block",
					func(original string, exists bool, wantOutside string) {
						if exists {
							writeFile(envPath, original, 0o644)
						}
						res := r.run(project, "--from-dir", server)
						Expect(res.code).To(Equal(0), res.stderr)
						got := readFile(envPath)
						Expect(outsideBlock(got)).To(Equal(wantOutside))
						expectServerKeysLoaded(envPath)
						Expect(res.stdout + res.stderr).NotTo(ContainSubstring("pk_live_abc123"))
					},
					Entry("an empty .env", "", true, ""),
					Entry("a missing .env", "", false, ""),
					Entry("no trailing newline", "A=1\nB=2", true, "A=1\nB=2\n"),
					Entry("CRLF line ends", "A=1\r\nB=2\r\n", true, "A=1\r\nB=2\r\n"),
					Entry("CRLF with a block in the middle", "A=1\r\n"+startMark+"\r\nOLD_KEY=x\r\n"+endMark+"\r\nB=2\r\n", true, "A=1\r\nB=2\r\n"),
					Entry("comments and blank lines", "# my own secrets\nA=1 # inline\n\n#\n", true, "# my own secrets\nA=1 # inline\n\n#\n"),
					Entry("export lines", "export A=1\nexport  B='two words'\n", true, "export A=1\nexport  B='two words'\n"),
					Entry("quoted values", "A=\"x y\"\nB='z # not a comment'\nC=\"multi\nline\"\n", true, "A=\"x y\"\nB='z # not a comment'\nC=\"multi\nline\"\n"),
					Entry("a line of the analyst's that looks like a synced key", "PO_API_KEY=my_old_one\n", true, "PO_API_KEY=my_old_one\n"),
					Entry("a block in the middle", "A=1\n"+oldBlock+"B=2\n", true, "A=1\nB=2\n"),
					Entry("a block at the start", oldBlock+"A=1\n", true, "A=1\n"),
					Entry("a block at the end", "A=1\n"+oldBlock, true, "A=1\n"),
					Entry("a block at the end without trailing newline", "A=1\n"+startMark+"\nOLD_KEY=x\n"+endMark, true, "A=1\n"),
					Entry("a block in the middle of a file without trailing newline", "A=1\n"+oldBlock+"B=2", true, "A=1\nB=2"),
				)

				DescribeTable("stops on a damaged block and changes nothing",
					func(original, reason string) {
						writeFile(envPath, original, 0o644)
						old := time.Now().Add(-time.Hour).Truncate(time.Second)
						Expect(os.Chtimes(envPath, old, old)).To(Succeed())
						res := r.run(project, "--from-dir", server)
						Expect(res.code).NotTo(Equal(0))
						Expect(res.stderr).To(ContainSubstring("damaged"))
						Expect(res.stderr).To(ContainSubstring(reason))
						Expect(readFile(envPath)).To(Equal(original))
						info, err := os.Stat(envPath)
						Expect(err).NotTo(HaveOccurred())
						Expect(info.ModTime()).To(Equal(old))
						Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o644)))
					},
					Entry("START without END", "A=1\n"+startMark+"\nOLD_KEY=x\nB=2\n", "has no END"),
					Entry("two STARTs", startMark+"\nX=1\n"+startMark+"\nY=2\n"+endMark+"\n", "two START"),
					Entry("END before START", endMark+"\nA=1\n"+startMark+"\n", "before any START"),
					Entry("two ENDs", startMark+"\nX=1\n"+endMark+"\n"+endMark+"\n", "two END"),
				)

				DescribeTable("refuses a .env holding a NUL byte and changes nothing",
					func(original, line string) {
						writeFile(envPath, original, 0o644)
						before := takeSnapshot(project)
						res := r.run(project, "--from-dir", server)
						Expect(res.code).NotTo(Equal(0))
						Expect(res.stderr).To(ContainSubstring("NUL byte on line " + line))
						Expect(res.stderr).To(ContainSubstring("nothing changed"))
						Expect(res.stderr).NotTo(ContainSubstring("s3cret"))
						before.expectUnchanged(project)
					},
					Entry("in a line of the analyst's", "A=1\nDB_PASSWORD=s3\x00cret tail\nB=2\n", "2"),
					Entry("in a last line without a newline", "A=1\nDB_PASSWORD=s3\x00cret", "2"),
					Entry("inside the old block", "A=1\n"+startMark+"\nOLD_KEY=x\x00y\n"+endMark+"\n", "3"),
				)

				It("writes the same bytes and leaves mtimes alone when run a second time", func() {
					writeFile(envPath, "A=1\r\n"+oldBlock+"B=2", 0o644)
					writeFile(filepath.Join(server, ".claude_rules", "sc_crm.md"), "# CRM\n", 0o600)
					Expect(r.run(project, "--from-dir", server).code).To(Equal(0))
					first := readFile(envPath)
					skill := filepath.Join(project, ".claude", "rules", "sc_crm.md")
					old := time.Now().Add(-time.Hour).Truncate(time.Second)
					Expect(os.Chtimes(envPath, old, old)).To(Succeed())
					Expect(os.Chtimes(skill, old, old)).To(Succeed())

					res := r.run(project, "--from-dir", server)
					Expect(res.code).To(Equal(0), res.stderr)
					Expect(readFile(envPath)).To(Equal(first))
					for _, p := range []string{envPath, skill} {
						info, err := os.Stat(p)
						Expect(err).NotTo(HaveOccurred())
						Expect(info.ModTime()).To(Equal(old), p)
					}
				})
			})
		}
	}
})
