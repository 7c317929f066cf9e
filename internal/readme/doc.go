// Package readme holds the test that keeps the README's Go code true: every
// Go block the README marks with
//
//	<!-- snippet: examples/quickstart/main.go#run -->
//
// must equal, byte for byte, the region of that file between
//
//	// snippet:start run
//	// snippet:end run
//
// with the marker lines dropped, blank lines at either end trimmed and the
// region's common leading tabs removed (a region inside a function reads
// unindented in the README). The files are compiled, and their tests run
// them, so the README shows code that builds and works. Every Go block in
// the README's "Five-minute integration" section must carry a marker.
//
// After changing a marked region, copy it into the README with
//
//	go test ./internal/readme -update
package readme
