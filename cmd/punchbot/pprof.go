package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"sync"
	"time"
)

// debugAddr normalises PUNCHBOT_DEBUG_ADDR. Profiles expose memory
// contents and command lines, so an address without a host means loopback
// (":6060" is 127.0.0.1:6060), never every interface as net.Listen would
// take it; any other host must be written out by the operator.
func debugAddr(v string) (string, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port (for example 127.0.0.1:6060)", v)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// loopbackHost reports whether host only answers on this machine.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// debugMux serves net/http/pprof and nothing else, on a mux of its own: the
// package also registers itself on http.DefaultServeMux, which punchbot
// never serves.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // and the named profiles: heap, goroutine, allocs…
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// debugServer is the profiling listener of PUNCHBOT_DEBUG_ADDR.
type debugServer struct {
	srv  *http.Server
	ln   net.Listener
	once sync.Once
}

// startDebug serves debugMux on addr; nil, and no listener, when addr is
// empty (the default).
func startDebug(addr string, log *slog.Logger) (*debugServer, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("PUNCHBOT_DEBUG_ADDR: %w", err)
	}
	if host, _, _ := net.SplitHostPort(addr); !loopbackHost(host) {
		log.Warn("PUNCHBOT_DEBUG_ADDR is not a loopback address: anyone who reaches it can read profiles of this process", "addr", ln.Addr().String())
	}
	// No WriteTimeout: /debug/pprof/profile?seconds=30 answers after 30 s,
	// and pprof refuses a duration past the server's write timeout.
	d := &debugServer{srv: &http.Server{Handler: debugMux(), ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("debug server stopped", "err", err)
		}
	}()
	log.Info("serving net/http/pprof", "addr", ln.Addr().String())
	return d, nil
}

// Addr is the bound address; "" when profiling is off.
func (d *debugServer) Addr() string {
	if d == nil {
		return ""
	}
	return d.ln.Addr().String()
}

// stop is shutdown within a second, for a return without the orderly
// shutdown.
func (d *debugServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	d.shutdown(ctx)
}

// shutdown stops the listener, waiting for requests in progress until ctx
// ends; a running CPU profile is cut short then. Safe to call twice.
func (d *debugServer) shutdown(ctx context.Context) {
	if d == nil {
		return
	}
	d.once.Do(func() {
		if err := d.srv.Shutdown(ctx); err != nil {
			d.srv.Close()
		}
	})
}
