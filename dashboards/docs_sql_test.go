package dashboards

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// docFiles are the documents whose SQL must run.
var docFiles = []string{"../README.md", "../docs/*.md", "../schema/README.md", "../deploy/*.md"}

var (
	sqlBlock  = regexp.MustCompile("(?s)```sql\n(.*?)```")
	sqlInline = regexp.MustCompile("`((?:SELECT|WITH) [^`]*\\bFROM\\b[^`]*)`")
)

type docSQL struct{ file, sql string }

// docSnippets returns every SQL snippet of the docs: fenced ```sql blocks and inline code that is
// a SELECT with a FROM. Inline fragments written with an ellipsis ("SELECT … FROM cost_records")
// are prose, not queries, and are left out.
func docSnippets(t *testing.T) []docSQL {
	t.Helper()
	var out []docSQL
	for _, pattern := range docFiles {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range sqlBlock.FindAllStringSubmatch(string(b), -1) {
				out = append(out, docSQL{f, m[1]})
			}
			for _, m := range sqlInline.FindAllStringSubmatch(string(b), -1) {
				if !strings.ContainsAny(m[1], "…") {
					out = append(out, docSQL{f, m[1]})
				}
			}
		}
	}
	return out
}

// testDocsSQL runs every SQL snippet of the docs on the fixture, on both engines, against the
// database `billing` the docs name (the test database in its place). Each statement must succeed.
func testDocsSQL(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	snippets := docSnippets(t)
	if len(snippets) < 5 {
		t.Fatalf("found only %d SQL snippets in the docs; the extraction is broken", len(snippets))
	}
	for _, sn := range snippets {
		for _, stmt := range strings.Split(sn.sql, ";") {
			if strings.TrimSpace(stripComments(stmt)) == "" {
				continue
			}
			for _, engine := range sinktest.Engines {
				s := sinks[engine]
				q := regexp.MustCompile(`\bbilling\.`).ReplaceAllString(stmt, s.Database()+".")
				// An INSERT (docs/budgets.md adds and edits budgets) goes through Exec, as the
				// dashboards tests' own inserts do; everything else is a query.
				var err error
				if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(stripComments(stmt))), "INSERT") {
					err = s.Exec(ctx, q)
				} else {
					_, err = s.Query(ctx, q)
				}
				if err != nil {
					t.Errorf("%s: %s: %v\n%s", sn.file, engine, err, stmt)
				}
			}
		}
	}
	t.Logf("%d SQL snippets of the docs ran on %v", len(snippets), sinktest.Engines)
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, "--"); i >= 0 {
			l = l[:i]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
