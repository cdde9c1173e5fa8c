package client_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
)

// Keys chosen to catch a masker that treats them as patterns (dots, plus signs) or that
// masks a key inside a longer one by its shorter prefix.
var (
	bigKey  = strings.Repeat("Ab0.", 1024)
	runKeys = map[string]string{
		"PO_API_KEY":  "pk_live_abc123",
		"LONG_KEY":    "pk_live_abc123XYZ",
		"DOTS_KEY":    "........",
		"META_KEY":    "a.b+c/d=e:f~g-h:x",
		"BIG_API_KEY": bigKey,
		// A key of 40 characters, as services hand out, for the parts of a key a command prints.
		"LIVE_API_KEY": liveKey,
	}
)

const liveKey = "sk_9fQ2vL7xR4mZ8bT1nW6cY3hJ5dK0pG2sA7eU"

func scRunPath() string {
	GinkgoHelper()
	p, err := filepath.Abs("sc-run")
	Expect(err).NotTo(HaveOccurred())
	return p
}

// runKeysBlock is a .env block holding runKeys, as the sync writes it.
func runKeysBlock() string {
	var b strings.Builder
	b.WriteString(startMark + "\n# purchase_orders expires 2027-11-22T12:00:00Z\n")
	for _, name := range []string{"PO_API_KEY", "LONG_KEY", "DOTS_KEY", "META_KEY", "BIG_API_KEY", "LIVE_API_KEY"} {
		b.WriteString(name + "=" + runKeys[name] + "\n")
	}
	b.WriteString(endMark + "\n")
	return b.String()
}

// expectNoKey fails when any key value shows in the output.
func expectNoKey(out string) {
	GinkgoHelper()
	for name, v := range runKeys {
		Expect(out).NotTo(ContainSubstring(v), name)
	}
}

// python runs a Python snippet with Debian's python3.
func python(code string) []string { return []string{"/usr/bin/python3", "-c", code} }

