package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/service-connector/service-connector/app/metrics"
)

// shutdownGrace bounds how long in-flight requests may finish once the program is told to
// stop: longer than one connector operation (45 s), so a connect under way is finished.
const shutdownGrace = 50 * time.Second

// newServer returns an http.Server whose every phase is bounded, so a slow or stuck client
// cannot hold a connection forever.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// listener is a server and where it listens.
type listener struct {
	server *http.Server
	ln     net.Listener
}

// serveAll serves each server on its listener until ctx ends or one fails, then shuts them
// down gracefully in the order given, each after the one before has finished: the portal
// first, so the requests it has under way can still reach the services after it.
func serveAll(ctx context.Context, listeners ...listener) error {
	errs := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() {
			if err := l.server.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		}()
	}
	var firstErr error
	select {
	case <-ctx.Done():
	case firstErr = <-errs:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for _, l := range listeners {
		if err := l.server.Shutdown(shutdownCtx); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// newMetrics returns the portal's metrics and the listener that serves them on
// SC_METRICS_ADDR, or nil and no listener when it is unset: metrics are off by default.
func newMetrics(addr string, log *slog.Logger) (*metrics.Metrics, []listener, error) {
	if addr == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("SC_METRICS_ADDR: %w", err)
	}
	m := metrics.New()
	return m, []listener{{newServer(newMetricsRouter(m, log), log), ln}}, nil
}

// metricsLine is the line start-up prints about the metrics, its address after the label,
// or "" when they are off.
func metricsLine(ls []listener, label string) string {
	if len(ls) == 0 {
		return ""
	}
	return fmt.Sprintf("  %s http://%s/metrics\n", label, ls[0].ln.Addr())
}

// closeListeners closes listeners a command opened, should it stop before serving them;
// closing one already served and shut down changes nothing.
func closeListeners(ls []listener) {
	for _, l := range ls {
		_ = l.ln.Close()
	}
}
