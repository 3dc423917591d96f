// This file copies adapters/redis/proxy_test.go: test files cannot be
// shared across packages, and a package for one test helper is not worth it.

package main

import (
	"io"
	"net"
	"sync"
	"testing"
)

// cutStyle is how a redisProxy fails.
type cutStyle int

const (
	// cutRefuse closes every connection and the listening socket: new dials get
	// ECONNREFUSED at once, as when the Redis host is up but Redis is not.
	cutRefuse cutStyle = iota + 1
	// cutBlackhole keeps every connection open but forwards nothing and answers
	// nothing, as a network partition does: the client only learns from its
	// own timeouts.
	cutBlackhole
)

// redisProxy forwards TCP connections to a backend until cut, so a test can
// take Redis away from a client and give it back without touching the
// server other tests use.
type redisProxy struct {
	t       testing.TB
	addr    string
	backend string

	mu    sync.Mutex
	ln    net.Listener
	mode  cutStyle          // 0: forwarding
	conns map[net.Conn]bool // every open socket → whether it is the Redis side
}

// mustRedisProxy starts a proxy on a free loopback port in front of backend.
func mustRedisProxy(t testing.TB, backend string) *redisProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &redisProxy{t: t, addr: ln.Addr().String(), backend: backend, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(func() { p.cut(cutRefuse) })
	return p
}

func (p *redisProxy) serve(ln net.Listener) {
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

func (p *redisProxy) track(c net.Conn, redisSide bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == cutRefuse {
		return false
	}
	p.conns[c] = redisSide
	return true
}

func (p *redisProxy) handle(c net.Conn) {
	if !p.track(c, false) {
		c.Close()
		return
	}
	p.mu.Lock()
	holed := p.mode == cutBlackhole
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
func (p *redisProxy) pipe(dst, src net.Conn) {
	io.Copy(dst, src)
	p.mu.Lock()
	holed := p.mode == cutBlackhole
	p.mu.Unlock()
	if holed {
		io.Copy(io.Discard, src)
		return
	}
	dst.Close()
	src.Close()
}

// cut fails the proxy in the given way.
func (p *redisProxy) cut(how cutStyle) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = how
	switch how {
	case cutRefuse:
		p.ln.Close()
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	case cutBlackhole:
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
func (p *redisProxy) restore() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.mode
	p.mode = 0
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	if was == cutRefuse {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
		}
		p.serve(ln)
	}
}
