package main

import (
	"sort"
	"strings"
	"testing"
)

// freeText are the variables any value is valid for: tokens, secrets
// and names punchbot passes on as they are (a wrong one shows in
// `punchbot doctor`, against the real platform).
var freeText = map[string]bool{
	"PUNCHBOT_ADMIN_TOKEN": true, "PUNCHBOT_CONTACT": true,
	"PUNCHBOT_SLACK_SIGNING_SECRET": true, "PUNCHBOT_SLACK_BOT_TOKEN": true,
	"PUNCHBOT_FEISHU_APP_ID": true, "PUNCHBOT_FEISHU_APP_SECRET": true, "PUNCHBOT_FEISHU_VERIFICATION_TOKEN": true, "PUNCHBOT_FEISHU_ENCRYPT_KEY": true,
	"PUNCHBOT_WECOM_CORP_ID": true, "PUNCHBOT_WECOM_SECRET": true, "PUNCHBOT_WECOM_TOKEN": true, "PUNCHBOT_WECOM_ENCODING_AES_KEY": true,
}

// TestEveryVariableIsValidated sets each variable punchbot reads to
// nonsense, alone: every one that is not free text must be refused with an
// error naming it. A new variable read without validation fails here.
func TestEveryVariableIsValidated(t *testing.T) {
	names := make([]string, 0, len(knownVariables()))
	for k := range knownVariables() {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		vars := map[string]string{name: "no such value"}
		switch name {
		case "PUNCHBOT_DB_PATH":
			vars[name] = "/var/lib/punchbot/" // a directory, not a file
		case "PUNCHBOT_WECOM_AGENT_ID":
			// Checked once the corp id enables WeCom.
			for k, v := range map[string]string{"CORP_ID": "ww1", "SECRET": "s", "TOKEN": "t", "ENCODING_AES_KEY": "k"} {
				vars["PUNCHBOT_WECOM_"+k] = v
			}
		}
		_, err := loadConfig(func(k string) string { return vars[k] })
		switch {
		case freeText[name] && err != nil && strings.Contains(err.Error(), name+":"):
			t.Errorf("%s is free text, but %q is refused: %v", name, vars[name], err)
		case !freeText[name] && (err == nil || !strings.Contains(err.Error(), name+":")):
			t.Errorf("%s=%q: error %v, want it refused by name", name, vars[name], err)
		}
	}
}