var _ = Describe("sc-run", func() {
	for _, shell := range shells {
		for _, awk := range awks {
			When("run by "+shell+" with "+awk, func() {
				var (
					r       runner
					project string
				)

				BeforeEach(func() {
					r = newRunner(shell, awk)
					project = GinkgoT().TempDir()
					writeFile(filepath.Join(project, ".env"), "# mine\nDB_PASSWORD=s3cret\n"+runKeysBlock(), 0o600)
				})

				scRun := func(stdin string, command ...string) result {
					GinkgoHelper()
					var in []byte
					if stdin != "" {
						in = []byte(stdin)
					}
					return r.runScript(scRunPath(), project, in, append([]string{"--"}, command...)...)
				}

				DescribeTable("replaces every key value in the output by its name, keeping stdout and stderr apart",
					func(command []string, stdout, stderr types.GomegaMatcher) {
						res := scRun("", command...)
						Expect(res.code).To(Equal(0), res.stderr)
						Expect(res.stdout).To(stdout)
						Expect(res.stderr).To(stderr)
						expectNoKey(res.stdout + res.stderr)
					},
					Entry("a key printed plainly", []string{"sh", "-c", `printf '%s\n' "$PO_API_KEY"`},
						Equal("<PO_API_KEY>\n"), BeEmpty()),
					Entry("a key inside JSON", python(`import json, os; print(json.dumps({"key": os.environ["PO_API_KEY"], "meta": os.environ["META_KEY"]}))`),
						Equal(`{"key": "<PO_API_KEY>", "meta": "<META_KEY>"}`+"\n"), BeEmpty()),
					Entry("every key printed by env", []string{"env"},
						SatisfyAll(ContainSubstring("PO_API_KEY=<PO_API_KEY>\n"), ContainSubstring("LONG_KEY=<LONG_KEY>\n"),
							ContainSubstring("DOTS_KEY=<DOTS_KEY>\n"), ContainSubstring("META_KEY=<META_KEY>\n"), ContainSubstring("BIG_API_KEY=<BIG_API_KEY>\n")),
						BeEmpty()),
					Entry("a key on stderr", []string{"sh", "-c", `printf 'oops %s\n' "$PO_API_KEY" >&2`},
						BeEmpty(), Equal("oops <PO_API_KEY>\n")),
					Entry("keys on both streams", []string{"sh", "-c", `echo "out $PO_API_KEY"; echo "err $META_KEY" >&2; echo "out again"`},
						Equal("out <PO_API_KEY>\nout again\n"), Equal("err <META_KEY>\n")),
					Entry("a key split across writes", python(`import os, sys, time
k = os.environ["PO_API_KEY"]
sys.stdout.write("key=" + k[:5]); sys.stdout.flush(); time.sleep(0.3)
sys.stdout.write(k[5:] + " done\n"); sys.stdout.flush()
sys.stderr.write(k[:3]); sys.stderr.flush(); time.sleep(0.3); sys.stderr.write(k[3:] + "\n")`),
						Equal("key=<PO_API_KEY> done\n"), Equal("<PO_API_KEY>\n")),
					Entry("a key that holds another key", []string{"sh", "-c", `echo "$LONG_KEY $PO_API_KEY"`},
						Equal("<LONG_KEY> <PO_API_KEY>\n"), BeEmpty()),
					Entry("a key twice amid text", []string{"sh", "-c", `echo "a${PO_API_KEY}b${PO_API_KEY}c"`},
						Equal("a<PO_API_KEY>b<PO_API_KEY>c\n"), BeEmpty()),
					// aXb+c/d=e:f~g-h:x would match META_KEY as a pattern; it is masked all the
					// same from b on, as 15 characters of the key itself.
					Entry("keys of pattern characters, and text they would match as patterns",
						[]string{"sh", "-c", `printf '%s\n' "$DOTS_KEY" abcdefgh "$META_KEY" aXb+c/d=e:f~g-h:x "x${DOTS_KEY}y"`},
						Equal("<DOTS_KEY>\nabcdefgh\n<META_KEY>\naX<META_KEY>\nx<DOTS_KEY>y\n"), BeEmpty()),
					Entry("a key of 4096 characters", []string{"sh", "-c", `echo "[$BIG_API_KEY]"`},
						Equal("[<BIG_API_KEY>]\n"), BeEmpty()),
					Entry("blank lines", []string{"printf", `\n\nx\n\n`}, Equal("\n\nx\n\n"), BeEmpty()),
					Entry("no output", []string{"true"}, BeEmpty(), BeEmpty()),
					Entry("a last line without a newline, which gets one", []string{"sh", "-c", `printf '%s' "$PO_API_KEY"`},
						Equal("<PO_API_KEY>\n"), BeEmpty()),
				)

				// An agent shows a key is loaded by printing its start; a log cuts one short;
				// fold or a narrow column splits it over lines.
				DescribeTable("masks a part of a key the command prints",
					func(code, stdout string) {
						res := scRun("", python(`import os; k = os.environ["LIVE_API_KEY"]; `+code)...)
						Expect(res.code).To(Equal(0), res.stderr)
						Expect(res.stdout).To(Equal(stdout))
						for n := 8; n <= len(liveKey); n++ {
							Expect(res.stdout).NotTo(ContainSubstring(liveKey[:n]))
							Expect(res.stdout).NotTo(ContainSubstring(liveKey[len(liveKey)-n:]))
						}
					},
					Entry("its first 8 characters", `print("key loaded: " + k[:8] + "...")`, "key loaded: <LIVE_API_KEY>...\n"),
					Entry("its first 20 characters", `print(k[:20])`, "<LIVE_API_KEY>\n"),
					Entry("its last 8 characters", `print("ends in " + k[-8:])`, "ends in <LIVE_API_KEY>\n"),
					Entry("15 characters from within", `print("[" + k[11:26] + "]")`, "[<LIVE_API_KEY>]\n"),
					Entry("all of it, split over two lines", `print(k[:17]); print(k[17:])`, "<LIVE_API_KEY>\n<LIVE_API_KEY>\n"),
					Entry("all of it, then its start again", `print(k + k[:10])`, "<LIVE_API_KEY><LIVE_API_KEY>\n"),
					Entry("too little of it to matter: 4 characters at each end", `print(k[:4], k[-4:])`, "sk_9 A7eU\n"),
				)

				It("gives the command the keys themselves", func() {
					res := scRun("", "sh", "-c", `test "$PO_API_KEY" = pk_live_abc123 && test "$BIG_API_KEY" = "`+bigKey+`" && echo same`)
					Expect(res.code).To(Equal(0), res.stderr)
					Expect(res.stdout).To(Equal("same\n"))
				})

				DescribeTable("exits with the command's status",
					func(command []string, code int) {
						writeFile(filepath.Join(project, "not-executable"), "#!/bin/sh\n", 0o644)
						res := scRun("", command...)
						Expect(res.code).To(Equal(code), res.stderr)
					},
					Entry("success", []string{"true"}, 0),
					Entry("failure", []string{"false"}, 1),
					Entry("exit 3", []string{"sh", "-c", "exit 3"}, 3),
					Entry("exit 255", []string{"sh", "-c", "exit 255"}, 255),
					Entry("killed by SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 143),
					Entry("killed by SIGKILL", []string{"sh", "-c", "kill -KILL $$"}, 137),
					Entry("a command that is not there", []string{"no-such-command-here"}, 127),
					Entry("a file that is not executable", []string{"./not-executable"}, 126),
					Entry("a name sc-run uses for its own functions", []string{"mask"}, 127),
				)

				It("passes stdin through, masking a key the command echoes", func() {
					res := scRun("hello\nmy key is pk_live_abc123\n", "cat")
					Expect(res.code).To(Equal(0), res.stderr)
					Expect(res.stdout).To(Equal("hello\nmy key is <PO_API_KEY>\n"))
					res = scRun("first\nsecond\n", "sh", "-c", `read a; read b; echo "$b then $a"`)
					Expect(res.stdout).To(Equal("second then first\n"))
				})

				It("shows each line as it comes, not when the command ends", func() {
					ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
					defer cancel()
					cmd := boundedCommand(ctx, r.shell, scRunPath(), "--", "sh", "-c",
						`echo "first $PO_API_KEY"; echo "err $PO_API_KEY" >&2; i=0; while [ ! -e go ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; echo second`)
					cmd.Dir = project
					cmd.Env = []string{"PATH=" + r.path, "HOME=" + project}
					stdout, err := cmd.StdoutPipe()
					Expect(err).NotTo(HaveOccurred())
					stderr, err := cmd.StderrPipe()
					Expect(err).NotTo(HaveOccurred())
					Expect(cmd.Start()).To(Succeed())
					outLines, errLines := lines(stdout), lines(stderr)
					Eventually(outLines).WithTimeout(5 * time.Second).Should(Receive(Equal("first <PO_API_KEY>")))
					Eventually(errLines).WithTimeout(5 * time.Second).Should(Receive(Equal("err <PO_API_KEY>")))
					Expect(filepath.Join(project, "go")).NotTo(BeAnExistingFile(), "the command is still waiting")
					writeFile(filepath.Join(project, "go"), "", 0o600)
					Eventually(outLines).WithTimeout(5 * time.Second).Should(Receive(Equal("second")))
					Expect(cmd.Wait()).To(Succeed())
				})

				It("lets Ctrl-C reach the command and still masks what it prints as it stops", func() {
					ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
					defer cancel()
					cmd := boundedCommand(ctx, r.shell, append([]string{scRunPath(), "--"}, python(`import os, sys, time
try:
    print("started", flush=True); time.sleep(20)
except KeyboardInterrupt:
    print("stopping with", os.environ["PO_API_KEY"], flush=True)
    sys.stderr.write("bye " + os.environ["PO_API_KEY"] + "\n")
    sys.exit(7)`)...)...)
					cmd.Dir = project
					cmd.Env = []string{"PATH=" + r.path, "HOME=" + project}
					stdout, err := cmd.StdoutPipe()
					Expect(err).NotTo(HaveOccurred())
					var errOut strings.Builder
					cmd.Stderr = &errOut
					Expect(cmd.Start()).To(Succeed())
					outLines := lines(stdout)
					Eventually(outLines).WithTimeout(5 * time.Second).Should(Receive(Equal("started")))
					// The terminal sends SIGINT to the whole foreground process group.
					Expect(syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)).To(Succeed())
					Eventually(outLines).WithTimeout(5 * time.Second).Should(Receive(Equal("stopping with <PO_API_KEY>")))
					err = cmd.Wait()
					var exitErr *exec.ExitError
					Expect(errors.As(err, &exitErr)).To(BeTrue(), "%v", err)
					Expect(exitErr.ExitCode()).To(Equal(7))
					Expect(errOut.String()).To(Equal("bye <PO_API_KEY>\n"))
				})

				It("hands the command no descriptor of its caller's beyond stdin, stdout and stderr", func() {
					ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
					defer cancel()
					cmd := boundedCommand(ctx, r.shell, scRunPath(), "--", "sh", "-c",
						`for fd in 3 4 5 6 7 8 9; do eval "printf '%s\n' \"\$PO_API_KEY\" >&$fd" 2>/dev/null; done; echo done`)
					cmd.Dir = project
					cmd.Env = []string{"PATH=" + r.path, "HOME=" + project}
					var extra []*os.File
					var readers []*os.File
					for range 7 {
						pr, pw, err := os.Pipe()
						Expect(err).NotTo(HaveOccurred())
						extra, readers = append(extra, pw), append(readers, pr)
					}
					cmd.ExtraFiles = extra
					out, err := cmd.Output()
					Expect(err).NotTo(HaveOccurred())
					Expect(string(out)).To(Equal("done\n"))
					for i, pw := range extra {
						pw.Close()
						leaked, err := io.ReadAll(readers[i])
						Expect(err).NotTo(HaveOccurred())
						Expect(string(leaked)).To(BeEmpty(), "fd %d", i+3)
					}
				})

				It("finds the .env of the project from a subdirectory", func() {
					sub := filepath.Join(project, "notebooks", "2027")
					Expect(os.MkdirAll(sub, 0o700)).To(Succeed())
					res := r.runScript(scRunPath(), sub, nil, "--", "sh", "-c", `echo "$PO_API_KEY"`)
					Expect(res.code).To(Equal(0), res.stderr)
					Expect(res.stdout).To(Equal("<PO_API_KEY>\n"))
				})

				It("reads the keys from the file the .env block points at", func() {
					keys := filepath.Join(GinkgoT().TempDir(), "keys")
					writeFile(keys, keysHeader+strings.TrimSuffix(strings.TrimPrefix(runKeysBlock(), startMark+"\n"), endMark+"\n"), 0o600)
					writeFile(filepath.Join(project, ".env"), "A=1\n"+startMark+"\n# in a file\nSC_KEYS_FILE="+keys+"\n"+endMark+"\n", 0o600)
					res := scRun("", "sh", "-c", `echo "$PO_API_KEY $META_KEY"; test "$PO_API_KEY" = pk_live_abc123 && echo same`)
					Expect(res.code).To(Equal(0), res.stderr)
					Expect(res.stdout).To(Equal("<PO_API_KEY> <META_KEY>\nsame\n"))
					res = r.runScript(scRunPath(), GinkgoT().TempDir(), nil, "--keys-file", keys, "--", "sh", "-c", `echo "$PO_API_KEY"`)
					Expect(res.stdout).To(Equal("<PO_API_KEY>\n"), res.stderr)
				})
			})
		}
	}

	When("it cannot run the command with the keys", func() {
		var (
			r       runner
			project string
		)

		BeforeEach(func() {
			r = newRunner("/usr/bin/dash", "original-awk")
			project = GinkgoT().TempDir()
		})

		DescribeTable("says why, exits 125 and does not run the command",
			func(env *string, args []string, reason string) {
				if env != nil {
					writeFile(filepath.Join(project, ".env"), *env, 0o600)
				}
				res := r.runScript(scRunPath(), project, nil, append(args, "--", "touch", "ran")...)
				Expect(res.code).To(Equal(125))
				Expect(res.stderr).To(HavePrefix("sc-run: "))
				Expect(res.stderr).To(ContainSubstring(reason))
				expectNoKey(res.stderr)
				Expect(filepath.Join(project, "ran")).NotTo(BeAnExistingFile())
			},
			Entry("no .env", nil, nil, "no .env here"),
			Entry("a .env without a block", ptr("A=1\n"), nil, "no Service Connector block"),
			Entry("an empty block", ptr(startMark+"\n"+endMark+"\n"), nil, "no Service Connector keys"),
			Entry("a block without an END", ptr(startMark+"\nPO_API_KEY=pk_live_abc123\n"), nil, "no END marker"),
			Entry("an END before the START", ptr(endMark+"\n"+startMark+"\nPO_API_KEY=pk_live_abc123\n"+endMark+"\n"), nil, "damaged"),
			Entry("a reserved name written into the block by hand", ptr(startMark+"\nLD_PRELOAD=/tmp/evil.so\n"+endMark+"\n"), nil, "sets LD_PRELOAD"),
			Entry("a value that is not a key", ptr(startMark+"\nPO_API_KEY=short\n"+endMark+"\n"), nil, "line 2 of"),
			Entry("a key twice", ptr(startMark+"\nPO_API_KEY=pk_live_abc123\nPO_API_KEY=pk_live_abc123\n"+endMark+"\n"), nil, "appears twice"),
			Entry("a keys file that is missing", ptr(startMark+"\nSC_KEYS_FILE=/nonexistent/keys\n"+endMark+"\n"), nil, "/nonexistent/keys is not a regular file"),
			Entry("an unknown option", ptr(startMark+"\nPO_API_KEY=pk_live_abc123\n"+endMark+"\n"), []string{"--frobnicate"}, "unknown option"),
		)

		// bash keeps these names for itself: exported under one of them a key never reaches
		// the command, and the masker, reading an empty or changed value, would loop forever
		// (an empty value is found everywhere) or mask the wrong text.
		DescribeTable("refuses a key under a name the shell keeps for itself, without hanging",
			func(name string) {
				for _, shell := range shells {
					sr := newRunner(shell, "mawk")
					writeFile(filepath.Join(project, ".env"), startMark+"\n"+name+"=pk_live_abc123\n"+endMark+"\n", 0o600)
					res := sr.runScript(scRunPath(), project, nil, "--", "touch", "ran")
					Expect(res.code).To(Equal(125), "%s: %s", shell, res.stderr)
					Expect(res.stderr).To(ContainSubstring(name))
					expectNoKey(res.stdout + res.stderr)
					Expect(filepath.Join(project, "ran")).NotTo(BeAnExistingFile())
				}
			},
			Entry(nil, "GROUPS"),
			Entry(nil, "FUNCNAME"),
			Entry(nil, "DIRSTACK"),
			Entry(nil, "BASH_SOURCE"),
			Entry(nil, "SECONDS"),
			Entry(nil, "RANDOM"),
			Entry(nil, "UID"),
		)

		// sc-run looks for .env in the parent directories too: a /tmp/.env of another account's
		// must not choose the variables of a command run in /tmp/scratch.
		DescribeTable("refuses keys from a file another account owns or can write, and does not run the command",
			func(keysFile bool, shape func(path string), reason string) {
				path := filepath.Join(project, ".env")
				block := startMark + "\nPO_API_KEY=pk_live_abc123\n" + endMark + "\n"
				args := []string{}
				if keysFile {
					path = filepath.Join(GinkgoT().TempDir(), "keys")
					block = keysHeader + "PO_API_KEY=pk_live_abc123\n"
					args = []string{"--keys-file", path}
				}
				writeFile(path, block, 0o600)
				shape(path)
				sub := filepath.Join(project, "scratch")
				Expect(os.MkdirAll(sub, 0o755)).To(Succeed())
				res := r.runScript(scRunPath(), sub, nil, append(args, "--", "touch", "ran")...)
				Expect(res.code).To(Equal(125), res.stderr)
				Expect(res.stderr).To(ContainSubstring(path))
				Expect(res.stderr).To(ContainSubstring(reason))
				Expect(filepath.Join(sub, "ran")).NotTo(BeAnExistingFile())
			},
			Entry("a parent's .env of another account", false, func(p string) { Expect(os.Chown(p, 65534, 65534)).To(Succeed()) }, "belongs to another account"),
			Entry("a parent's .env anyone may write", false, func(p string) { Expect(os.Chmod(p, 0o666)).To(Succeed()) }, "other accounts can write"),
			Entry("a parent's .env its group may write", false, func(p string) { Expect(os.Chmod(p, 0o620)).To(Succeed()) }, "other accounts can write"),
			Entry("a keys file of another account", true, func(p string) { Expect(os.Chown(p, 65534, 65534)).To(Succeed()) }, "belongs to another account"),
			Entry("a keys file anyone may write", true, func(p string) { Expect(os.Chmod(p, 0o606)).To(Succeed()) }, "other accounts can write"),
		)

		It("refuses such a name by checking the environment, even one missing from its list", func() {
			// A copy of sc-run whose list lacks GROUPS and BASH*, as a shell's new name would be.
			script := filepath.Join(GinkgoT().TempDir(), "sc-run")
			var kept []string
			for _, line := range strings.Split(readFile(scRunPath()), "\n") {
				if line != "GROUPS" && line != "BASH*" {
					kept = append(kept, line)
				}
			}
			writeFile(script, strings.Join(kept, "\n"), 0o755)
			for _, name := range []string{"GROUPS", "BASH_SOURCE"} {
				writeFile(filepath.Join(project, ".env"), startMark+"\n"+name+"=pk_live_abc123\n"+endMark+"\n", 0o600)
				res := newRunner("/bin/bash", "gawk").runScript(script, project, nil, "--", "touch", "ran")
				Expect(res.code).To(Equal(125), res.stderr)
				Expect(res.stderr).To(ContainSubstring("keeps the name " + name + " for itself"))
				Expect(filepath.Join(project, "ran")).NotTo(BeAnExistingFile())
			}
		})

		It("prints its usage with --help", func() {
			res := r.runScript(scRunPath(), project, nil, "--help")
			Expect(res.code).To(Equal(0))
			Expect(res.stdout).To(ContainSubstring("sc-run [--env FILE | --keys-file FILE] [--] COMMAND"))
			Expect(res.stdout).To(ContainSubstring("not masked"))
		})
	})
})

// lines delivers what r prints, line by line, as it comes.
func lines(r io.Reader) chan string {
	ch := make(chan string, 16)
	go func() {
		defer GinkgoRecover()
		s := bufio.NewScanner(r)
		for s.Scan() {
			ch <- s.Text()
		}
		close(ch)
	}()
	return ch
}
