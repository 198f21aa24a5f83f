package storetest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/claudit/claudit/internal/store"
)

// testEveryMethodHasACase fails for each method of store.Store and store.Tx
// that no case of this suite calls: a new store method gets a case here,
// so both backends run it.
func testEveryMethodHasACase(t *testing.T) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot find the suite's source")
	}
	called, err := calledMethods(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range []reflect.Type{reflect.TypeFor[store.Store](), reflect.TypeFor[store.Tx]()} {
		for i := range it.NumMethod() {
			if m := it.Method(i).Name; !called[m] && !slices.Contains(notRun, m) {
				t.Errorf("%s.%s has no case in internal/store/storetest", it, m)
			}
		}
	}
}

// notRun are methods the suite cannot call meaningfully.
var notRun = []string{
	"Close", // every opener's cleanup calls it
}

// calledMethods names every method called in the Go files of dir.
func calledMethods(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	called := map[string]bool{}
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
					called[sel.Sel.Name] = true
				}
			}
			return true
		})
	}
	return called, nil
}
