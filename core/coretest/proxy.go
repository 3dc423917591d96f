package coretest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Cut is how a Proxy fails.
type Cut int

const (
	// CutRefuse closes every connection and the listening socket: new dials get
	// ECONNREFUSED at once, as when the host is up but the server is not.
	CutRefuse Cut = iota + 1
	// CutBlackhole keeps every connection open but forwards nothing and answers
	// nothing, as a network partition does: the client only learns from its
	// own timeouts.
	CutBlackhole
)

// Proxy forwards TCP connections to a backend until cut, so a test can take
// a dependency (Redis, PostgreSQL) away from a client and give it back
// without touching the server other tests use. It listens on loopback only.
type Proxy struct {
	t       testing.TB
	addr    string
	backend string

	mu    sync.Mutex
	ln    net.Listener
	mode  Cut               // 0: forwarding
	conns map[net.Conn]bool // every open socket → whether it is the backend side
}

// MustProxy starts a proxy on a free loopback port in front of backend
// (host:port); it is cut for good when the test ends.
func MustProxy(t testing.TB, backend string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, addr: ln.Addr().String(), backend: backend, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(func() { p.Cut(CutRefuse) })
	return p
}

func (p *Proxy) serve(ln net.Listener) {
	p.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.handle(c)
		}
	}()
}

func (p *Proxy) track(c net.Conn, backendSide bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == CutRefuse {
		return false
	}
	p.conns[c] = backendSide
	return true
}

func (p *Proxy) handle(c net.Conn) {
	if !p.track(c, false) {
		c.Close()
		return
	}
	p.mu.Lock()
	holed := p.mode == CutBlackhole
	p.mu.Unlock()
	if holed {
		io.Copy(io.Discard, c) // swallow until restore closes it
		return
	}
	b, err := net.Dial("tcp", p.backend)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(b, true) {
		b.Close()
		c.Close()
		return
	}
	go p.pipe(b, c)
	p.pipe(c, b)
}

// pipe copies src to dst until either fails. Once the proxy black-holes, the
// client side is kept open and drained instead of being closed.
func (p *Proxy) pipe(dst, src net.Conn) {
	io.Copy(dst, src)
	p.mu.Lock()
	holed := p.mode == CutBlackhole
	p.mu.Unlock()
	if holed {
		io.Copy(io.Discard, src)
		return
	}
	dst.Close()
	src.Close()
}

// Addr is the proxy's host:port, to give the client instead of the backend's.
func (p *Proxy) Addr() string { return p.addr }

// Cut fails the proxy in the given way.
func (p *Proxy) Cut(how Cut) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = how
	switch how {
	case CutRefuse:
		p.ln.Close()
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	case CutBlackhole:
		// Closing the backend side silences every pipe; the client side stays
		// open with nobody answering.
		for c, backendSide := range p.conns {
			if backendSide {
				c.Close()
				delete(p.conns, c)
			}
		}
	}
}

// Restore forwards again. Connections from the cut are closed, as the
// client would find them after any real outage.
func (p *Proxy) Restore() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.mode
	p.mode = 0
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	if was == CutRefuse {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
		}
		p.serve(ln)
	}
}
