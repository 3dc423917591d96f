package sim

import (
	"fmt"
	"unicode/utf8"
)

type rule struct{ rule, doc string }

// checkBlocks is Block Kit's limits: at most max blocks (50 in a message,
// 100 in a modal); block_id at most 255 characters; a header's plain text
// at most 150; a section's text at most 3000 and at most 10 fields of
// 2000; at most 25 elements in actions and 10 in context; a button's text
// at most 75, action_id 255, value 2000 and url 3000 characters.
func checkBlocks(blocks []any, max int) []rule {
	var out []rule
	bad := func(doc, format string, args ...any) { out = append(out, rule{fmt.Sprintf(format, args...), doc}) }
	long := func(s string, n int) bool { return utf8.RuneCountInString(s) > n }
	if len(blocks) > max {
		bad(docSlackBlocks, "%d blocks, at most %d", len(blocks), max)
	}
	for i, b := range blocks {
		if long(str(b, "block_id"), 255) {
			bad(docSlackBlocks, "blocks[%d].block_id is over 255 characters", i)
		}
		switch t := str(b, "type"); t {
		case "header":
			if long(str(b, "text", "text"), 150) || str(b, "text", "type") != "plain_text" {
				bad(docSlackBlocks+"#header", "blocks[%d] header needs plain_text of at most 150 characters", i)
			}
		case "section":
			txt, fields := str(b, "text", "text"), list(b, "fields")
			if txt == "" && len(fields) == 0 {
				bad(docSlackBlocks+"#section", "blocks[%d] section has neither text nor fields", i)
			}
			if long(txt, 3000) {
				bad(docSlackBlocks+"#section", "blocks[%d] section text is over 3000 characters", i)
			}
			if len(fields) > 10 {
				bad(docSlackBlocks+"#section", "blocks[%d] section has %d fields, at most 10", i, len(fields))
			}
			for j, f := range fields {
				if long(str(f, "text"), 2000) {
					bad(docSlackBlocks+"#section", "blocks[%d].fields[%d] is over 2000 characters", i, j)
				}
			}
			if a, ok := b.(map[string]any)["accessory"]; ok {
				out = append(out, checkElement(i, a)...)
			}
		case "actions":
			els := list(b, "elements")
			if len(els) == 0 || len(els) > 25 {
				bad(docSlackBlocks+"#actions", "blocks[%d] actions has %d elements, wants 1 to 25", i, len(els))
			}
			for _, el := range els {
				out = append(out, checkElement(i, el)...)
			}
		case "context":
			if n := len(list(b, "elements")); n == 0 || n > 10 {
				bad(docSlackBlocks+"#context", "blocks[%d] context has %d elements, wants 1 to 10", i, n)
			}
		case "":
			bad(docSlackBlocks, "blocks[%d] has no type", i)
		}
	}
	return out
}

func checkElement(i int, el any) []rule {
	if str(el, "type") != "button" {
		return nil
	}
	var out []rule
	long := func(s string, n int) bool { return utf8.RuneCountInString(s) > n }
	switch {
	case str(el, "text", "text") == "" || long(str(el, "text", "text"), 75):
		out = append(out, rule{fmt.Sprintf("blocks[%d] button text must be 1 to 75 characters", i), docSlackButton})
	case long(str(el, "action_id"), 255):
		out = append(out, rule{fmt.Sprintf("blocks[%d] button action_id is over 255 characters", i), docSlackButton})
	case long(str(el, "value"), 2000):
		out = append(out, rule{fmt.Sprintf("blocks[%d] button value is over 2000 characters", i), docSlackButton})
	case long(str(el, "url"), 3000):
		out = append(out, rule{fmt.Sprintf("blocks[%d] button url is over 3000 characters", i), docSlackButton})
	}
	if st := str(el, "style"); st != "" && st != "primary" && st != "danger" {
		out = append(out, rule{fmt.Sprintf("blocks[%d] button style %q is not primary or danger", i, st), docSlackButton})
	}
	return out
}
