package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time by .ci/release and the Dockerfile:
//
//	go build -trimpath -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD)" ./cmd/punchbot
//
// A plain `go build` or `go install …@v1.2.0` leaves them empty, and
// versionLine reads what the Go toolchain stamped instead.
var (
	version = ""
	commit  = ""
)

// buildInfo is the version, commit and commit time of this binary: the
// -ldflags values when set, else the module version and the VCS stamp of
// debug.ReadBuildInfo, else "dev".
type buildInfo struct {
	Version, Commit, Time, Modified string
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					b.Modified = "modified"
				}
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

// versionString is the version alone, for the start-up log.
func versionString() string { return readBuildInfo().Version }

// versionLine is what `punchbot version` prints:
// "punchbot v1.2.0 (commit 4197bf8c, 2026-12-01T10:00:00Z, go1.26.0 linux/amd64)".
func versionLine() string {
	b := readBuildInfo()
	details := []string{}
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		details = append(details, "commit "+c)
	}
	if b.Modified != "" {
		details = append(details, b.Modified)
	}
	if b.Time != "" {
		details = append(details, b.Time)
	}
	details = append(details, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("punchbot %s (%s)", b.Version, strings.Join(details, ", "))
}
