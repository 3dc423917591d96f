package main

import (
	"io"
	"os"
)

// isTerminal reports whether w is a terminal, which binary output would
// garble: a character device other than /dev/null. A pipe or a file is
// fine. Writers that are not files (tests, buffers) are not terminals.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}
