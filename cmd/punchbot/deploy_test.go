package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"
)

// The deployment files in cmd/punchbot/deploy are checked here without
// Docker, kubectl or helm: parsed as YAML (the Helm chart rendered by a
// small text/template renderer with Helm's functions the chart uses), and
// compared with what the code does: every variable they set is one
// loadConfig reads, and together they form a configuration loadConfig
// accepts; every command they run parses; the probe paths are routes of
// the server's mux that answer 200; the binary path, the user and the port
// agree with the Dockerfile.

const deployDir = "deploy"

// knownEnv is every PUNCHBOT_* variable loadConfig reads, recorded by
// asking it: no list to keep in step.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	if _, err := loadConfig(func(k string) string { known[k] = true; return "" }); err != nil {
		t.Fatalf("loadConfig with an empty environment: %v", err)
	}
	return known
}

// checkEnvNames fails for each name loadConfig does not read.
func checkEnvNames(t *testing.T, where string, known map[string]bool, names []string) {
	t.Helper()
	for _, n := range names {
		if !known[n] {
			t.Errorf("%s sets %s, which punchbot does not read", where, n)
		}
	}
}

// checkConfigAccepted fails unless loadConfig accepts vars as a whole.
func checkConfigAccepted(t *testing.T, where string, vars map[string]string) config {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Errorf("%s: punchbot refuses the configuration it sets:\n%v", where, err)
	}
	return cfg
}

// checkCommand fails unless args is a command line punchbot runs.
func checkCommand(t *testing.T, where string, args []string) {
	t.Helper()
	if cmd, _, act, text := parseCommandLine(args); act != actRun {
		t.Errorf("%s runs punchbot %q, which is not a command punchbot runs (%s): %s", where, args, cmd, text)
	}
}

// probeRoutes are the paths the manifests probe, checked against a real
// server: the mux has a route and it answers 200.
func checkProbe(t *testing.T, where, path string) {
	t.Helper()
	s := probeServer(t)
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if _, pattern := s.mux.Handler(req); pattern == "" {
		t.Errorf("%s probes %s, which is not a route of the server", where, path)
		return
	}
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("%s probes %s, which answers %d on a healthy server", where, path, rec.Code)
	}
}

var probeServers = map[*testing.T]*server{}

func probeServer(t *testing.T) *server {
	t.Helper()
	if s, ok := probeServers[t]; ok {
		return s
	}
	cfg, err := loadConfig(env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db")))
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	probeServers[t] = s
	t.Cleanup(func() { s.close(context.Background()); delete(probeServers, t) })
	return s
}

// portOf is the port of a listen address or URL host.
func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%q: %v", addr, err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// dockerfile is what the checks need from the Dockerfile.
type dockerfile struct {
	finalFrom   string
	buildOutput string // go build -o
	copiedFrom  string // the final stage's COPY --from=build source of the binary
	binary      string // where the final stage puts it
	user        string
	entrypoint  []string
	cmd         []string
	healthcheck []string
	env         map[string]string
	expose      []string
	chowned     map[string]string // destination → owner of COPY --chown
	buildCmd    string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// Join continued lines, drop comments.
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || (l == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	d := dockerfile{env: map[string]string{}, chowned: map[string]string{}}
	jsonArgs := func(s string) []string {
		var v []string
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Errorf("Dockerfile: %q is not the exec (JSON) form", s)
		}
		return v
	}
	stage := 0
	copies := map[string]string{} // destination → source of COPY --from
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			stage++
			d.finalFrom = rest
		case "RUN":
			if strings.Contains(rest, "go build") {
				d.buildCmd = rest
				if m := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(rest); m != nil {
					d.buildOutput = m[1]
				}
			}
		case "COPY":
			f := strings.Fields(rest)
			var from, chown string
			var paths []string
			for _, x := range f {
				switch {
				case strings.HasPrefix(x, "--from="):
					from = strings.TrimPrefix(x, "--from=")
				case strings.HasPrefix(x, "--chown="):
					chown = strings.TrimPrefix(x, "--chown=")
				default:
					paths = append(paths, x)
				}
			}
			if from != "" && len(paths) == 2 {
				copies[paths[1]] = paths[0]
				if chown != "" {
					d.chowned[paths[1]] = chown
				}
			}
		case "USER":
			d.user = rest
		case "ENTRYPOINT":
			d.entrypoint = jsonArgs(rest)
		case "CMD":
			d.cmd = jsonArgs(rest)
		case "HEALTHCHECK":
			if _, c, ok := strings.Cut(rest, "CMD "); ok {
				d.healthcheck = jsonArgs(strings.TrimSpace(c))
			}
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				d.env[k] = v
			}
		case "EXPOSE":
			d.expose = append(d.expose, strings.Fields(rest)...)
		}
	}
	if len(d.entrypoint) > 0 {
		d.binary = d.entrypoint[0]
		d.copiedFrom = copies[d.binary]
	}
	if stage < 2 {
		t.Errorf("Dockerfile has %d stage(s), want a build stage and a runtime stage", stage)
	}
	return d
}

