// Command bench is the load script of `make bench`: it runs the built portal's demo on a
// company of 1,000, 10,000 and 100,000 people (three connections each, on SQLite with fsync
// on, moved in from a connections.json on first start), and prints, at each size and with
// the ratio of the largest to the smallest:
//
//   - start to ready: from starting the process to the first 200 from /readyz (a second
//     start, the import done);
//   - dashboard renders per second, and their p50 and p99, with 16 clients signed in as 16
//     people, each loading GET / again and again;
//   - the RSS of the portal after that load;
//   - the portal's idle CPU, in % of one core, over some seconds after the load.
//
// Usage: go run ./bench [-bin bin/service-connector] [-people 1000,10000,100000]
// [-clients 16] [-load 5s] [-idle 10s]
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

func main() {
	bin := flag.String("bin", "bin/service-connector", "the portal binary")
	sizes := flag.String("people", "1000,10000,100000", "company sizes, comma-separated")
	clients := flag.Int("clients", 16, "concurrent dashboard clients")
	load := flag.Duration("load", 5*time.Second, "how long the dashboard is loaded at each size")
	idle := flag.Duration("idle", 10*time.Second, "how long idle CPU is measured at each size")
	flag.Parse()
	if err := run(*bin, *sizes, *clients, *load, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// figures are one size's measurements.
type figures struct {
	importStart, ready time.Duration
	rendersPerSec      float64
	p50, p99           time.Duration
	rssMB, idleCPU     float64
}

func run(bin, sizeList string, clients int, load, idle time.Duration) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: build it first (make build)", bin)
	}
	var sizes []int
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < clients {
			return fmt.Errorf("-people: %q is not a company size of at least %d", s, clients)
		}
		sizes = append(sizes, n)
	}
	storetest.BenchSizes = sizes
	all := map[int]figures{}
	for _, people := range sizes {
		f, err := measure(bin, people, clients, load, idle)
		if err != nil {
			return fmt.Errorf("%d people: %w", people, err)
		}
		all[people] = f
		fmt.Printf("%d people: first start (import) %s, start to ready %s, %.0f renders/s (p50 %.2f ms, p99 %.2f ms), RSS %.1f MB, idle CPU %.2f %%\n",
			people, f.importStart.Round(time.Millisecond), f.ready.Round(time.Millisecond), f.rendersPerSec,
			storetest.Millis(f.p50), storetest.Millis(f.p99), f.rssMB, f.idleCPU)
	}
	print := func(what, unit, target string, get func(figures) float64) {
		bySize := map[int]float64{}
		for n, f := range all {
			bySize[n] = get(f)
		}
		storetest.PrintFigure(os.Stdout, what, unit, bySize, target)
	}
	fmt.Println()
	print("start to ready", "ms", "<= 300 ms at 100,000", func(f figures) float64 { return storetest.Millis(f.ready) })
	print(fmt.Sprintf("dashboard renders/s, %d clients", clients), "/s", ">= 3,000/s at 10,000, and at 100,000 >= 80 % of that", func(f figures) float64 { return f.rendersPerSec })
	print("dashboard render p50", "ms", "", func(f figures) float64 { return storetest.Millis(f.p50) })
	print("dashboard render p99", "ms", "", func(f figures) float64 { return storetest.Millis(f.p99) })
	print("RSS after the load", "MB", "<= 80 MB", func(f figures) float64 { return f.rssMB })
	print(fmt.Sprintf("idle CPU over %s", idle), "% of a core", "<= 1 % at 100,000", func(f figures) float64 { return f.idleCPU })
	return nil
}

// measure runs the demo on a company of people and takes its figures.
func measure(bin string, people, clients int, load, idle time.Duration) (figures, error) {
	var f figures
	dir, err := os.MkdirTemp("", "sc-bench-")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(dir)
	if err := storetest.WriteFileStore(dir, store.State{Connections: storetest.People(people)}); err != nil {
		return f, err
	}
	first, err := start(bin, dir)
	if err != nil {
		return f, err
	}
	f.importStart = first.ready
	if err := first.stop(); err != nil {
		return f, err
	}
	if _, err := os.Stat(filepath.Join(dir, "connections.json.imported")); err != nil {
		return f, errors.New("the first start did not import connections.json")
	}
	p, err := start(bin, dir)
	if err != nil {
		return f, err
	}
	defer func() { _ = p.stop() }()
	f.ready = p.ready
	if f.rendersPerSec, f.p50, f.p99, err = loadDashboard(p.portal, people, clients, load); err != nil {
		return f, err
	}
	if f.rssMB, err = rss(p.cmd.Process.Pid); err != nil {
		return f, err
	}
	time.Sleep(2 * time.Second) // the load's last requests and the worker's pass settle
	f.idleCPU, err = cpuOver(p.cmd.Process.Pid, idle)
	return f, err
}

