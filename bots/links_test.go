package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestLinkCommand(t *testing.T) {
	tests := []struct {
		text    string
		ok      bool
		purpose string
	}{
		{"/punch admin", true, core.LinkConsole},
		{"管理", true, core.LinkConsole},
		{"我的数据", true, core.LinkMyData},
		{"my data", true, core.LinkMyData},
		{"mydata", true, core.LinkMyData},
		{"in", false, ""},
		{"补卡", false, ""},
	}
	for _, tc := range tests {
		cmd := core.Command{Kind: core.CmdHelp}
		ok := LinkCommand(Parse(tc.text), &cmd)
		if ok != tc.ok || cmd.LinkPurpose != tc.purpose || (ok && cmd.Kind != core.CmdLink) || (!ok && cmd.Kind != core.CmdHelp) {
			t.Errorf("LinkCommand(%q) = %v, %+v; want %v with purpose %q", tc.text, ok, cmd, tc.ok, tc.purpose)
		}
	}
}

func TestLinkHeadline(t *testing.T) {
	at := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	r := core.Reply{Outcome: core.OutcomeLink, Link: "https://p.example/auth/x", LinkPurpose: core.LinkConsole, At: at, LinkExpires: at.Add(10 * time.Minute)}
	tests := []struct {
		purpose, lang string
		want          []string
	}{
		{core.LinkConsole, "zh", []string{"控制台", "10 分钟", "\nhttps://p.example/auth/x"}},
		{core.LinkConsole, "en", []string{"console", "10 minutes", "\nhttps://p.example/auth/x"}},
		{core.LinkMyData, "zh", []string{"个人数据", "导出", "https://p.example/auth/x"}},
		{core.LinkMyData, "en", []string{"stores about you", "export", "https://p.example/auth/x"}},
	}
	for _, tc := range tests {
		r.LinkPurpose = tc.purpose
		got := Headline(r, tc.lang)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("Headline(%s, %s) = %q, want it to contain %q", tc.purpose, tc.lang, got, w)
			}
		}
	}
}
