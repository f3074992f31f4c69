package jobs

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// TestTallyMatchesSums: a tally holds exactly what sums would, exponent
// included (the totals are logged and stored as text), for amounts at and
// beyond its integer form: up to 8 decimals, more, positive exponents, 18
// and 19 digits, and running totals that leave int64 both ways.
func TestTallyMatchesSums(t *testing.T) {
	edges := []string{
		"0", "1", "-1", "0.01", "-0.01", "12.5", "0.00000001", "-0.00000001", "0.000000001", "1.123456789",
		"999999999999999999", "-999999999999999999", "9999999999.99999999", "1234567890123456789",
		"92233720368.54775807", "-92233720368.54775808", "92233720368.54775808", "1E3", "-2.5E2", "1E-9",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		tl, sm := tally{}, sums{}
		n := 1 + r.IntN(50)
		for range n {
			cur := []string{"CNY", "USD"}[r.IntN(2)]
			var d decimal.Decimal
			switch r.IntN(3) {
			case 0:
				d = decimal.RequireFromString(edges[r.IntN(len(edges))])
			case 1:
				d = decimal.New(r.Int64N(1e12)-5e11, -int32(r.IntN(9)))
			default:
				d = decimal.New(r.Int64()-1<<62, -int32(r.IntN(9))) // totals leave int64
			}
			tl.add(cur, d)
			sm.add(cur, d)
		}
		got := tl.sums()
		if len(got) != len(sm) {
			t.Fatalf("round %d: %d currencies, want %d", round, len(got), len(sm))
		}
		for c, want := range sm {
			if g := got[c]; !g.Equal(want) || g.String() != want.String() || g.Exponent() != want.Exponent() {
				t.Fatalf("round %d %s: tally %s (exp %d), sums %s (exp %d)", round, c, g, g.Exponent(), want, want.Exponent())
			}
		}
	}
}
