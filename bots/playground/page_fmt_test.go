package playground

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// TestPageShowsSlackTextAsSlackDoes: Slack text escapes <, > and & (Slack's
// "Formatting text for app surfaces", section "Escaping text"), and a
// Slack client shows them unescaped; the page showed "leave cancel
// &lt;number&gt;" literally. The page's own fmt runs under node with a
// minimal DOM; other platforms' text is left as it is, and an escaped link
// shows its URL, never a label.
func TestPageShowsSlackTextAsSlackDoes(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the page's fmt is not run")
	}
	page, err := os.ReadFile("assets/page.html")
	if err != nil {
		t.Fatal(err)
	}
	var src string
	for _, name := range []string{"el", "unslack", "fmt"} {
		m := regexp.MustCompile(`(?s)\nfunction ` + name + `\(.*?\n}\n`).Find(page)
		if m == nil {
			t.Fatalf("page.html has no function %s", name)
		}
		src += string(m)
	}
	tests := []struct {
		Text  string
		Slack bool
		want  string // the text a reader sees, links as [label](href)
	}{
		{"• withdraw: leave cancel &lt;number&gt;", true, "• withdraw: leave cancel <number>"},
		{"R&amp;D &amp;lt; sales", true, "R&D &lt; sales"},
		{"<https://x.example/l/a?b=1&amp;c=2|📍 Share &lt;here&gt;>", true, "[📍 Share <here>](https://x.example/l/a?b=1&c=2)"},
		{"&lt;https://evil.example|bank&gt;", true, "<[https://evil.example|bank](https://evil.example|bank)>"}, // no label hides the URL
		{"see https://x.example/a&gt; now", true, "see [https://x.example/a](https://x.example/a)> now"},
		{"*&lt;b&gt;*", true, "**<b>**"},
		{"请假 取消 &lt;编号&gt;", false, "请假 取消 &lt;编号&gt;"},
	}
	cases, _ := json.Marshal(tests)
	script := `
function mk(tag) { return {tag, kids: [], className: "", set textContent(v) { this.kids = [String(v)]; }, append(...xs) { this.kids.push(...xs); }}; }
const document = {createElement: mk, createDocumentFragment: () => mk("#")};
function show(n) {
  if (typeof n === "string") return n;
  const inner = n.kids.map(show).join("");
  if (n.tag === "a") return "[" + inner + "](" + n.href + ")";
  if (n.tag === "b") return "**" + inner + "**";
  return inner;
}
` + src + `
const out = [];
for (const c of ` + string(cases) + `) out.push(show(fmt(c.Text, c.Slack)));
console.log(JSON.stringify(out));
`
	cmd := exec.Command(node, "-e", script)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, b)
	}
	var got []string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("node printed %s: %v", b, err)
	}
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("fmt(%q, slack=%v) shows %q, want %q", tt.Text, tt.Slack, got[i], tt.want)
		}
	}
}
