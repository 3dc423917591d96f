package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

const healthcheckUsage = `usage: punchbot healthcheck [-path /readyz] [-url URL] [-timeout 3s]

Asks the server on this host whether it is ready and exits 0 when it
answers 200, 1 otherwise, printing the answer. It is the container health
check (the image has no shell or curl). It reads only PUNCHBOT_ADDR, so it
works beside any server configuration; a server bound to all interfaces is
asked on the loopback address.

  -path /readyz          /readyz (the store answers) or /healthz (the process runs)
  -url URL               ask this URL instead (the path is then ignored)
  -timeout 3s            give up after this long
`

// healthcheck runs `punchbot healthcheck`.
func healthcheck(ctx context.Context, getenv func(string) string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("path", "/readyz", "")
	target := fs.String("url", "", "")
	timeout := fs.Duration("timeout", 3*time.Second, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *timeout <= 0 {
		return usageError{"-timeout must be positive"}
	}
	u := *target
	if u == "" {
		if !strings.HasPrefix(*path, "/") {
			return usageError{fmt.Sprintf("-path %q must start with /", *path)}
		}
		addr := strings.TrimSpace(getenv("PUNCHBOT_ADDR"))
		if addr == "" {
			addr = defaultAddr
		}
		if err := checkListenAddr(addr); err != nil {
			return fmt.Errorf("PUNCHBOT_ADDR: %v", err)
		}
		u = "http://" + localDialAddr(addr) + *path
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return usageError{fmt.Sprintf("-url %q: %v", u, err)}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", u, res.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "%s: %d %s", u, res.StatusCode, body)
	return nil
}

// localDialAddr is the address a process on this host dials to reach a
// server listening on addr: the loopback address when it listens on every
// interface.
func localDialAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
