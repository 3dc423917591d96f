package admin

import (
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml.v3's emitter counts every character beyond the Basic Multilingual
// Plane as unprintable and writes it as an escape, so a broadcast's "📢
// 本周五…" came out as "\U0001F4E2 本周五…". YAML allows such characters
// as they are (c-printable includes #x10000-#x10FFFF), so the export hides
// each behind a private-use character the emitter does print, then puts
// the real one back.

// placeholdAstral replaces, in every scalar under n, each character above
// U+FFFF with a private-use character no scalar uses, and returns the
// replacer that restores them in the emitted text; nil when there is
// nothing to restore or not enough unused private-use characters.
func placeholdAstral(n *yaml.Node) *strings.Replacer {
	used := map[rune]bool{}
	var astral []rune
	seen := map[rune]bool{}
	walkScalars(n, func(s *yaml.Node) {
		for _, r := range s.Value {
			used[r] = true
			if r > 0xFFFF && !seen[r] {
				seen[r] = true
				astral = append(astral, r)
			}
		}
	})
	if len(astral) == 0 {
		return nil
	}
	to := map[rune]rune{}
	var pairs []string
	next := rune(0xE000)
	for _, r := range astral {
		for next <= 0xF8FF && used[next] {
			next++
		}
		if next > 0xF8FF {
			return nil
		}
		to[r] = next
		pairs = append(pairs, string(next), string(r))
		next++
	}
	walkScalars(n, func(s *yaml.Node) {
		if strings.ContainsFunc(s.Value, func(r rune) bool { return r > 0xFFFF }) {
			// Quoted only for the escapes: let the emitter choose again.
			s.Style &^= yaml.DoubleQuotedStyle
		}
		s.Value = strings.Map(func(r rune) rune {
			if p, ok := to[r]; ok {
				return p
			}
			return r
		}, s.Value)
	})
	return strings.NewReplacer(pairs...)
}

func walkScalars(n *yaml.Node, f func(*yaml.Node)) {
	if n.Kind == yaml.ScalarNode {
		f(n)
	}
	for _, c := range n.Content {
		walkScalars(c, f)
	}
}

// sameYAML reports whether a and b decode to the same values, so a
// restored export is used only when it says exactly what the escaped one
// does.
func sameYAML(a, b []byte) bool {
	var va, vb any
	if yaml.Unmarshal(a, &va) != nil || yaml.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
