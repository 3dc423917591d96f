package scheduler

// SetDeadlineChunk sets how many people's punches the make-up deadline
// reminder reads at once, for a test of the chunking; it returns a func
// that restores the default.
func SetDeadlineChunk(n int) (restore func()) {
	old := deadlineChunk
	deadlineChunk = n
	return func() { deadlineChunk = old }
}
