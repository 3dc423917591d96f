package slack_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	punchslack "github.com/punchbot/punchbot/bots/slack"
)

// TestManifest keeps the app manifest in step with the handlers: the request
// URLs Register mounts, the events the bot reads and the scopes it needs.
func TestManifest(t *testing.T) {
	buf, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				MessagesTab bool `yaml:"messages_tab_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct{ Command, URL string } `yaml:"slash_commands"`
		}
		OAuth struct {
			Scopes struct{ Bot []string }
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				URL    string   `yaml:"request_url"`
				Events []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool   `yaml:"is_enabled"`
				URL     string `yaml:"request_url"`
			}
		}
	}
	if err := yaml.Unmarshal(buf, &m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/punch" || m.Features.SlashCommands[0].URL != "{PUBLIC_URL}/slack/commands" {
		t.Errorf("slash commands = %+v, want /punch at {PUBLIC_URL}/slack/commands", m.Features.SlashCommands)
	}
	if !m.Features.AppHome.MessagesTab {
		t.Errorf("the messages tab must be on, or users cannot DM the bot")
	}
	if m.Settings.Events.URL != "{PUBLIC_URL}/slack/events" || !slices.Contains(m.Settings.Events.Events, "message.im") || !slices.Contains(m.Settings.Events.Events, "app_mention") {
		t.Errorf("event subscriptions = %+v", m.Settings.Events)
	}
	if !m.Settings.Interactivity.Enabled || m.Settings.Interactivity.URL != "{PUBLIC_URL}/slack/interactions" {
		t.Errorf("interactivity = %+v", m.Settings.Interactivity)
	}
	if got, want := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot)), punchslack.RequiredScopes(); !slices.Equal(got, want) {
		t.Errorf("manifest bot scopes = %v, want exactly RequiredScopes %v (bots/slack/scopes.go)", got, want)
	}
}

// apiCall finds the slack-go client calls in the bot's source: b.api.X(.
var apiCall = regexp.MustCompile(`\bapi\.([A-Z]\w*)\(`)

// TestScopes fails when the code calls a Slack API whose scope the
// manifest or the README does not grant, or when either grants a scope
// nothing uses: every b.api call must be in ClientMethods, every method it
// calls in APIScopes, every table entry must be called, and manifest.yaml,
// README.md and SETUP.md must list exactly RequiredScopes.
func TestScopes(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	called := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range apiCall.FindAllStringSubmatch(string(src), -1) {
			method, ok := punchslack.ClientMethods[m[1]]
			if !ok {
				t.Errorf("%s calls slack-go %s, which ClientMethods (scopes.go) does not map to a Web API method", f, m[1])
				continue
			}
			if _, ok := punchslack.APIScopes[method]; !ok {
				t.Errorf("%s calls %s (%s), which APIScopes does not list with its scope", f, method, m[1])
			}
			called[method] = true
		}
	}
	for method := range punchslack.APIScopes {
		if !called[method] {
			t.Errorf("APIScopes lists %s, which the code never calls: drop it and its scope", method)
		}
	}
	want := punchslack.RequiredScopes()
	for _, doc := range []struct{ path, section string }{{"../../README.md", "### Slack"}, {"SETUP.md", "## Slack"}} {
		got, err := docScopes(doc.path, doc.section)
		if err != nil {
			t.Errorf("%s: %v", doc.path, err)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s lists the bot scopes %v, want exactly %v", doc.path, got, want)
		}
	}
}

// docScopes reads the bullet list after "Bot token scopes" in the named
// section of a Markdown file: the first `code` of each "- " item.
func docScopes(path, section string) ([]string, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := string(buf)
	i := strings.Index(text, "\n"+section+"\n")
	if i < 0 && strings.HasPrefix(text, section+"\n") {
		i = 0
	}
	if i < 0 {
		return nil, fmt.Errorf("no %q section", section)
	}
	text = text[i:]
	j := strings.Index(text, "Bot token scopes")
	if j < 0 {
		return nil, fmt.Errorf("no \"Bot token scopes\" list in %q", section)
	}
	var out []string
	lines := strings.Split(text[j:], "\n")[1:]
	for _, l := range lines {
		if strings.HasPrefix(l, "  ") && len(out) > 0 {
			continue // an item's continuation line
		}
		l = strings.TrimSpace(l)
		if l == "" && len(out) == 0 {
			continue
		}
		if !strings.HasPrefix(l, "- `") {
			break
		}
		rest := l[len("- `"):]
		out = append(out, rest[:strings.IndexByte(rest, '`')])
	}
	slices.Sort(out)
	return out, nil
}
