//go:build !race

// Package race tells tests whether the race detector is on: under it
// sync.Pool drops items at random, so the pools of encoding/json and
// regexp allocate where they otherwise would not, and a test counting
// allocations has nothing to count. .ci/run runs those tests again
// without the detector.
package race

// Enabled is true in a binary built with -race.
const Enabled = false
