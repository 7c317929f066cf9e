package notify_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNotifyEntersThroughOneMethod: the notify package parses and verifies
// only. It reaches the Service through one method, knows no payment type,
// and leaves HTTP status codes to the adapters.
func TestNotifyEntersThroughOneMethod(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "net/http" {
				t.Errorf("%s imports net/http: the adapters choose status codes", name)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				switch n.Sel.Name {
				case "Store", "Client", "ApplyStatus":
					t.Errorf("%s: uses %s, not the Service's notification entry", fset.Position(n.Pos()), n.Sel.Name)
				}
			case *ast.BasicLit:
				if v := strings.ToLower(n.Value); strings.Contains(v, "dana") || strings.Contains(v, "transaction-source") {
					t.Errorf("%s: payment-type knowledge %s", fset.Position(n.Pos()), n.Value)
				}
			}
			return true
		})
	}
}
