package core

// A reminder's HR-written text in two languages. Text is the Chinese text
// (or the one text for everybody) and TextEn the English one, as the org
// file writes a person's name once and their language beside it: each
// person is addressed in Employee.Lang, which Prepare defaults to the
// organisation's.

// TextFor returns the reminder's text for a reader of lang ("zh" or
// "en"): TextEn for English when there is one, else Text.
func (r Reminder) TextFor(lang string) string {
	if lang == "en" && r.TextEn != "" {
		return r.TextEn
	}
	return r.Text
}

// ChatText is the text a group chat or channel gets. A chat's members
// read both languages or either, and nothing says which: with an English
// text it gets both, lang's (the chats' language) first and a blank line
// between, so no member is left without one they read, at the cost of a
// longer message. Without one it is Text.
func (r Reminder) ChatText(lang string) string {
	if r.TextEn == "" || r.TextEn == r.Text {
		return r.Text
	}
	if lang == "en" {
		return r.TextEn + "\n\n" + r.Text
	}
	return r.Text + "\n\n" + r.TextEn
}
