package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const (
	startMark = "# --- SERVICE CONNECTOR START ---"
	endMark   = "# --- SERVICE CONNECTOR END ---"
)

// shells and awks are the interpreters the script must work under; original-awk stands in
// for the one-true-awk that macOS ships.
var (
	shells = []string{"/usr/bin/dash", "/bin/bash"}
	awks   = []string{"mawk", "gawk", "original-awk"}
)

// result is what one run of the script left behind.
type result struct {
	code   int
	stdout string
	stderr string
}

// runner runs the real script with a chosen shell and awk first in PATH.
type runner struct {
	shell string
	path  string
	env   []string
	// openUmask runs the script with umask 000, to show its files are private anyway.
	openUmask bool
}

func scriptPath() string {
	GinkgoHelper()
	p, err := filepath.Abs("sync-service-env.sh")
	Expect(err).NotTo(HaveOccurred())
	return p
}

// newRunner puts a bin dir holding only an `awk` symlink to the chosen awk ahead of PATH,
// so the script cannot silently pick another one.
func newRunner(shell, awk string) runner {
	GinkgoHelper()
	bin := GinkgoT().TempDir()
	target, err := exec.LookPath(awk)
	Expect(err).NotTo(HaveOccurred())
	Expect(os.Symlink(target, filepath.Join(bin, "awk"))).To(Succeed())
	return runner{shell: shell, path: bin + string(os.PathListSeparator) + os.Getenv("PATH")}
}

// runTimeout bounds every run of a script: a run that hangs (reading a FIFO, say) fails
// its spec instead of the suite.
const runTimeout = 30 * time.Second

// boundedCommand is a command in its own process group that ctx ends by killing the whole
// group: a hung run leaves children (cat on a FIFO, ssh) behind otherwise.
func boundedCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	return cmd
}

func (r runner) run(dir string, args ...string) result {
	GinkgoHelper()
	return r.runScript(scriptPath(), dir, nil, args...)
}

// runScript runs script with the runner's shell in dir, feeding it stdin when not nil.
func (r runner) runScript(script, dir string, stdin []byte, args ...string) result {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := boundedCommand(ctx, r.shell, append([]string{script}, args...)...)
	if r.openUmask {
		cmd = boundedCommand(ctx, "/bin/sh", append([]string{"-c", `umask 000; exec "$@"`, "sh", r.shell, script}, args...)...)
	}
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + r.path, "HOME=" + dir, "TMPDIR=" + GinkgoT().TempDir(), "SC_NOW=2026-01-01T00:00:00Z"}, r.env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	Expect(ctx.Err()).NotTo(HaveOccurred(), "%s %v did not finish within %s; stderr: %s", script, args, runTimeout, errOut.String())
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else {
		Expect(err).NotTo(HaveOccurred())
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// outsideBlock is the file with the marker block, markers included, cut out.
func outsideBlock(content string) string {
	GinkgoHelper()
	lines := strings.SplitAfter(content, "\n")
	var b strings.Builder
	in := false
	for _, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		switch {
		case t == startMark:
			in = true
		case t == endMark:
			in = false
		case !in:
			b.WriteString(l)
		}
	}
	return b.String()
}

// blockKeys is the NAME=value lines inside the block, without line ends.
func blockKeys(content string) []string {
	GinkgoHelper()
	var keys []string
	in := false
	for _, l := range strings.Split(content, "\n") {
		t := strings.TrimRight(l, "\r")
		switch {
		case t == startMark:
			in = true
		case t == endMark:
			in = false
		case in && t != "" && !strings.HasPrefix(t, "#"):
			keys = append(keys, t)
		}
	}
	return keys
}

// loadDotenv loads the file the way analysts do, with Debian's python-dotenv (not whatever
// python3 comes first in PATH), and returns the values of the asked names.
func loadDotenv(path string, names ...string) map[string]*string {
	GinkgoHelper()
	script := "import json, os, sys\nfrom dotenv import load_dotenv\nload_dotenv(sys.argv[1])\n" +
		"print(json.dumps({k: os.environ.get(k) for k in sys.argv[2:]}))\n"
	cmd := exec.Command("/usr/bin/python3", append([]string{"-c", script, path}, names...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.Output()
	Expect(err).NotTo(HaveOccurred(), "python-dotenv could not load %s", path)
	got := map[string]*string{}
	Expect(json.Unmarshal(out, &got)).To(Succeed())
	return got
}

func writeFile(path, content string, mode os.FileMode) {
	GinkgoHelper()
	Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
	Expect(os.WriteFile(path, []byte(content), mode)).To(Succeed())
}

func readFile(path string) string {
	GinkgoHelper()
	b, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// entry is what a snapshot keeps of one path.
type entry struct {
	mode    os.FileMode
	modTime time.Time
	content string
}

// snapshot is every path under a directory, so a spec can say a run changed nothing at all.
type snapshot map[string]entry

// takeSnapshot records dir's tree after pushing every mtime an hour back, so a rewrite
// with the same bytes still shows.
func takeSnapshot(dir string) snapshot {
	GinkgoHelper()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	Expect(filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode()&os.ModeSymlink == 0 && p != dir {
			err = os.Chtimes(p, old, old)
		}
		return err
	})).To(Succeed())
	return walkTree(dir)
}

// walkTree is dir's tree as it is now: modes, mtimes, file bytes and link targets. The
// top directory's mtime is left out: the specs' HOME is there.
func walkTree(dir string) snapshot {
	GinkgoHelper()
	s := snapshot{}
	Expect(filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		e := entry{mode: info.Mode(), modTime: info.ModTime()}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			e.content, e.modTime = target, time.Time{}
		case info.Mode().IsRegular():
			e.content = readFile(p)
		case p == dir:
			e.modTime = time.Time{}
		}
		s[p] = e
		return nil
	})).To(Succeed())
	return s
}

// expectUnchanged fails unless dir holds exactly the paths, modes, mtimes and bytes it held.
func (s snapshot) expectUnchanged(dir string) {
	GinkgoHelper()
	Expect(walkTree(dir)).To(Equal(s))
}
