package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A portal that dies holding a person's lock or a lease on a work item leaves them to run
// out: after LockLease and WorkLease, every other portal may take them over. That is the
// only way to tell across machines. On one machine there is a faster one: each Store records
// its process (boot id, pid namespace, pid and the process's start time) in the portals
// table, and any portal that finds the process of another gone frees that one's locks and
// leases at once. So a portal restarted after a crash, or its neighbour on the same host,
// finishes the dead one's work without waiting for the leases.

// process identifies this process on its machine, as /proc tells it.
type process struct {
	bootID, pidNS string // empty where /proc does not tell: then no one reaps this portal early
	pid           int
	started       int64 // clock ticks since boot
}

// thisProcess reads this process's identity from /proc.
func thisProcess() process {
	p := process{pid: os.Getpid()}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	ns, nsErr := os.Readlink("/proc/self/ns/pid")
	started, _, stErr := processStart(p.pid)
	if err != nil || nsErr != nil || stErr != nil {
		return p
	}
	p.bootID, p.pidNS, p.started = strings.TrimSpace(string(boot)), ns, started
	return p
}

// processStart reads a process's start time (clock ticks since boot) and whether it is a
// zombie, from /proc/PID/stat. The error wraps fs.ErrNotExist when there is no such process.
func processStart(pid int) (started int64, zombie bool, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	// "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields are counted
	// after the last ')'. The state is field 3, the start time field 22.
	rest := string(data)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 20 {
		return 0, false, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	started, err = strconv.ParseInt(fields[19], 10, 64)
	return started, fields[0] == "Z" || fields[0] == "X", err
}

// gone reports whether the process that p names has ended: no process has its pid, or the
// one that has it started at another time (the pid was reused), or it is a zombie. When
// /proc cannot tell, it is taken to live.
func gone(p process) bool {
	started, zombie, err := processStart(p.pid)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return err == nil && (zombie || started != p.started)
}

// register records this portal in the portals table.
func (s *Store) register(ctx context.Context) error {
	p := s.process
	_, err := s.writeQ.ExecContext(ctx, "INSERT INTO portals (owner, boot_id, pid_ns, pid, started, opened_at) VALUES ($1, $2, $3, $4, $5, $6) "+
		"ON CONFLICT (owner) DO UPDATE SET boot_id = excluded.boot_id, pid_ns = excluded.pid_ns, pid = excluded.pid, started = excluded.started, opened_at = excluded.opened_at",
		s.cfg.Owner, p.bootID, p.pidNS, p.pid, p.started, unixNano(s.now()))
	s.registered = err == nil
	return storeError("register this portal", err)
}

// unregister removes this portal from the portals table. What it still holds runs out with
// its lease.
func (s *Store) unregister() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.writeQ.ExecContext(ctx, "DELETE FROM portals WHERE owner = $1", s.cfg.Owner) // the row is only a hint
}

// reaper frees the locks and leases of dead portals on this machine, at most once per
// interval however often it is asked.
type reaper struct {
	mu       sync.Mutex
	last     time.Time
	interval time.Duration
}

// reapDead frees the locks and leases of every portal on this machine whose process has
// ended, unless that was looked at less than a second ago. Portals on other machines, or
// where /proc cannot tell, are left to their leases.
func (s *Store) reapDead(ctx context.Context) {
	if s.process.bootID == "" || !s.reaper.due(time.Now()) {
		return
	}
	type row struct {
		owner string
		p     process
	}
	rows, err := queryAll(ctx, s.readQ, func(r scanner) (row, error) {
		var x row
		return x, r.Scan(&x.owner, &x.p.pid, &x.p.started)
	}, "SELECT owner, pid, started FROM portals WHERE boot_id = $1 AND pid_ns = $2 AND owner <> $3",
		s.process.bootID, s.process.pidNS, s.cfg.Owner)
	if err != nil {
		s.cfg.Log.Warn("could not look for dead portals", "err", err)
		return
	}
	for _, r := range rows {
		if !gone(r.p) {
			continue
		}
		if err := s.reap(ctx, r.owner); err != nil {
			s.cfg.Log.Warn("could not free the locks of a dead portal; they run out with their leases", "portal", r.owner, "err", err)
			continue
		}
		s.cfg.Log.Info("freed the locks and leases of a portal whose process ended", "portal", r.owner, "pid", r.p.pid)
	}
}

// due reports whether a reap may run at now, and if so counts it as run.
func (r *reaper) due(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.last) < r.interval {
		return false
	}
	r.last = now
	return true
}

// reap frees what the dead portal owner holds and forgets it, in one transaction.
func (s *Store) reap(ctx context.Context, owner string) error {
	return s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec("free a dead portal's locks", "DELETE FROM person_locks WHERE portal = $1", owner)
		for _, table := range []string{"revocations", "deliveries", "intents"} {
			if err == nil {
				_, err = tx.exec("free a dead portal's leases", "UPDATE "+table+" SET "+leaseCleared+" WHERE lease_owner = $1", owner)
			}
		}
		if err == nil {
			_, err = tx.exec("forget a dead portal", "DELETE FROM portals WHERE owner = $1", owner)
		}
		return err
	})
}
