package slack_test

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
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
	for _, s := range []string{"commands", "chat:write", "im:history", "app_mentions:read", "users:read"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, s) {
			t.Errorf("bot scopes %v lack %s", m.OAuth.Scopes.Bot, s)
		}
	}
}
