package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestDeductionsJob runs the packages and deductions jobs against the
// simulator through the real client into a real sink (ClickHouse 18.16 and
// the embedded engine): every month holds exactly the simulator's
// deductions (count and Σ used), every item's original − Σ used equals the
// remaining quota its packages snapshot shows, a scheduled re-run of the
// recent months neither duplicates nor loses a row, and the daily usage
// gauge is the item's Σ used over the last 7 days ÷ 7.
func TestDeductionsJob(t *testing.T) {
	now := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	sim := bsssim.New(bsssim.Config{Now: clk, Scale: bsssim.Scale{Members: -1, Months: 1, RecordsPerMonth: 10}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := bss.NewClient(bss.Config{Endpoint: srv.URL + "/", Site: bss.SiteChina},
		bss.Credentials{AK: bss.Secret(bsssim.DemoAK), SK: bss.Secret(bsssim.DemoSK), DomainID: bsssim.DemoDomainID}, bss.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	truth := sim.Deductions("2000-01-01", "2999-12-31")
	if len(truth) < 50 {
		t.Fatalf("the simulator has %d deductions; the test needs a history", len(truth))
	}
	milli := func(v int64) decimal.Decimal { return decimal.New(v, -3) }
	type agg struct {
		n    int
		used decimal.Decimal
	}
	byMonth := map[string]agg{}
	first := bss.MonthOf(now)
	for _, d := range truth {
		at, _ := time.Parse(time.RFC3339, d.DeductTime)
		m := bss.MonthOf(at)
		if m.Before(first) {
			first = m
		}
		a := byMonth[m.Date().Format(time.DateOnly)]
		byMonth[m.Date().Format(time.DateOnly)] = agg{a.n + 1, a.used.Add(milli(d.Used))}
	}
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			logger := slog.New(slog.DiscardHandler)
			s := sinktest.Open(t, engine)
			accounts := []Account{{Scope: "acme", CustomerID: bsssim.DemoDomainID, Source: client, Members: MembersNone, FinalDay: 3}}
			m := NewMetrics()
			names := &Names{}
			runs := &RunLog{Store: s}
			pkgs := &Packages{Accounts: accounts, Store: s, Runs: runs, Names: names, Metrics: m, Logger: logger, Now: clk}
			if err := pkgs.Run(ctx, Window{}); err != nil {
				t.Fatal(err)
			}
			j := &Deductions{Accounts: accounts, Store: s, Runs: runs, Names: names, Metrics: m, Logger: logger, Now: clk, Months: 2, RateDays: 7}
			stored := func() map[string]agg {
				res, err := s.Query(ctx, "SELECT toString(deduct_month) AS m, count() AS n, toString(sum(used_amount)) AS used FROM "+
					s.Database()+".package_deductions WHERE scope = 'acme' GROUP BY deduct_month ORDER BY m")
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]agg{}
				for i := range res.Rows {
					var n int
					_, _ = fmt.Sscan(res.Value(i, "n"), &n)
					out[res.Value(i, "m")] = agg{n, decimal.RequireFromString(res.Value(i, "used"))}
				}
				return out
			}
			same := func(step string) {
				t.Helper()
				got := stored()
				if len(got) != len(byMonth) {
					t.Errorf("%s: %d months stored, want %d", step, len(got), len(byMonth))
				}
				for k, w := range byMonth {
					if g := got[k]; g.n != w.n || !g.used.Equal(w.used) {
						t.Errorf("%s: month %s holds %d deductions using %s, want %d using %s", step, k, g.n, g.used, w.n, w.used)
					}
				}
			}
			if err := j.Run(ctx, Window{From: first, To: bss.MonthOf(now)}); err != nil {
				t.Fatal(err)
			}
			same("backfill")
			if err := j.Run(ctx, Window{}); err != nil {
				t.Fatal(err)
			}
			same("scheduled re-run of the recent months")

			// original − Σ used = remaining, per item in effect.
			res, err := s.Query(ctx, "SELECT p.free_resource_id AS item, toString(p.original_amount) AS original, toString(p.remaining_amount) AS remaining, "+
				"toString(d.used) AS used FROM "+s.Database()+".resource_packages_latest AS p ANY INNER JOIN (SELECT free_resource_id, sum(used_amount) AS used FROM "+
				s.Database()+".package_deductions GROUP BY free_resource_id) AS d USING free_resource_id WHERE p.status IN (1, 2) ORDER BY item")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) == 0 {
				t.Fatal("no package item with deductions")
			}
			for i := range res.Rows {
				o, r, u := decimal.RequireFromString(res.Value(i, "original")), decimal.RequireFromString(res.Value(i, "remaining")), decimal.RequireFromString(res.Value(i, "used"))
				if !o.Sub(u).Equal(r) {
					t.Errorf("item %s: original %s − Σ used %s ≠ remaining %s", res.Value(i, "item"), o, u, r)
				}
			}

			// The daily usage gauge of every item in effect for the whole week.
			rows, err := s.LatestResourcePackages(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, p := range rows {
				if p.Status != 1 || p.EffectiveTime.After(now.Add(-7*24*time.Hour)) || !p.ExpireTime.After(now) {
					continue
				}
				week := decimal.Zero
				for _, d := range truth {
					at, _ := time.Parse(time.RFC3339, d.DeductTime)
					if d.FreeResourceID == p.FreeResourceID && !at.Before(now.Add(-7*24*time.Hour)) && at.Before(now) {
						week = week.Add(milli(d.Used))
					}
				}
				want := week.Div(decimal.NewFromInt(7)).InexactFloat64()
				g := testutil.ToFloat64(m.pkgDailyUsage.WithLabelValues("acme", p.OrderInstanceID, p.FreeResourceID,
					boundedLabel(p.ProductName), boundedLabel(p.UsageType), p.MeasureUnit))
				if math.Abs(g-want) > 1e-9*math.Max(1, want) {
					t.Errorf("item %s: daily usage gauge %v, want Σ used of the week %s ÷ 7 = %v", p.FreeResourceID, g, week, want)
				}
				checked++
			}
			if checked == 0 {
				t.Error("no item in effect for the whole week to check the gauge on")
			}
			if n := runs.Pending(); n != 0 {
				t.Errorf("%d sync_runs rows not recorded", n)
			}
		})
	}
}