// TestDockerfile: a static, trimmed build; a distroless final stage
// running as a non-root user; the binary copied from where it was built
// to where ENTRYPOINT and HEALTHCHECK run it; serve by default; the
// environment it sets accepted; the exposed port the one it listens on.
func TestDockerfile(t *testing.T) {
	d := readDockerfile(t)
	known := knownEnv(t)
	if !strings.Contains(d.finalFrom, "distroless/static") {
		t.Errorf("final stage FROM %s, want distroless/static (CA certificates and tzdata, no shell)", d.finalFrom)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=", "-X main.commit=", "./cmd/punchbot"} {
		if !strings.Contains(d.buildCmd, want) {
			t.Errorf("the go build line lacks %s: %s", want, d.buildCmd)
		}
	}
	if d.buildOutput == "" || d.copiedFrom != d.buildOutput {
		t.Errorf("the final stage copies %q, but go build writes %q", d.copiedFrom, d.buildOutput)
	}
	uid, _, _ := strings.Cut(d.user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q, want a numeric non-root user (Kubernetes runAsNonRoot checks the number)", d.user)
	}
	if len(d.entrypoint) != 1 || !filepath.IsAbs(d.binary) {
		t.Errorf("ENTRYPOINT %q, want the binary's absolute path alone", d.entrypoint)
	}
	checkCommand(t, "Dockerfile CMD", d.cmd)
	if len(d.cmd) != 1 || d.cmd[0] != "serve" {
		t.Errorf("CMD %q, want [serve]", d.cmd)
	}
	if len(d.healthcheck) < 2 || d.healthcheck[0] != d.binary || d.healthcheck[1] != "healthcheck" {
		t.Errorf("HEALTHCHECK %q, want %s healthcheck", d.healthcheck, d.binary)
	} else {
		checkCommand(t, "HEALTHCHECK", d.healthcheck[1:])
	}
	checkEnvNames(t, "Dockerfile ENV", known, slices.Collect(maps.Keys(d.env)))
	cfg := checkConfigAccepted(t, "Dockerfile ENV", d.env)
	if want := strconv.Itoa(portOf(t, cfg.Addr)); !slices.Contains(d.expose, want) {
		t.Errorf("EXPOSE %v, but PUNCHBOT_ADDR %s listens on %s", d.expose, cfg.Addr, want)
	}
	// The SQLite file's directory belongs to the user serve runs as.
	dir := filepath.Dir(cfg.DBPath)
	if owner, _, _ := strings.Cut(d.chowned[dir], ":"); owner != uid {
		t.Errorf("PUNCHBOT_DB_PATH is in %s, owned by %q, want the runtime user %s", dir, d.chowned[dir], uid)
	}
}

