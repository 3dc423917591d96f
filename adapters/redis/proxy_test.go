package redis

import (
	"io"
	"net"
	"sync"
	"testing"
)

// cut is how a cutProxy fails.
type cut int

const (
	// refuse closes every connection and the listening socket: new dials get
	// ECONNREFUSED at once, as when the Redis host is up but Redis is not.
	refuse cut = iota + 1
	// blackhole keeps every connection open but forwards nothing and answers
	// nothing, as a network partition does: the client only learns from its
	// own timeouts.
	blackhole
)

// cutProxy forwards TCP connections to a backend until cut, so a test can
// take Redis away from a client and give it back without touching the
// server other tests use.
type cutProxy struct {
	t       testing.TB
	addr    string
	backend string

	mu    sync.Mutex
	ln    net.Listener
	mode  cut               // 0: forwarding
	conns map[net.Conn]bool // every open socket → whether it is the Redis side
}

// mustProxy starts a proxy on a free loopback port in front of backend.
func mustProxy(t testing.TB, backend string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, addr: ln.Addr().String(), backend: backend, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(func() { p.cut(refuse) })
	return p
}

func (p *cutProxy) serve(ln net.Listener) {
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

func (p *cutProxy) track(c net.Conn, redisSide bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == refuse {
		return false
	}
	p.conns[c] = redisSide
	return true
}

func (p *cutProxy) handle(c net.Conn) {
	if !p.track(c, false) {
		c.Close()
		return
	}
	p.mu.Lock()
	holed := p.mode == blackhole
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
func (p *cutProxy) pipe(dst, src net.Conn) {
	io.Copy(dst, src)
	p.mu.Lock()
	holed := p.mode == blackhole
	p.mu.Unlock()
	if holed {
		io.Copy(io.Discard, src)
		return
	}
	dst.Close()
	src.Close()
}

// cut fails the proxy in the given way.
func (p *cutProxy) cut(how cut) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = how
	switch how {
	case refuse:
		p.ln.Close()
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	case blackhole:
		// Closing the Redis side silences every pipe; the client side stays
		// open with nobody answering.
		for c, redisSide := range p.conns {
			if redisSide {
				c.Close()
				delete(p.conns, c)
			}
		}
	}
}

// restore forwards again. Connections from the cut are closed, as the
// client would find them after any real outage.
func (p *cutProxy) restore() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.mode
	p.mode = 0
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	if was == refuse {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
		}
		p.serve(ln)
	}
}
