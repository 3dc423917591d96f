package core

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPlausibleAccuracyM is the vaguest fix any channel may hand the core. A
// fix vaguer than 100 km says nothing about where the person is; the
// browser's location page refuses it before it is sent, and Verify refuses it
// from chat platforms too (WeCom's LOCATION event carries the phone's own
// Precision figure, unchecked).
const MaxPlausibleAccuracyM = 100_000

// maxIDLen bounds platform ids, event ids and sources: real ones are well
// under 100 characters, and a longer one is not an id anyone issued.
const maxIDLen = 256

// TextProblem says why s cannot be stored as text: PostgreSQL refuses NUL in
// text and jsonb, invalid UTF-8 breaks every renderer, and other control
// characters are invisible in the console and can separate ids inside
// stores. It returns "" when s is fine. Tabs and newlines are ordinary text.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if i := strings.IndexFunc(s, badControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Sprintf("contains the control character %U", r)
	}
	return ""
}

// CleanText returns s with invalid UTF-8 replaced by U+FFFD and control
// characters other than tab and newline removed. Free text a person typed
// or a platform labelled (a place name, a make-up reason) is cleaned rather
// than refused, so that the punch or the request still goes through.
func CleanText(s string) string {
	if TextProblem(s) == "" {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if badControl(r) {
			return -1
		}
		return r
	}, s)
}

func badControl(r rune) bool { return r != '\t' && r != '\n' && unicode.IsControl(r) }

// idProblem says why s cannot be an identifier.
func idProblem(s string) string {
	if len(s) > maxIDLen {
		return fmt.Sprintf("is %d bytes long; ids are at most %d", len(s), maxIDLen)
	}
	if p := TextProblem(s); p != "" {
		return p
	}
	if strings.ContainsAny(s, "\t\n") {
		return "contains a tab or a line break"
	}
	return ""
}

// sanitize refuses a command whose identifiers cannot be stored (a forged or
// broken callback: nothing about it is recorded, the bot answers 4xx) and
// cleans its free text. It is the one place every channel's input passes.
func (c Command) sanitize() (Command, error) {
	ids := []struct{ name, value string }{
		{"user id", c.Actor.UserID}, {"tenant", c.Actor.Tenant}, {"event id", c.EventID}, {"source", c.Source},
		{"client address", c.ClientIP},
	}
	for _, alt := range c.AltUserIDs {
		ids = append(ids, struct{ name, value string }{"user id", alt})
	}
	for _, id := range ids {
		if p := idProblem(id.value); p != "" {
			return c, Errorf(EINVALID, "the command's %s %s", id.name, p)
		}
	}
	if p := TextProblem(c.ReplyRoute); p != "" {
		return c, Errorf(EINVALID, "the command's reply route %s", p)
	}
	if c.Location != nil {
		l := *c.Location
		l.Label = CleanText(l.Label)
		c.Location = &l
	}
	if c.Makeup != nil {
		m := *c.Makeup
		m.Reason, m.Note, m.Date, m.Clock = CleanText(m.Reason), CleanText(m.Note), CleanText(m.Date), CleanText(m.Clock)
		m.Evidence = cleanAll(m.Evidence)
		c.Makeup = &m
	}
	return c, nil
}

func cleanAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, CleanText(s))
	}
	return out
}

// plausibleAccuracy reports whether a fix's accuracy can be used at all:
// finite, not negative, and no vaguer than MaxPlausibleAccuracyM.
func plausibleAccuracy(a float64) bool {
	return !math.IsNaN(a) && !math.IsInf(a, 0) && a >= 0 && a <= MaxPlausibleAccuracyM
}