// TestDockerignore: the build context (the repository root) keeps what the
// build needs and leaves out the git history and local databases.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	for _, need := range []string{"go.mod", "go.sum", "cmd", "core", "adapters", "bots", "scheduler", "migrations"} {
		for _, p := range patterns {
			if p == need || p == "*" || p == "**" {
				t.Errorf(".dockerignore excludes %s, which the build needs", need)
			}
		}
	}
	for _, want := range []string{".git", "**/*.db"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

// composeFile is the part of compose.yaml the checks read.
type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Ports   []string `yaml:"ports"`
		Volumes []string `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// interpolate applies compose's ${VAR:-default} with an empty shell
// environment: what `docker compose up` runs with no .env file.
func interpolate(s string) string {
	re := regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}`)
	return re.ReplaceAllString(s, "$2")
}

// TestCompose: punchbot waits for a migrate run that waits for a healthy
// PostgreSQL; both are built from the repository root with the Dockerfile;
// the environment they share names only known variables and, with the
// defaults, is a configuration punchbot accepts, pointing at the compose
// services with PostgreSQL's own credentials.
func TestCompose(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	known := knownEnv(t)
	d := readDockerfile(t)
	for _, name := range []string{"postgres", "redis", "migrate", "punchbot"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no %s service", name)
		}
		if c.Services[name].Healthcheck == nil && name != "migrate" {
			t.Errorf("service %s has no healthcheck", name)
		}
	}
	pg := c.Services["postgres"]
	for _, name := range []string{"migrate", "punchbot"} {
		s := c.Services[name]
		where := "compose service " + name
		if s.Build == nil {
			t.Errorf("%s is not built", where)
		} else {
			root := filepath.Join(deployDir, s.Build.Context)
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
				t.Errorf("%s builds in %s, which is not the repository root", where, s.Build.Context)
			}
			if _, err := os.Stat(filepath.Join(root, s.Build.Dockerfile)); err != nil {
				t.Errorf("%s: dockerfile %s: %v", where, s.Build.Dockerfile, err)
			}
		}
		checkCommand(t, where, s.Command)
		checkEnvNames(t, where, known, slices.Collect(maps.Keys(s.Environment)))
		vars := maps.Clone(d.env) // the image's ENV, under compose's
		for k, v := range s.Environment {
			vars[k] = interpolate(v)
		}
		cfg := checkConfigAccepted(t, where, vars)
		want := fmt.Sprintf("postgres://%s:%s@postgres:5432/%s", interpolate(pg.Environment["POSTGRES_USER"]),
			interpolate(pg.Environment["POSTGRES_PASSWORD"]), interpolate(pg.Environment["POSTGRES_DB"]))
		if !strings.HasPrefix(cfg.DatabaseURL, want) {
			t.Errorf("%s: PUNCHBOT_DATABASE_URL = %s, want %s… (the postgres service's credentials)", where, cfg.DatabaseURL, want)
		}
		if !strings.Contains(cfg.RedisURL, "//redis:") {
			t.Errorf("%s: PUNCHBOT_REDIS_URL = %s, want the redis service", where, cfg.RedisURL)
		}
	}
	if got := c.Services["migrate"].Command; !slices.Equal(got, []string{"migrate"}) {
		t.Errorf("migrate runs %q, want [migrate]", got)
	}
	if dep := c.Services["migrate"].DependsOn["postgres"].Condition; dep != "service_healthy" {
		t.Errorf("migrate waits for postgres to be %q, want service_healthy", dep)
	}
	srv := c.Services["punchbot"]
	if dep := srv.DependsOn["migrate"].Condition; dep != "service_completed_successfully" {
		t.Errorf("punchbot waits for migrate to be %q, want service_completed_successfully", dep)
	}
	if hc := srv.Healthcheck.Test; len(hc) < 3 || hc[0] != "CMD" || hc[1] != d.binary {
		t.Errorf("punchbot healthcheck %q, want [CMD %s healthcheck …]", hc, d.binary)
	} else {
		checkCommand(t, "punchbot healthcheck", hc[2:])
		if i := slices.Index(hc, "-path"); i > 0 && i+1 < len(hc) {
			checkProbe(t, "compose healthcheck", hc[i+1])
		}
	}
	for _, p := range srv.Ports {
		parts := strings.Split(interpolate(p), ":")
		if parts[len(parts)-1] != strconv.Itoa(portOf(t, d.env["PUNCHBOT_ADDR"])) {
			t.Errorf("punchbot publishes %s, but listens on %s", p, d.env["PUNCHBOT_ADDR"])
		}
	}
	for _, v := range pg.Volumes {
		if name, _, _ := strings.Cut(v, ":"); !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "/") {
			if _, ok := c.Volumes[name]; !ok {
				t.Errorf("postgres mounts volume %s, which compose.yaml does not declare", name)
			}
		}
	}
}

