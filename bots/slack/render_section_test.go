package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"
)

// TestSectionFitsSlacksLimit: a section block's text is at most 3000
// characters (https://docs.slack.dev/reference/block-kit/blocks/section-block);
// past it Slack refuses the whole message as invalid_blocks. section cuts a
// longer text, at a line break near the end when there is one, and says so
// with an ellipsis; a text that fits is left alone.
func TestSectionFitsSlacksLimit(t *testing.T) {
	// 4,000 characters in lines of 100: the cut falls after the 29th line
	// break (rune 2899), not in the middle of the 30th line.
	lines := strings.Repeat(strings.Repeat("打", 99)+"\n", 40)
	tests := []struct {
		name, text, want string
	}{
		{"short", "✅ Clock-in recorded at 09:00", "✅ Clock-in recorded at 09:00"},
		{"exactly 3000", strings.Repeat("a", 3000), strings.Repeat("a", 3000)},
		{"3001 characters", strings.Repeat("a", 3001), strings.Repeat("a", 2999) + "…"},
		{"Chinese, cut at a line break", lines, string([]rune(lines)[:2899]) + "…"},
	}
	for _, tt := range tests {
		b := section(tt.text).(*slackapi.SectionBlock)
		got := b.Text.Text
		if n := utf8.RuneCountInString(got); n > 3000 {
			t.Errorf("%s: section text has %d characters, Slack refuses over 3000", tt.name, n)
		}
		if got != tt.want {
			t.Errorf("%s: section text = %d characters ending %q, want %d ending %q", tt.name,
				utf8.RuneCountInString(got), tail(got), utf8.RuneCountInString(tt.want), tail(tt.want))
		}
	}
}

func tail(s string) string {
	r := []rune(s)
	return string(r[max(0, len(r)-3):])
}
