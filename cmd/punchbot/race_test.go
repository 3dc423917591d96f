//go:build race

package main

// raceEnabled: this test binary runs with the race detector, which makes
// the in-process load generator several times slower than the server it
// drives (see TestOutsideInOverload).
const raceEnabled = true