// yamlDocs splits a multi-document YAML file into generic maps.
func yamlDocs(t *testing.T, name string, data []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
}

// at walks a generic YAML value by keys.
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func mapAt(v any, keys ...string) map[string]any {
	m, _ := at(v, keys...).(map[string]any)
	return m
}

func listAt(v any, keys ...string) []any {
	l, _ := at(v, keys...).([]any)
	return l
}

func strAt(v any, keys ...string) string {
	if x := at(v, keys...); x != nil {
		return fmt.Sprint(x)
	}
	return ""
}

func stringList(v []any) []string {
	var out []string
	for _, x := range v {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// subset reports whether every pair of sel is in labels.
func subset(sel, labels map[string]any) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// checkManifests applies the checks to a set of Kubernetes objects (the
// plain manifests, or the Helm chart rendered). secrets maps each Secret
// name the manifests may reference to its variables and values.
func checkManifests(t *testing.T, where string, docs []map[string]any, secrets map[string]map[string]string) {
	t.Helper()
	known := knownEnv(t)
	d := readDockerfile(t)
	uid, _, _ := strings.Cut(d.user, ":")
	configMaps := map[string]map[string]string{}
	secrets = maps.Clone(secrets)
	if secrets == nil {
		secrets = map[string]map[string]string{}
	}
	kinds := map[string]int{}
	for _, doc := range docs {
		kind, name := strAt(doc, "kind"), strAt(doc, "metadata", "name")
		kinds[kind]++
		switch kind {
		case "ConfigMap":
			data := map[string]string{}
			for k, v := range mapAt(doc, "data") {
				data[k] = fmt.Sprint(v)
			}
			configMaps[name] = data
			checkEnvNames(t, where+" ConfigMap "+name, known, slices.Collect(maps.Keys(data)))
		case "Secret":
			data := map[string]string{}
			for k, v := range mapAt(doc, "stringData") {
				data[k] = fmt.Sprint(v)
			}
			secrets[name] = data
			checkEnvNames(t, where+" Secret "+name, known, slices.Collect(maps.Keys(data)))
		}
	}
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "Job", "PodDisruptionBudget"} {
		if kinds[kind] != 1 {
			t.Errorf("%s has %d %s(s), want 1", where, kinds[kind], kind)
		}
	}
	var podLabels map[string]any
	var portNames []string
	for _, doc := range docs {
		kind, name := strAt(doc, "kind"), strAt(doc, "metadata", "name")
		if kind != "Deployment" && kind != "Job" {
			continue
		}
		w := where + " " + kind + " " + name
		pod := mapAt(doc, "spec", "template", "spec")
		if got := strAt(pod, "securityContext", "runAsUser"); got != uid || strAt(pod, "securityContext", "runAsNonRoot") != "true" {
			t.Errorf("%s runs as user %q (runAsNonRoot %s), want the image's user %s", w, got, strAt(pod, "securityContext", "runAsNonRoot"), uid)
		}
		if strAt(pod, "enableServiceLinks") != "false" {
			t.Errorf("%s: want enableServiceLinks: false, so Kubernetes adds no PUNCHBOT_SERVICE_* variables", w)
		}
		if kind == "Deployment" {
			podLabels = mapAt(doc, "spec", "template", "metadata", "labels")
			if n, _ := at(doc, "spec", "replicas").(int); n < 2 {
				t.Errorf("%s has %v replicas, want 2 or more", w, at(doc, "spec", "replicas"))
			}
			if !subset(mapAt(doc, "spec", "selector", "matchLabels"), podLabels) {
				t.Errorf("%s: selector %v does not match its pods' labels %v", w, mapAt(doc, "spec", "selector", "matchLabels"), podLabels)
			}
		}
		containers := append(listAt(pod, "initContainers"), listAt(pod, "containers")...)
		if len(containers) == 0 {
			t.Errorf("%s has no containers", w)
		}
		for _, c := range containers {
			cw := w + " container " + strAt(c, "name")
			args := stringList(listAt(c, "args"))
			checkCommand(t, cw, args)
			if strAt(c, "securityContext", "readOnlyRootFilesystem") != "true" || strAt(c, "securityContext", "allowPrivilegeEscalation") != "false" {
				t.Errorf("%s: want readOnlyRootFilesystem and no privilege escalation", cw)
			}
			if strAt(c, "resources", "requests", "cpu") == "" || strAt(c, "resources", "requests", "memory") == "" || strAt(c, "resources", "limits", "memory") == "" {
				t.Errorf("%s: want cpu and memory requests and a memory limit, got %v", cw, at(c, "resources"))
			}
			vars := maps.Clone(d.env)
			for _, e := range listAt(c, "env") {
				checkEnvNames(t, cw, known, []string{strAt(e, "name")})
				vars[strAt(e, "name")] = strAt(e, "value")
			}
			for _, ref := range listAt(c, "envFrom") {
				if n := strAt(ref, "configMapRef", "name"); n != "" {
					cm, ok := configMaps[n]
					if !ok {
						t.Errorf("%s reads ConfigMap %s, which is not there", cw, n)
					}
					maps.Copy(vars, cm)
				}
				if n := strAt(ref, "secretRef", "name"); n != "" {
					s, ok := secrets[n]
					if !ok {
						t.Errorf("%s reads Secret %s, which is not there", cw, n)
					}
					maps.Copy(vars, s)
				}
			}
			cfg := checkConfigAccepted(t, cw, vars)
			if cfg.DatabaseURL == "" {
				t.Errorf("%s has no PUNCHBOT_DATABASE_URL: replicas need PostgreSQL", cw)
			}
			for _, p := range listAt(c, "ports") {
				portNames = append(portNames, strAt(p, "name"))
				if got, want := strAt(p, "containerPort"), strconv.Itoa(portOf(t, cfg.Addr)); got != want {
					t.Errorf("%s: containerPort %s, but PUNCHBOT_ADDR %s listens on %s", cw, got, cfg.Addr, want)
				}
			}
			if args[0] == "serve" {
				for probe, wantPath := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
					path := strAt(c, probe, "httpGet", "path")
					if path != wantPath {
						t.Errorf("%s: %s path %q, want %s", cw, probe, path, wantPath)
					}
					if port := strAt(c, probe, "httpGet", "port"); !slices.Contains(portNames, port) {
						t.Errorf("%s: %s port %q is not a named container port %v", cw, probe, port, portNames)
					}
					checkProbe(t, cw+" "+probe, path)
				}
			}
		}
	}
	for _, doc := range docs {
		kind, name := strAt(doc, "kind"), strAt(doc, "metadata", "name")
		switch kind {
		case "Service":
			if !subset(mapAt(doc, "spec", "selector"), podLabels) {
				t.Errorf("%s Service %s selects %v, not the Deployment's pods %v", where, name, mapAt(doc, "spec", "selector"), podLabels)
			}
			for _, p := range listAt(doc, "spec", "ports") {
				if tp := strAt(p, "targetPort"); !slices.Contains(portNames, tp) {
					t.Errorf("%s Service %s targets port %q, not one of %v", where, name, tp, portNames)
				}
			}
		case "PodDisruptionBudget":
			if !subset(mapAt(doc, "spec", "selector", "matchLabels"), podLabels) {
				t.Errorf("%s PDB %s selects %v, not the Deployment's pods", where, name, mapAt(doc, "spec", "selector", "matchLabels"))
			}
			if strAt(doc, "spec", "minAvailable") == "" && strAt(doc, "spec", "maxUnavailable") == "" {
				t.Errorf("%s PDB %s has no budget", where, name)
			}
		}
	}
}

