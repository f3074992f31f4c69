package jobs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// wiredByProgram are the jobs cmd/syncd builds itself (Spec.New is nil):
// the bills job and those whose gauges it restores at start-up.
var wiredByProgram = []string{"Bills", "Org", "Balances", "Packages", "Amortized", "Forecast", "Verify"}

// TestEveryJobIsCatalogued: every type of this package with a
// Run(context.Context, Window) error method is built by a Catalogue entry's
// New or wired by cmd/syncd, so a new job whose entry is missing fails here,
// naming the file it belongs in.
func TestEveryJobIsCatalogued(t *testing.T) {
	built := map[string]bool{}
	for _, s := range Catalogue {
		if s.New == nil {
			continue
		}
		// A method value's function is named "….(*Type).Run-fm".
		name := runtime.FuncForPC(reflect.ValueOf(s.New(Env{})).Pointer()).Name()
		if i, j := strings.Index(name, "(*"), strings.Index(name, ")."); i >= 0 && j > i {
			built[name[i+2:j]] = true
		}
	}
	if len(built) == 0 {
		t.Fatal("no Catalogue entry builds its job with New; the check would prove nothing")
	}
	for _, typ := range wiredByProgram {
		if built[typ] {
			t.Errorf("%s is built by its Catalogue entry; remove it from wiredByProgram", typ)
		}
		built[typ] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	jobs := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "Run" || len(fn.Type.Params.List) != 2 {
				continue
			}
			if w, ok := fn.Type.Params.List[1].Type.(*ast.Ident); !ok || w.Name != "Window" {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			typ := star.X.(*ast.Ident).Name
			jobs++
			if !built[typ] {
				t.Errorf("%s (%s) has a Run but no Catalogue entry builds it: add one in catalogue.go with New", typ, path)
			}
		}
	}
	if jobs < len(wiredByProgram)+len(Catalogue)/5 {
		t.Errorf("found %d jobs' Run methods; the parse missed some", jobs)
	}
}
