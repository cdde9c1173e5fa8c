// Package storetest runs the store's specs against real databases: SQLite in a temp dir, and
// a throwaway PostgreSQL cluster (initdb, then postgres as a child process) in a temp dir,
// reached on a unix socket only, with a fresh database per spec.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// postgresBinDirs is where Debian installs PostgreSQL's server binaries, one dir per major
// version.
const postgresBinDirs = "/usr/lib/postgresql/*/bin"

// Cluster is a throwaway PostgreSQL server. Its data and socket live in one temp dir, which
// Stop removes; the server is this process's child and dies with it (SIGKILL included), so
// a killed spec run leaves no server behind.
type Cluster struct {
	dir   string
	cmd   *exec.Cmd
	done  chan error
	admin *sql.DB

	mu   sync.Mutex
	next int
}

// StartPostgres initialises and starts a cluster. As root it runs as nobody, since
// PostgreSQL refuses to run as root.
func StartPostgres(ctx context.Context) (_ *Cluster, err error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sc-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, done: make(chan error, 1)}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Env = []string{"LANG=C", "LC_ALL=C", "PATH=/usr/bin:/bin"}
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := c.serve(filepath.Join(bin, "postgres"), data, initdb.Env, cred); err != nil {
		return nil, err
	}
	return c, c.waitReady(ctx)
}

// serve starts the server of the cluster in data, as cred, logging into the cluster's dir.
func (c *Cluster) serve(postgres, data string, env []string, cred *syscall.Credential) error {
	// Durability is not what these specs are about: fsync off makes them fast.
	c.cmd = exec.Command(postgres, "-D", data, "-k", c.dir, "-c", "listen_addresses=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	c.cmd.Env = env
	log, err := os.Create(filepath.Join(c.dir, "server.log"))
	if err != nil {
		return err
	}
	defer func() { _ = log.Close() }() // the child keeps its own descriptor
	c.cmd.Stdout, c.cmd.Stderr = log, log
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	c.admin, err = sql.Open("pgx", c.url("postgres"))
	return err
}

// waitReady waits for the server to accept connections, for 30 seconds at most.
func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, time.Second)
		err := c.admin.PingContext(pingCtx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case werr := <-c.done:
			out, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
			return fmt.Errorf("postgres exited: %v\n%s", werr, out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within 30s: %w", err)
		}
	}
}

// binDir finds the newest PostgreSQL's binaries.
func binDir() (string, error) {
	dirs, _ := filepath.Glob(postgresBinDirs)
	slices.SortFunc(dirs, func(a, b string) int { return majorOf(a) - majorOf(b) })
	for _, d := range slices.Backward(dirs) {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL's server binaries are missing (" + postgresBinDirs + "): install Debian's postgresql package (make test-deps does)")
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// serverCredential is who the server runs as: nobody when this process is root, else this
// process's own user (nil).
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL cannot run as root, and there is no user nobody to run it as: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// url is the URL of a database of the cluster, through its socket.
func (c *Cluster) url(database string) string {
	return fmt.Sprintf("postgres://postgres@localhost/%s?host=%s&sslmode=disable", database, c.dir)
}

// NewDatabase creates an empty database and returns its URL, and the function that drops it.
func (c *Cluster) NewDatabase(ctx context.Context) (url string, drop func(), err error) {
	c.mu.Lock()
	c.next++
	name := fmt.Sprintf("spec_%d", c.next)
	c.mu.Unlock()
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 STRATEGY FILE_COPY"); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	return c.url(name), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") // the cluster goes soon anyway
	}, nil
}

// Stop stops the server (a fast shutdown, then a kill after 10 seconds) and removes its dir.
func (c *Cluster) Stop() {
	if c.admin != nil {
		_ = c.admin.Close()
	}
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
	_ = os.RemoveAll(c.dir)
}