// portal is a running demo.
type portal struct {
	cmd    *exec.Cmd
	portal string
	ready  time.Duration
	done   chan error
}

var portalLine = regexp.MustCompile(`portal: +http://(\S+)/`)

// start starts the demo on dir and waits for /readyz to answer 200.
func start(bin, dir string) (*portal, error) {
	cmd := exec.Command(bin, "demo")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "SC_DATA_DIR=" + dir, "SC_ADDR=127.0.0.1:0",
		"SC_DEMO_SERVICES_ADDR=127.0.0.1:0", "SC_LOG_LEVEL=warn", "SC_SESSION_SECRET=bench-session-secret-0123456789abcdef"}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &portal{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := portalLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case a := <-addr:
		p.portal = "http://" + a
	case err := <-p.done:
		return nil, fmt.Errorf("the demo exited: %v", err)
	case <-time.After(2 * time.Minute):
		_ = p.stop()
		return nil, errors.New("the demo did not start within 2 minutes")
	}
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(p.portal + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.ready = time.Since(began)
				return p, nil
			}
		}
		if time.Since(began) > 2*time.Minute {
			_ = p.stop()
			return nil, errors.New("/readyz did not answer 200 within 2 minutes")
		}
		time.Sleep(time.Millisecond)
	}
}

// stop stops the demo with SIGTERM and waits for it.
func (p *portal) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		return errors.New("the demo did not stop within a minute of SIGTERM")
	}
}

// loadDashboard signs in clients people and has each load the dashboard again and again for
// d, after a second of warm-up; it returns the renders per second and their p50 and p99.
func loadDashboard(portal string, people, clients int, d time.Duration) (float64, time.Duration, time.Duration, error) {
	browsers := make([]*http.Client, clients)
	for i := range browsers {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return 0, 0, 0, err
		}
		browsers[i] = &http.Client{Jar: jar, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		email := storetest.Person(i * (people / clients)).Email
		resp, err := browsers[i].PostForm(portal+"/auth/dev-login", url.Values{"email": {email}})
		if err != nil {
			return 0, 0, 0, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return 0, 0, 0, fmt.Errorf("dev sign-in of %s: HTTP %d", email, resp.StatusCode)
		}
	}
	var mu sync.Mutex
	var took []time.Duration
	var failed error
	warm := time.Now().Add(time.Second)
	end := warm.Add(d)
	var wg sync.WaitGroup
	for _, b := range browsers {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(end) {
				began := time.Now()
				err := render(b, portal)
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				if began.After(warm) && time.Now().Before(end) {
					mine = append(mine, time.Since(began))
				}
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if failed != nil {
		return 0, 0, 0, failed
	}
	return float64(len(took)) / d.Seconds(), storetest.Percentile(took, 50), storetest.Percentile(took, 99), nil
}

// render loads the dashboard once and reads it whole.
func render(b *http.Client, portal string) error {
	resp, err := b.Get(portal + "/")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /: HTTP %d", resp.StatusCode)
	}
	return nil
}

// rss is the resident set of process pid, in MB.
func rss(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux.
const clockTicks = 100

// cpuOver measures the CPU process pid uses over d, in % of one core.
func cpuOver(pid int, d time.Duration) (float64, error) {
	before, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	began := time.Now()
	time.Sleep(d)
	after, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	return float64(after-before) / clockTicks / time.Since(began).Seconds() * 100, nil
}

// cpuTicks is the user and system time process pid has used, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	rest := string(data)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0, errors.New("/proc stat: too few fields")
	}
	// After the comm: state is field 3, utime field 14, stime field 15.
	utime, err := strconv.ParseInt(fields[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime, err
}
