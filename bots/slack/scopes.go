package slack

import (
	_ "embed"
	"fmt"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed manifest.yaml
var manifestYAML []byte

// RequiredScopes returns the bot token scopes the app manifest asks for
// (oauth_config.scopes.bot in manifest.yaml). The manifest is the one list:
// `punchbot doctor` compares an installed token's scopes with it, so a scope
// added there is checked without a second list to keep in step.
func RequiredScopes() []string {
	return append([]string(nil), manifestScopes()...)
}

var manifestScopes = sync.OnceValue(func() []string {
	var m struct {
		OAuth struct {
			Scopes struct{ Bot []string }
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(manifestYAML, &m); err != nil {
		// The file is compiled in and TestManifest parses it, so this is a
		// build that should never have shipped.
		panic(fmt.Sprintf("slack: embedded manifest.yaml: %v", err))
	}
	return m.OAuth.Scopes.Bot
})
