package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/service-connector/service-connector/services"
)

// maxHelperMessage bounds the stderr line carried into an error, so a runaway helper cannot
// fill the log.
const maxHelperMessage = 512

// SudoInstaller delivers bundles through the root helper: `sudo -n HELPER USERNAME` with the
// bundle on standard input. The helper does the writing, as the user; this only hands over.
type SudoInstaller struct {
	sudoPath   string
	helperPath string
	timeout    time.Duration
}

// NewSudoInstaller returns an installer that runs helperPath through sudoPath (both
// absolute) and gives each delivery at most timeout.
func NewSudoInstaller(sudoPath, helperPath string, timeout time.Duration) *SudoInstaller {
	return &SudoInstaller{sudoPath: sudoPath, helperPath: helperPath, timeout: timeout}
}

// Install hands b to the helper for username and waits for it. A bad username or bundle is
// refused before anything runs. When the helper fails, the error is EUnavailable and its
// cause carries the helper's one stderr line, which never holds a key.
func (s *SudoInstaller) Install(ctx context.Context, username string, b Bundle) error {
	if !services.ValidUsername(username) {
		return services.Errorf(services.EInvalid, "%q is not a valid user name", username)
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if !filepath.IsAbs(s.sudoPath) || !filepath.IsAbs(s.helperPath) {
		return services.Errorf(services.EUnavailable, "Delivery is not configured: sudo and the helper need absolute paths")
	}
	input, err := json.Marshal(b)
	if err != nil {
		return services.Wrap(services.EInternal, err, "Could not prepare your delivery")
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// -n: never wait for a password prompt; the sudoers rule must allow the call outright.
	cmd := exec.CommandContext(ctx, s.sudoPath, "-n", s.helperPath, username)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	cmd.Stdin = bytes.NewReader(input)
	stderr := &boundedBuffer{limit: maxHelperMessage}
	cmd.Stderr = stderr
	// SIGTERM first, which sudo relays to the helper; SIGKILL and closed pipes a second later.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if err == nil {
		return nil
	}
	cause := fmt.Errorf("run %s %s for %s: %w", s.sudoPath, s.helperPath, username, err)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		cause = fmt.Errorf("run %s for %s: timed out after %s: %w", s.helperPath, username, s.timeout, err)
	}
	if line := firstLine(stderr.String()); line != "" {
		cause = fmt.Errorf("%w: %s", cause, line)
	}
	return services.Wrap(services.EUnavailable, cause, "Could not deliver your keys to your account")
}

// boundedBuffer keeps the first limit bytes written and quietly drops the rest, so the
// helper never blocks on a full pipe.
type boundedBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *boundedBuffer) String() string { return b.buf.String() }

// firstLine returns the first non-empty line, printable characters only.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, line))
		if line != "" {
			return line
		}
	}
	return ""
}
