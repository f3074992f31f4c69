package bss

import "strings"

// query is an ordered list of query parameters, encoded with escape so that
// the wire form and the canonical form agree byte for byte.
type query []queryParam

type queryParam struct{ key, value string }

func (q *query) add(k, v string) { *q = append(*q, queryParam{k, v}) }

func (q query) encode() string {
	var b strings.Builder
	for i, p := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escape(p.key))
		b.WriteByte('=')
		b.WriteString(escape(p.value))
	}
	return b.String()
}
