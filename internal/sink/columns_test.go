package sink

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// TestStrColCopiesAndReuses: buffered strings are copies (the caller's
// memory is not kept), equal to the input across chunk boundaries and
// block resets that reuse the chunks, with repeated values stored once
// while the column is low-cardinality.
func TestStrColCopiesAndReuses(t *testing.T) {
	c := &strCol{seen: make(map[string]string)}
	r := rand.New(rand.NewPCG(1, 2))
	for block := 0; block < 4; block++ {
		var want []string
		for i := 0; i < 20_000; i++ {
			var s string
			switch i % 4 {
			case 0:
				s = fmt.Sprintf("region-%d", r.IntN(5)) // low-cardinality
			case 1:
				s = fmt.Sprintf("rec-%d-%d-%s", block, i, strings.Repeat("x", r.IntN(300)))
			case 2:
				s = strings.Repeat("長", r.IntN(8000)) // some beyond a quarter chunk
			case 3:
				s = ""
			}
			src := []byte(s)
			c.add(string(src))
			clear(src)
			want = append(want, s)
		}
		if len(c.v) != len(want) {
			t.Fatalf("block %d: %d values, want %d", block, len(c.v), len(want))
		}
		for i := range want {
			if c.v[i] != want[i] {
				t.Fatalf("block %d value %d = %.40q, want %.40q", block, i, c.v[i], want[i])
			}
		}
		if c.seen != nil {
			t.Errorf("block %d: the high-cardinality column is still interned (%d values)", block, len(c.seen))
		}
		c.reset()
		if len(c.v) != 0 || len(c.full) != 0 || c.cur != nil || c.seen == nil {
			t.Fatalf("reset left %d values, %d chunks", len(c.v), len(c.full))
		}
		if block > 0 && len(c.spare) == 0 {
			t.Fatal("no chunk kept for reuse")
		}
	}
}

func TestStrColInternsLowCardinality(t *testing.T) {
	c := &strCol{seen: make(map[string]string)}
	for i := 0; i < 10_000; i++ {
		c.add(fmt.Sprintf("svc-%d", i%7))
	}
	distinct := map[*byte]bool{}
	for _, v := range c.v {
		distinct[unsafe.StringData(v)] = true
	}
	if len(distinct) != 7 {
		t.Fatalf("10,000 values of 7 distinct strings stored as %d copies, want 7", len(distinct))
	}
}
