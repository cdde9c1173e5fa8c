package client_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// freePort asks the kernel for a port nobody listens on.
func freePort() int {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	port := l.Addr().(*net.TCPAddr).Port
	Expect(l.Close()).To(Succeed())
	return port
}

func keygen(path string) {
	GinkgoHelper()
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "spec", "-f", path).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
}

// sshClientConfig writes an ssh config that maps the alias data-analyst to the port, with
// the spec's own key and known_hosts, so nothing of the user's ~/.ssh is used.
func sshClientConfig(dir string, port int, hostPub []byte) string {
	GinkgoHelper()
	u, err := user.Current()
	Expect(err).NotTo(HaveOccurred())
	known := filepath.Join(dir, "known_hosts")
	writeFile(known, fmt.Sprintf("[127.0.0.1]:%d %s", port, hostPub), 0o600)
	cfg := filepath.Join(dir, "ssh_config")
	writeFile(cfg, fmt.Sprintf(`Host data-analyst
  HostName 127.0.0.1
  Port %d
  User %s
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  LogLevel ERROR
`, port, u.Username, filepath.Join(dir, "userkey"), known), 0o600)
	return "SC_SSH_OPTS=-F " + cfg
}

// startSSHD runs a real sshd on 127.0.0.1 whose sessions start in home instead of the
// account's home directory, and returns the environment entry that points the script at it.
func startSSHD(home string) string {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	keygen(filepath.Join(dir, "hostkey"))
	keygen(filepath.Join(dir, "userkey"))
	pub, err := os.ReadFile(filepath.Join(dir, "userkey.pub"))
	Expect(err).NotTo(HaveOccurred())
	writeFile(filepath.Join(dir, "authorized_keys"), string(pub), 0o600)
	hostPub, err := os.ReadFile(filepath.Join(dir, "hostkey.pub"))
	Expect(err).NotTo(HaveOccurred())
	if os.Geteuid() == 0 {
		// sshd running as root insists on its privilege separation directory, which the
		// openssh-server package only creates when its service starts.
		Expect(os.MkdirAll("/run/sshd", 0o755)).To(Succeed())
	}
	port := freePort()
	cfg := filepath.Join(dir, "sshd_config")
	writeFile(cfg, fmt.Sprintf(`ListenAddress 127.0.0.1:%d
HostKey %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile none
ForceCommand cd %s && exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
`, port, filepath.Join(dir, "hostkey"), filepath.Join(dir, "authorized_keys"), home), 0o600)

	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfg)
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	Eventually(func() error {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
		}
		return err
	}).WithTimeout(5 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
	return sshClientConfig(dir, port, hostPub)
}

// unreachableSSH points the alias at a port where nothing listens.
func unreachableSSH() string {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	keygen(filepath.Join(dir, "userkey"))
	return sshClientConfig(dir, freePort(), []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"))
}