// TestItemUsageRate checks the projections on hand-computed items.
func TestItemUsageRate(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	d := decimal.RequireFromString
	item := func(status int32, effective, expire time.Duration, original, remaining string) sink.ResourcePackageSnapshot {
		return sink.ResourcePackageSnapshot{Status: status, EffectiveTime: now.Add(effective), ExpireTime: now.Add(expire),
			OriginalAmount: d(original), RemainingAmount: d(remaining)}
	}
	for _, c := range []struct {
		name       string
		p          sink.ResourcePackageSnapshot
		used       string
		ok         bool
		daily      float64
		exhaustion time.Duration // after now; 0: none
		unused     float64
	}{
		{"14 used in the week, 60 left, expires in 10 days: 40 of 100 left then", item(1, -30*day, 10*day, "100", "60"), "14", true, 2, 30 * day, 0.4},
		{"runs out in 5 days, 20 before it expires", item(1, -30*day, 25*day, "100", "10"), "14", true, 2, 5 * day, 0},
		{"in effect for 3 days: the rate is over those 3", item(1, -3*day, 27*day, "90", "81"), "9", true, 3, 27 * day, 0},
		{"nothing used: all of the remaining quota is left at expiry", item(1, -30*day, 10*day, "200", "50"), "0", true, 0, 0, 0.25},
		{"in effect for less than a day", item(1, -12*time.Hour, 10*day, "100", "100"), "1", false, 0, 0, 0},
		{"used up", item(2, -30*day, 10*day, "100", "0"), "14", false, 0, 0, 0},
		{"expired", item(1, -30*day, -time.Hour, "100", "10"), "14", false, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, ok := ItemUsageRate(c.p, d(c.used), now, 7*day)
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if !ok {
				return
			}
			var exh time.Time
			if c.exhaustion != 0 {
				exh = now.Add(c.exhaustion)
			}
			if r.Daily != c.daily || !r.Exhaustion.Equal(exh) || math.Abs(r.UnusedAtExpiry-c.unused) > 1e-12 {
				t.Errorf("got daily %v, exhaustion %s, unused %v; want %v, %s, %v", r.Daily, r.Exhaustion, r.UnusedAtExpiry, c.daily, exh, c.unused)
			}
		})
	}
}