// readEnvFile reads KEY=value lines.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Errorf("%s: %q is not KEY=value", path, l)
		}
		vars[k] = v
	}
	return vars
}

// TestKubernetesManifests checks the kustomization and what it lists,
// with punchbot.env.example standing in for the Secret it generates.
func TestKubernetesManifests(t *testing.T) {
	dir := filepath.Join(deployDir, "k8s")
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources       []string `yaml:"resources"`
		SecretGenerator []struct {
			Name string   `yaml:"name"`
			Envs []string `yaml:"envs"`
		} `yaml:"secretGenerator"`
		Images []struct {
			Name string `yaml:"name"`
		} `yaml:"images"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	var docs []map[string]any
	for _, r := range k.Resources {
		b, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			t.Fatalf("kustomization lists %s: %v", r, err)
		}
		docs = append(docs, yamlDocs(t, r, b)...)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(k.Resources, base) {
			t.Errorf("%s is not listed in kustomization.yaml", base)
		}
	}
	secrets := map[string]map[string]string{}
	for _, g := range k.SecretGenerator {
		for _, e := range g.Envs {
			vars := readEnvFile(t, filepath.Join(dir, e+".example"))
			checkEnvNames(t, e+".example", knownEnv(t), slices.Collect(maps.Keys(vars)))
			secrets[g.Name] = vars
			if !gitIgnored(t, filepath.Join("cmd/punchbot", dir, e)) {
				t.Errorf("%s holds the secrets but is not in .gitignore", e)
			}
		}
	}
	checkManifests(t, "k8s", docs, secrets)
	for _, doc := range docs {
		for _, c := range append(listAt(doc, "spec", "template", "spec", "containers"), listAt(doc, "spec", "template", "spec", "initContainers")...) {
			if img := strAt(c, "image"); !slices.ContainsFunc(k.Images, func(i struct {
				Name string `yaml:"name"`
			}) bool {
				return i.Name == img
			}) {
				t.Errorf("container %s uses image %q, which kustomization.yaml's images do not set", strAt(c, "name"), img)
			}
		}
	}
}

// gitIgnored reports whether the repository's .gitignore names path.
func gitIgnored(t *testing.T, path string) bool {
	data, err := os.ReadFile("../../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l == "/"+path || l == path {
			return true
		}
	}
	return false
}

// renderChart renders the Helm chart in dir as `helm template punchbot
// dir --set …` would, with the functions the chart uses implemented here
// as Helm (sprig) defines them. set holds dotted value paths.
func renderChart(dir string, set map[string]any) (map[string]string, error) {
	var chart struct {
		Name       string `yaml:"name"`
		Version    string `yaml:"version"`
		AppVersion string `yaml:"appVersion"`
		APIVersion string `yaml:"apiVersion"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &chart); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %w", err)
	}
	if chart.APIVersion != "v2" || chart.Name == "" || !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(chart.Version) {
		return nil, fmt.Errorf("Chart.yaml: apiVersion %q, name %q, version %q: want v2, a name and a semantic version", chart.APIVersion, chart.Name, chart.Version)
	}
	var values map[string]any
	if data, err = os.ReadFile(filepath.Join(dir, "values.yaml")); err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("values.yaml: %w", err)
	}
	// Helm hands templates the values as JSON decodes them: every number
	// a float64, so `gt .Values.replicaCount 1` fails there and must here.
	if b, err := json.Marshal(values); err != nil {
		return nil, err
	} else if err := json.Unmarshal(b, &values); err != nil {
		return nil, err
	}
	for path, v := range set {
		keys := strings.Split(path, ".")
		m := values
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("--set %s: %s is not in values.yaml", path, k)
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
	root := template.New("chart").Option("missingkey=zero")
	root.Funcs(template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var b strings.Builder
			err := root.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"toYaml": func(v any) (string, error) {
			b, err := yaml.Marshal(v)
			return strings.TrimSuffix(string(b), "\n"), err
		},
		"nindent": func(n int, s string) string {
			return "\n" + strings.Repeat(" ", n) + strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
		},
		"quote": func(v any) string {
			if v == nil {
				return `""`
			}
			return strconv.Quote(fmt.Sprint(v))
		},
		"default": func(def any, given ...any) any {
			if len(given) == 0 || given[0] == nil || given[0] == "" || given[0] == false || given[0] == 0 {
				return def
			}
			return given[0]
		},
		"trunc": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"sha256sum": func(s string) string {
			h := sha256.Sum256([]byte(s))
			return hex.EncodeToString(h[:])
		},
		"fail": func(msg string) (string, error) { return "", errors.New(msg) },
		"int": func(v any) int {
			switch x := v.(type) {
			case float64:
				return int(x)
			case int:
				return x
			case string:
				n, _ := strconv.Atoi(x)
				return n
			}
			return 0
		},
	})
	tpls, _ := filepath.Glob(filepath.Join(dir, "templates", "*"))
	sort.Strings(tpls)
	for _, f := range tpls {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if _, err := root.New(filepath.Base(f)).Parse(string(b)); err != nil {
			return nil, err
		}
	}
	ctx := map[string]any{
		"Values":  values,
		"Chart":   map[string]any{"Name": chart.Name, "Version": chart.Version, "AppVersion": chart.AppVersion},
		"Release": map[string]any{"Name": "punchbot", "Namespace": "default", "Revision": 1, "Service": "Helm"},
	}
	out := map[string]string{}
	for _, f := range tpls {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		var b strings.Builder
		if err := root.ExecuteTemplate(&b, name, ctx); err != nil {
			return nil, err
		}
		out[name] = strings.ReplaceAll(b.String(), "<no value>", "")
	}
	return out, nil
}

// TestHelmChart renders the chart with a database and a secret set and
// applies the manifest checks; with the defaults it refuses to render,
// naming what to set.
func TestHelmChart(t *testing.T) {
	dir := filepath.Join(deployDir, "helm", "punchbot")
	set := map[string]any{
		"secret.env.PUNCHBOT_DATABASE_URL": "postgres://punchbot:pw@postgres:5432/punchbot",
		"secret.env.PUNCHBOT_REDIS_URL":    "redis://redis:6379/0",
		"secret.env.PUNCHBOT_SECRET":       strings.Repeat("k", minSecretBytes),
	}
	out, err := renderChart(dir, set)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	var docs []map[string]any
	for name, text := range out {
		if strings.HasSuffix(name, ".yaml") {
			docs = append(docs, yamlDocs(t, name, []byte(text))...)
		}
	}
	checkManifests(t, "helm", docs, nil)
	if !strings.Contains(out["NOTES.txt"], "punchbot doctor") {
		t.Errorf("NOTES.txt = %q, want how to check the deployment", out["NOTES.txt"])
	}

	// The defaults alone: more than one replica without a database or a
	// shared secret is refused with the value to set.
	if _, err := renderChart(dir, nil); err == nil || !strings.Contains(err.Error(), "secret.env.PUNCHBOT_DATABASE_URL is required") {
		t.Errorf("rendering the defaults: %v, want PUNCHBOT_DATABASE_URL required", err)
	}
	short := maps.Clone(set)
	short["secret.env.PUNCHBOT_SECRET"] = "short"
	if _, err := renderChart(dir, short); err == nil || !strings.Contains(err.Error(), "at least 32 characters") {
		t.Errorf("rendering with a short secret: %v, want it refused", err)
	}
	// With an existing Secret the chart creates none and reads that one.
	existing := maps.Clone(set)
	existing["secret.existingSecret"] = "punchbot-prod"
	out, err = renderChart(dir, existing)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out["secret.yaml"]) != "" || !strings.Contains(out["deployment.yaml"], "name: punchbot-prod") {
		t.Errorf("with secret.existingSecret: secret.yaml %q; the deployment should read punchbot-prod", out["secret.yaml"])
	}
}

// systemdUnit reads a unit file into its settings, in order.
func systemdUnit(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := map[string][]string{}
	section := ""
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[]")
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Errorf("%s: %q is not Key=value", path, l)
			}
			u[section+"."+k] = append(u[section+"."+k], v)
		}
	}
	return u
}

// TestSystemdUnit: the unit migrates and serves with commands that parse,
// its own environment is accepted, the SQLite file is in the state
// directory, and the hardening is on.
func TestSystemdUnit(t *testing.T) {
	dir := filepath.Join(deployDir, "systemd")
	u := systemdUnit(t, filepath.Join(dir, "punchbot.service"))
	known := knownEnv(t)
	one := func(key string) string {
		if len(u[key]) != 1 {
			t.Errorf("%s set %d times, want once", key, len(u[key]))
			return ""
		}
		return u[key][0]
	}
	exec := strings.Fields(one("Service.ExecStart"))
	if len(exec) == 0 || !filepath.IsAbs(exec[0]) || filepath.Base(exec[0]) != "punchbot" {
		t.Fatalf("ExecStart=%v, want the absolute path of punchbot", exec)
	}
	checkCommand(t, "ExecStart", exec[1:])
	if pre := strings.Fields(one("Service.ExecStartPre")); len(pre) < 2 || pre[0] != exec[0] || pre[1] != "migrate" {
		t.Errorf("ExecStartPre=%v, want %s migrate", pre, exec[0])
	} else {
		checkCommand(t, "ExecStartPre", pre[1:])
	}
	vars := map[string]string{}
	for _, e := range u["Service.Environment"] {
		k, v, _ := strings.Cut(e, "=")
		vars[k] = v
	}
	example := readEnvFile(t, filepath.Join(dir, "punchbot.env.example"))
	checkEnvNames(t, "Environment=", known, slices.Collect(maps.Keys(vars)))
	checkEnvNames(t, "punchbot.env.example", known, slices.Collect(maps.Keys(example)))
	maps.Copy(example, vars)
	example["PUNCHBOT_SECRET"] = strings.Repeat("k", minSecretBytes) // the example leaves it to fill in
	cfg := checkConfigAccepted(t, "systemd unit with punchbot.env.example", example)
	state := "/var/lib/" + one("Service.StateDirectory")
	if filepath.Dir(cfg.DBPath) != state || one("Service.WorkingDirectory") != state {
		t.Errorf("PUNCHBOT_DB_PATH=%s and WorkingDirectory=%s, want both in the StateDirectory %s", cfg.DBPath, one("Service.WorkingDirectory"), state)
	}
	if one("Service.EnvironmentFile") == "" {
		t.Error("no EnvironmentFile")
	}
	if one("Service.DynamicUser") != "yes" && one("Service.User") == "" {
		t.Error("the unit runs as root: want DynamicUser=yes or User=punchbot")
	}
	for key, want := range map[string]string{
		"Service.ProtectSystem": "strict", "Service.ProtectHome": "yes", "Service.NoNewPrivileges": "yes",
		"Service.PrivateTmp": "yes", "Service.CapabilityBoundingSet": "",
		// run exits 2 on a configuration error (TestConfigErrors): a
		// restart would only repeat it.
		"Service.RestartPreventExitStatus": "2",
		"Install.WantedBy":                 "multi-user.target",
	} {
		if got := one(key); got != want {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}
}

// TestDeployReadme: the deploy README gives each one-command deployment
// and every file it names exists.
func TestDeployReadme(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, want := range []string{
		"docker compose -f cmd/punchbot/deploy/compose.yaml up",
		"docker build -f cmd/punchbot/deploy/Dockerfile .",
		"kubectl apply -k cmd/punchbot/deploy/k8s",
		"helm install punchbot cmd/punchbot/deploy/helm/punchbot",
		"systemctl enable --now punchbot",
		".ci/release",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("deploy README lacks %q", want)
		}
	}
	for _, m := range regexp.MustCompile("`(cmd/punchbot/deploy/[^` ]+)`").FindAllStringSubmatch(readme, -1) {
		if _, err := os.Stat(filepath.Join("../..", m[1])); err != nil {
			t.Errorf("deploy README names %s: %v", m[1], err)
		}
	}
}
