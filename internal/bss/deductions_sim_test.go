package bss_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// TestPackageDeductionsAgainstSimulator reads 500 days of package
// deductions through the client (six 90-day windows, pages of ten) and
// compares every record with the simulator's truth exactly; each item's
// history ends at the remaining quota ListFreeResourceInfos reports.
func TestPackageDeductionsAgainstSimulator(t *testing.T) {
	ctx := t.Context()
	milli := func(v int64) decimal.Decimal { return decimal.New(v, -3) }
	srv := startSim(t, bsssim.Config{Scale: bsssim.Scale{Members: 1, Months: 1, RecordsPerMonth: 10, Packages: 4}})
	c := simClient(t, srv, bss.Config{})
	from, to := simNow.AddDate(0, 0, -500), simNow
	got, err := c.PackageDeductions(ctx, bss.DeductionOptions{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	day := func(t time.Time) string { return t.In(time.FixedZone("UTC+8", 8*3600)).Format(time.DateOnly) }
	want := srv.Deductions(day(from), day(to))
	if len(want) < 50 {
		t.Fatalf("the simulator has only %d deductions in 500 days", len(want))
	}
	// The client answers window by window; the truth is per item: compare as sets keyed by item and time.
	type key struct{ item, at string }
	byKey := map[key]bsssim.Deduction{}
	for _, w := range want {
		byKey[key{w.FreeResourceID, w.DeductTime}] = w
	}
	if len(got) != len(want) {
		t.Fatalf("%d deductions, want %d", len(got), len(want))
	}
	used := map[string]decimal.Decimal{}
	for _, g := range got {
		w, ok := byKey[key{g.FreeResourceID, g.DeductTime.UTC().Format("2006-01-02T15:04:05Z")}]
		if !ok {
			t.Fatalf("deduction %+v not in the truth", g)
		}
		delete(byKey, key{w.FreeResourceID, w.DeductTime})
		if !g.Available.Equal(milli(w.Available)) || !g.Remaining.Equal(milli(w.Remaining)) || !g.Used.Equal(milli(w.Used)) ||
			g.ProductID != w.ProductID || g.ResourceID != w.ResourceID || g.MeasureID != w.MeasureID ||
			g.EffectiveTime.UTC().Format(time.RFC3339) != w.EffectiveTime || g.ExpireTime.UTC().Format(time.RFC3339) != w.ExpireTime {
			t.Errorf("deduction %+v, want %+v", g, w)
		}
		if !g.Available.Sub(g.Used).Equal(g.Remaining) {
			t.Errorf("deduction %+v: available − used ≠ remaining", g)
		}
		used[g.FreeResourceID] = used[g.FreeResourceID].Add(g.Used)
	}
	// Consistency with the resource packages: original − Σ used = remaining, for every item.
	n := 0
	for p, err := range c.ResourcePackages(ctx, bss.ResourcePackageOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if u, ok := used[it.FreeResourceID]; ok {
				n++
				if !it.OriginalAmount.Sub(u).Equal(it.Amount) {
					t.Errorf("item %s: original %s − used %s ≠ remaining %s", it.FreeResourceID, it.OriginalAmount, u, it.Amount)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no package item has deductions")
	}

	t.Run("filter by item", func(t *testing.T) {
		item := want[0].FreeResourceID
		got, err := c.PackageDeductions(ctx, bss.DeductionOptions{From: from, To: to, FreeResourceID: item})
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for _, w := range want {
			if w.FreeResourceID == item {
				k++
			}
		}
		if len(got) != k {
			t.Fatalf("%d deductions of %s, want %d", len(got), item, k)
		}
	})
	t.Run("no window", func(t *testing.T) {
		if _, err := c.PackageDeductions(ctx, bss.DeductionOptions{From: to, To: from}); err == nil {
			t.Fatal("To before From accepted")
		}
	})
}
