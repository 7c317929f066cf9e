package readme

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "copy the marked source regions into README.md")

const root = "../.."

// markerRE matches the line before a README code block taken from source.
var markerRE = regexp.MustCompile(`^<!-- snippet: ([^#\s]+)#([\w.-]+) -->$`)

// guideHeading starts the README section whose Go blocks must all be marked.
const guideHeading = "## Five-minute integration"

// block is one marked Go block of the README.
type block struct {
	file, name string
	line       int // 1-based line of the block's first code line
	start, end int // code lines are lines[start:end]
}

func (b block) id() string { return b.file + "#" + b.name }

// parseREADME finds the marked blocks, and reports unmarked Go blocks in the
// guide and malformed markers as problems.
func parseREADME(lines []string) (blocks []block, problems []string) {
	inGuide := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "## "):
			inGuide = l == guideHeading
		case strings.HasPrefix(l, "<!-- snippet:"):
			m := markerRE.FindStringSubmatch(l)
			if m == nil {
				problems = append(problems, fmt.Sprintf("README.md:%d: malformed marker %q (want <!-- snippet: path#name -->)", i+1, l))
				continue
			}
			if i+1 >= len(lines) || lines[i+1] != "```go" {
				problems = append(problems, fmt.Sprintf("README.md:%d: marker %s#%s is not followed by a ```go block", i+1, m[1], m[2]))
				continue
			}
			b := block{file: m[1], name: m[2], line: i + 3, start: i + 2}
			j := b.start
			for j < len(lines) && lines[j] != "```" {
				j++
			}
			if j == len(lines) {
				problems = append(problems, fmt.Sprintf("README.md:%d: block %s never closes", i+2, b.id()))
				return blocks, problems
			}
			b.end = j
			blocks = append(blocks, b)
			i = j
		case strings.HasPrefix(l, "```"):
			if inGuide && l == "```go" {
				problems = append(problems, fmt.Sprintf("README.md:%d: a Go block in %q without a snippet marker: take it from compiled code", i+1, guideHeading))
			}
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			}
		}
	}
	return blocks, problems
}

// region extracts the named region of a Go file as the README shows it.
func region(src []byte, name string) (string, error) {
	startMark, endMark := "// snippet:start "+name, "// snippet:end "+name
	lines := strings.Split(string(src), "\n")
	from, to := -1, -1
	for i, l := range lines {
		switch strings.TrimSpace(l) {
		case startMark:
			if from >= 0 {
				return "", fmt.Errorf("two %q markers", startMark)
			}
			from = i + 1
		case endMark:
			if to >= 0 {
				return "", fmt.Errorf("two %q markers", endMark)
			}
			to = i
		}
	}
	if from < 0 || to < 0 || to < from {
		return "", fmt.Errorf("no region %q (want %q … %q)", name, startMark, endMark)
	}
	body := lines[from:to]
	for len(body) > 0 && strings.TrimSpace(body[0]) == "" {
		body = body[1:]
	}
	for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
		body = body[:len(body)-1]
	}
	indent := -1
	for _, l := range body {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "\t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	out := make([]string, len(body))
	for i, l := range body {
		if len(l) >= indent && indent > 0 {
			l = l[indent:]
		}
		out[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(out, "\n"), nil
}

// firstDiff describes where got and want first differ, line by line.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		gok, wok := i < len(g), i < len(w)
		if gok {
			gl = g[i]
		}
		if wok {
			wl = w[i]
		}
		if gok && wok && gl == wl {
			continue
		}
		show := func(ok bool, l string) string {
			if !ok {
				return "(nothing)"
			}
			return fmt.Sprintf("%q", l)
		}
		return fmt.Sprintf("line %d of the block:\n\t- README: %s\n\t+ source: %s", i+1, show(gok, gl), show(wok, wl))
	}
	return ""
}

func TestSnippets(t *testing.T) {
	path := filepath.Join(root, "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(readme), "\n")
	blocks, problems := parseREADME(lines)
	for _, p := range problems {
		t.Error(p)
	}
	if len(blocks) == 0 {
		t.Fatal("README.md marks no snippet")
	}
	changed := false
	// Replace from the last block so earlier line numbers stay valid.
	for k := len(blocks) - 1; k >= 0; k-- {
		b := blocks[k]
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(b.file)))
		if err != nil {
			t.Errorf("README.md:%d: snippet %s: %v", b.line, b.id(), err)
			continue
		}
		want, err := region(src, b.name)
		if err != nil {
			t.Errorf("README.md:%d: snippet %s: %v", b.line, b.id(), err)
			continue
		}
		got := strings.Join(lines[b.start:b.end], "\n")
		if got == want {
			continue
		}
		if *update {
			lines = append(lines[:b.start], append(strings.Split(want, "\n"), lines[b.end:]...)...)
			changed = true
			continue
		}
		t.Errorf("README.md:%d: snippet %s drifted from its source, at %s\n(go test ./internal/readme -update copies the source into README.md)",
			b.line, b.id(), firstDiff(got, want))
	}
	if changed {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README.md updated")
	}
}

// TestDriftIsCaught checks the checker: a changed line, a missing line and
// an unmarked Go block in the guide are each reported, naming the snippet.
func TestDriftIsCaught(t *testing.T) {
	src := []byte("package p\n\nfunc f() {\n\t// snippet:start body\n\tx := 1\n\n\t_ = x\n\t// snippet:end body\n}\n")
	want, err := region(src, "body")
	if err != nil {
		t.Fatal(err)
	}
	if want != "x := 1\n\n_ = x" {
		t.Fatalf("region = %q", want)
	}
	if _, err := region(src, "other"); err == nil {
		t.Error("a missing region is not reported")
	}
	for _, c := range []struct{ readme, wantIn string }{
		{"x := 2\n\n_ = x", `- README: "x := 2"`},
		{"x := 1\n\n_ = x\ny()", `+ source: (nothing)`},
		{"x := 1\n_ = x", `line 2 of the block`},
	} {
		if d := firstDiff(c.readme, want); !strings.Contains(d, c.wantIn) {
			t.Errorf("diff of %q: %q lacks %q", c.readme, d, c.wantIn)
		}
	}
	readme := strings.Split("# t\n\n"+guideHeading+"\n\n<!-- snippet: a.go#body -->\n```go\nx\n```\n\n```go\ny\n```\n\n## Other\n\n```go\nz\n```\n", "\n")
	blocks, problems := parseREADME(readme)
	if len(blocks) != 1 || blocks[0].id() != "a.go#body" || strings.Join(readme[blocks[0].start:blocks[0].end], "\n") != "x" {
		t.Errorf("blocks = %+v", blocks)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "README.md:10:") {
		t.Errorf("problems = %q, want one for the unmarked block on line 10", problems)
	}
	if !bytes.Contains([]byte(problems[0]), []byte("without a snippet marker")) {
		t.Errorf("problem %q does not say what is wrong", problems[0])
	}
}
