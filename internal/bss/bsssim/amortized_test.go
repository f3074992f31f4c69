package bsssim

import (
	"testing"
	"time"
)

const breakdown = "/v2/costs/cost-analysed-bills/monthly-breakdown"

func TestMonthlyBreakdownValidation(t *testing.T) {
	srv, c := newTestServer(t, testConfig())
	total := func(r resp) int {
		var p struct {
			TotalCount int `json:"total_count"`
		}
		r.decode(t, &p)
		return p.TotalCount
	}
	all := total(c.get(breakdown, "shared_month=2024-05&limit=1"))
	if all == 0 {
		t.Fatal("2024-05 has no amortised details")
	}
	cases := []struct {
		q      string
		status int
		code   string
		total  int // -1: don't check
	}{
		{"", 400, "CBC.0100", -1},
		{"shared_month=2024-5", 400, "CBC.0100", -1},
		{"shared_month=2024-07", 400, "CBC.0100", -1}, // the future
		{"shared_month=2022-12", 400, "CBC.0100", -1}, // older than 18 months
		{"shared_month=2023-01", 200, "", -1},         // the oldest kept (June 2024 minus 17)
		{"shared_month=2024-05&limit=0", 400, "CBC.0100", -1},
		{"shared_month=2024-05&limit=1001", 400, "CBC.0100", -1},
		{"shared_month=2024-05&offset=-1", 400, "CBC.0100", -1},
		{"shared_month=2024-05&charging_mode=2", 400, "CBC.0100", -1},
		{"shared_month=2024-05&bill_type=x", 400, "CBC.0100", -1},
		{"shared_month=2024-05&method=bogus", 400, "CBC.0100", -1},
		{"shared_month=2024-05&service_type_code", 200, "", 0}, // an empty string is a filter that matches nothing
		{"shared_month=2024-05&resource_type_code=", 200, "", 0},
		{"shared_month=2024-05&region_code=", 200, "", all}, // empty: no filter
		{"shared_month=2024-05&method=all", 200, "", all},
	}
	for _, tc := range cases {
		r := c.get(breakdown, tc.q)
		if r.status != tc.status || r.code(t) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.q, r.status, r.body, tc.status, tc.code)
			continue
		}
		if tc.total >= 0 && total(r) != tc.total {
			t.Errorf("%s: total_count %d, want %d", tc.q, total(r), tc.total)
		}
	}
	srv.SetCostCenter(srv.Master().ID, false)
	if r := c.get(breakdown, "shared_month=2024-05"); r.status != 400 || r.code(t) != "CBC.18000014" {
		t.Errorf("without Cost Center: %d %s", r.status, r.body)
	}
	srv.SetCostCenter(srv.Master().ID, true)
	if r := c.get(breakdown, "shared_month=2024-05"); r.status != 200 {
		t.Errorf("Cost Center enabled again: %d %s", r.status, r.body)
	}
	cfg := testConfig()
	cfg.Site = SiteIntl
	_, ic := newTestServer(t, cfg)
	if r := ic.get(breakdown, "shared_month=2024-05"); r.status != 404 || r.code(t) != "APIG.0101" {
		t.Errorf("intl: %d %s, want 404 APIG.0101", r.status, r.body)
	}
}

// TestMonthlyBreakdownLag: the breakdown grows at the daily refresh (lines
// appear 24-48 h after their consumption), and every detail keeps the
// documented identities.
func TestMonthlyBreakdownLag(t *testing.T) {
	cfg := testConfig()
	srv := New(cfg)
	cur := monthOf(fixedNow)
	n := 0
	for _, a := range srv.t.accounts {
		for _, d := range srv.amortized(a, cur) {
			n++
			if d.consume != d.past+d.current+d.future {
				t.Fatalf("consume %d != %d+%d+%d", d.consume, d.past, d.current, d.future)
			}
			var sum int64
			for _, v := range d.split {
				sum += v
			}
			if sum != d.current {
				t.Fatalf("current %d != split %d", d.current, sum)
			}
		}
	}
	later := cfg
	later.Now = func() time.Time { return fixedNow.Add(24 * time.Hour) }
	srv2 := New(later)
	m := 0
	for _, a := range srv2.t.accounts {
		m += len(srv2.amortized(a, cur))
	}
	if n == 0 || m <= n {
		t.Fatalf("%d details now, %d after the lag: the lag hides nothing", n, m)
	}
}
