package bss

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// listing is an in-memory paged listing: page(offset) returns up to limit
// of total consecutive integers, with hooks to shorten pages, change the
// total or fail, and bookkeeping of concurrent and cancelled requests.
type listing struct {
	total, limit int
	short        map[int]int   // offset -> rows the page returns instead
	totalAt      map[int]int   // offset -> total_count the page reports
	failAt       map[int]error // offset -> error
	block        func(ctx context.Context, offset int) error

	inflight, maxInflight, calls, cancelled atomic.Int64
	mu                                      sync.Mutex
	offsets                                 []int
}

func (l *listing) page(ctx context.Context, offset int) ([]int, *Response, error) {
	n := l.inflight.Add(1)
	defer l.inflight.Add(-1)
	for {
		m := l.maxInflight.Load()
		if n <= m || l.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	l.calls.Add(1)
	l.mu.Lock()
	l.offsets = append(l.offsets, offset)
	l.mu.Unlock()
	if l.block != nil {
		if err := l.block(ctx, offset); err != nil {
			l.cancelled.Add(1)
			return nil, nil, err
		}
	}
	if err := l.failAt[offset]; err != nil {
		return nil, nil, err
	}
	total := l.total
	if t, ok := l.totalAt[offset]; ok {
		total = t
	}
	n2 := min(l.limit, max(0, l.total-offset))
	if s, ok := l.short[offset]; ok {
		n2 = s
	}
	items := make([]int, n2)
	for i := range items {
		items[i] = offset + i
	}
	return items, &Response{TotalCount: total}, nil
}

func collectPages(t *testing.T, ahead int, l *listing) ([]int, error) {
	t.Helper()
	var got []int
	for v, err := range paginate(context.Background(), "Op", ahead, l.limit, l.page) {
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
	if n := l.inflight.Load(); n != 0 {
		t.Fatalf("%d page requests still running after the iterator returned", n)
	}
	return got, nil
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestPaginatePrefetchEqualsSequential(t *testing.T) {
	for _, total := range []int{0, 1, 99, 100, 101, 550, 1000} {
		for _, ahead := range []int{0, 1, 2, 4, 16} {
			l := &listing{total: total, limit: 100}
			got, err := collectPages(t, ahead, l)
			if err != nil {
				t.Fatalf("total %d ahead %d: %v", total, ahead, err)
			}
			if !slices.Equal(got, seq(0, total)) {
				t.Fatalf("total %d ahead %d: got %d items, want 0..%d in order", total, ahead, len(got), total)
			}
			pages := max(1, (total+99)/100)
			if c := int(l.calls.Load()); c != pages {
				t.Errorf("total %d ahead %d: %d requests, want %d (no request past total_count)", total, ahead, c, pages)
			}
		}
	}
}

// TestPaginatePrefetchOverlaps proves read-ahead: while the caller holds
// the first row of page 2, the next `ahead` pages are requested.
func TestPaginatePrefetchOverlaps(t *testing.T) {
	const ahead = 3
	l := &listing{total: 1000, limit: 100}
	var requested sync.WaitGroup
	requested.Add(ahead)
	seen := map[int]bool{}
	var mu sync.Mutex
	l.block = func(ctx context.Context, offset int) error {
		mu.Lock()
		if offset >= 200 && offset < 200+ahead*100 && !seen[offset] {
			seen[offset] = true
			requested.Done()
		}
		mu.Unlock()
		return nil
	}
	n := 0
	for v, err := range paginate(context.Background(), "Op", ahead, l.limit, l.page) {
		if err != nil {
			t.Fatal(err)
		}
		if v != n {
			t.Fatalf("item %d is %d: out of order", n, v)
		}
		if v == 100 { // first row of the second page
			done := make(chan struct{})
			go func() { requested.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("pages 200..%d were not requested while the caller held page 100", 200+(ahead-1)*100)
			}
		}
		n++
	}
	if n != 1000 {
		t.Fatalf("got %d items", n)
	}
}

func TestPaginatePrefetchShortPage(t *testing.T) {
	// The page at 200 returns 50 rows: later offsets shift by 50 and the
	// pages requested at 300, 400 … are discarded.
	l := &listing{total: 650, limit: 100, short: map[int]int{200: 50}}
	got, err := collectPages(t, 4, l)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Concat(seq(0, 250), seq(250, 650))
	if !slices.Equal(got, want) {
		t.Fatalf("got %v…, want 0..649 in order", got[:min(len(got), 10)])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.offsets, 250) {
		t.Fatalf("offsets requested %v: paging did not resume at 250", l.offsets)
	}
}

func TestPaginatePrefetchDrift(t *testing.T) {
	for _, ahead := range []int{0, 4} {
		l := &listing{total: 1000, limit: 100, totalAt: map[int]int{300: 1001}}
		got, err := collectPages(t, ahead, l)
		var de *DriftError
		if !errors.As(err, &de) {
			t.Fatalf("ahead %d: err = %v, want *DriftError", ahead, err)
		}
		if de.First != 1000 || de.Last != 1001 || de.Yielded != 300 || len(got) != 300 {
			t.Fatalf("ahead %d: drift %+v after %d items, want first 1000, last 1001, yielded 300", ahead, de, len(got))
		}

		l = &listing{total: 1000, limit: 100, short: map[int]int{400: 0}}
		_, err = collectPages(t, ahead, l)
		if !errors.As(err, &de) || de.Reason != "empty page before total_count" {
			t.Fatalf("ahead %d: empty page: err = %v", ahead, err)
		}
		l = &listing{total: 250, limit: 100, short: map[int]int{200: 80}}
		_, err = collectPages(t, ahead, l)
		if !errors.As(err, &de) || de.Reason != "more rows than total_count" {
			t.Fatalf("ahead %d: long page: err = %v", ahead, err)
		}
	}
}

// TestPaginatePrefetchStops: an error or a caller that stops cancels the
// pages requested ahead, and the iterator returns only after they have.
func TestPaginatePrefetchStops(t *testing.T) {
	slow := func(ctx context.Context, offset int) error {
		if offset < 300 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Minute):
			return fmt.Errorf("page %d was not cancelled", offset)
		}
	}
	boom := errors.New("boom")
	l := &listing{total: 5000, limit: 100, failAt: map[int]error{200: boom}, block: slow}
	got, err := collectPages(t, 8, l)
	if !errors.Is(err, boom) || len(got) != 200 {
		t.Fatalf("err = %v after %d items, want boom after 200", err, len(got))
	}
	if l.cancelled.Load() == 0 {
		t.Fatal("no page requested ahead was cancelled")
	}

	l = &listing{total: 5000, limit: 100, block: slow}
	n := 0
	for _, err := range paginate(context.Background(), "Op", 8, l.limit, l.page) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 150 {
			break
		}
	}
	if l.inflight.Load() != 0 {
		t.Fatal("requests still running after the caller stopped")
	}
	if l.cancelled.Load() == 0 {
		t.Fatal("no page requested ahead was cancelled")
	}
}

func TestPrefetchConfig(t *testing.T) {
	for in, want := range map[int]int{0: defaultPrefetch, -1: 0, 1: 1, 16: 16} {
		if got := (Config{Prefetch: in}).withDefaults().Prefetch; got != want {
			t.Errorf("Prefetch %d: effective %d, want %d", in, got, want)
		}
	}
	for _, bad := range []int{-2, maxPrefetch + 1} {
		err := Config{Prefetch: bad}.Validate()
		if err == nil || !strings.Contains(err.Error(), "SYNCD_BSS_PREFETCH: "+fmt.Sprint(bad)) {
			t.Errorf("Prefetch %d: err = %v", bad, err)
		}
	}
}
