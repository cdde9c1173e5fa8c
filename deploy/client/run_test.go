package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

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

func (r runner) run(dir string, args ...string) result {
	GinkgoHelper()
	cmd := exec.Command(r.shell, append([]string{scriptPath()}, args...)...)
	if r.openUmask {
		cmd = exec.Command("/bin/sh", append([]string{"-c", `umask 000; exec "$@"`, "sh", r.shell, scriptPath()}, args...)...)
	}
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + r.path, "HOME=" + dir, "TMPDIR=" + GinkgoT().TempDir(), "SC_NOW=2026-01-01T00:00:00Z"}, r.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
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
