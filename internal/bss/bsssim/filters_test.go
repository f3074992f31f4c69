package bsssim

import (
	"encoding/json"
	"net/url"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
)

type fullRec struct {
	feeRec
	Region     *string `json:"region"`
	BillType   int     `json:"bill_type"`
	ResourceID string  `json:"resource_id"`
}

// TestFiltersMatchLocalFiltering compares every server-side filter with
// filtering the unfiltered month locally.
func TestFiltersMatchLocalFiltering(t *testing.T) {
	srv, c := newTestServer(t, testConfig())
	const cycle = "2024-05"
	raws, _ := c.pageAll(url.Values{"cycle": {cycle}}, 1000)
	var all []fullRec
	for _, raw := range raws {
		var r fullRec
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	pick := all[len(all)/2]
	str := func(p *string) string {
		if p == nil {
			return "<null>"
		}
		return *p
	}
	cases := []struct {
		name string
		q    url.Values
		keep func(r fullRec) bool
	}{
		{"service", url.Values{"cloud_service_type": {pick.CloudServiceType}}, func(r fullRec) bool { return r.CloudServiceType == pick.CloudServiceType }},
		{"region", url.Values{"region": {"cn-north-4"}}, func(r fullRec) bool { return str(r.Region) == "cn-north-4" }},
		{"charge mode", url.Values{"charge_mode": {"1"}}, func(r fullRec) bool { return r.ChargeMode == "1" }},
		{"bill type", url.Values{"bill_type": {"5"}}, func(r fullRec) bool { return r.BillType == 5 }},
		{"resource", url.Values{"resource_id": {pick.ResourceID}}, func(r fullRec) bool { return r.ResourceID == pick.ResourceID }},
		{"unassigned project", url.Values{"enterprise_project_id": {"-1"}}, func(r fullRec) bool { return r.EnterpriseProjectID == nil }},
		{"default project", url.Values{"enterprise_project_id": {"0"}}, func(r fullRec) bool { return str(r.EnterpriseProjectID) == "0" }},
		{"trade", url.Values{"trade_id": {pick.TradeID}}, func(r fullRec) bool { return r.TradeID == pick.TradeID }},
		{"no zero", url.Values{"include_zero_record": {"false"}}, func(r fullRec) bool { return !r.Amount.IsZero() }},
		{"dates", url.Values{"bill_date_begin": {"2024-05-10"}, "bill_date_end": {"2024-05-12"}},
			func(r fullRec) bool { return r.BillDate >= "2024-05-10" && r.BillDate <= "2024-05-12" }},
		{"member", url.Values{"method": {"sub_customer"}, "sub_customer_id": {srv.Accounts()[2].ID}},
			func(r fullRec) bool { return r.CustomerID == srv.Accounts()[2].ID }},
		{"oneself", url.Values{"method": {"oneself"}}, func(r fullRec) bool { return r.CustomerID == DemoDomainID }},
	}
	for _, tc := range cases {
		var want []string
		for _, r := range all {
			if tc.keep(r) {
				want = append(want, r.ID)
			}
		}
		q := tc.q
		q.Set("cycle", cycle)
		got, total := c.pageAll(q, 97)
		if total != len(want) || len(got) != len(want) {
			t.Fatalf("%s: total %d, got %d, want %d", tc.name, total, len(got), len(want))
		}
		for i, raw := range got {
			var r feeRec
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			if r.ID != want[i] {
				t.Fatalf("%s: record %d is %s, want %s", tc.name, i, r.ID, want[i])
			}
		}
		if len(want) == 0 {
			t.Errorf("%s: filter matched nothing; test is vacuous", tc.name)
		}
	}
}

func TestRollupAndMonthlySumViews(t *testing.T) {
	srv, c := newTestServer(t, testConfig())
	const cycle = "2024-05"
	truth := srv.Truth("", cycle)
	// Roll-up without zero rows sums to the same amount.
	raws, total := c.pageAll(url.Values{"cycle": {cycle}, "statistic_type": {"1"}, "include_zero_record": {"false"}}, 100)
	var sum decimal.Decimal
	for _, raw := range raws {
		var r feeRec
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.ID != "" || r.Amount.IsZero() {
			t.Fatalf("roll-up row %s", raw)
		}
		sum = sum.Add(r.Amount)
	}
	if !sum.Equal(truth.Amount) || total > truth.RollupRecords {
		t.Fatalf("roll-up: %s over %d rows, truth %s over %d", sum, total, truth.Amount, truth.RollupRecords)
	}
	// Monthly sums: paging, the OBS null resource type, and a service filter.
	type row struct {
		CustomerID       string          `json:"customer_id"`
		ServiceTypeCode  string          `json:"service_type_code"`
		ResourceTypeCode *string         `json:"resource_type_code"`
		ConsumeAmount    decimal.Decimal `json:"consume_amount"`
	}
	var rows []row
	for off := 0; ; off += 7 {
		var p struct {
			TotalCount int   `json:"total_count"`
			BillSums   []row `json:"bill_sums"`
		}
		c.get("/v2/bills/customer-bills/monthly-sum", "bill_cycle="+cycle+"&limit=7&offset="+itoa(off)).decode(t, &p)
		rows = append(rows, p.BillSums...)
		if off+7 >= p.TotalCount {
			break
		}
	}
	if len(rows) != len(truth.MonthlySums) {
		t.Fatalf("%d summary rows, truth %d", len(rows), len(truth.MonthlySums))
	}
	nullOBS := false
	for i, r := range rows {
		if r.ServiceTypeCode == "hws.service.type.obs" {
			nullOBS = r.ResourceTypeCode == nil
		}
		if !r.ConsumeAmount.Equal(truth.MonthlySums[i].ConsumeAmount) || r.CustomerID != truth.MonthlySums[i].CustomerID {
			t.Fatalf("row %d differs", i)
		}
	}
	if !nullOBS {
		t.Fatal("OBS rows should carry a null resource type without a service filter")
	}
	var p struct {
		BillSums []row `json:"bill_sums"`
	}
	c.get("/v2/bills/customer-bills/monthly-sum", "bill_cycle="+cycle+"&limit=1000&service_type_code=hws.service.type.obs").decode(t, &p)
	for _, r := range p.BillSums {
		if r.ServiceTypeCode != "hws.service.type.obs" || r.ResourceTypeCode == nil {
			t.Fatalf("filtered row %+v", r)
		}
	}
	// The org tree: non-recursive from the root, and below a unit.
	var org struct {
		RootID     string    `json:"root_id"`
		ChildNodes []orgNode `json:"child_nodes"`
	}
	c.get("/v2/enterprises/multi-accounts/enterprise-organizations", "").decode(t, &org)
	if org.RootID == "" || len(org.ChildNodes) != 2 || org.ChildNodes[0].ChildNodes != nil {
		t.Fatalf("non-recursive tree %+v", org)
	}
	c.get("/v2/enterprises/multi-accounts/enterprise-organizations", "parent_id="+org.ChildNodes[0].ID).decode(t, &org)
	if org.RootID != "" || len(org.ChildNodes) == 0 {
		t.Fatalf("subtree %+v", org)
	}
}

// TestConcurrentUse pages in parallel while knobs change (run with -race).
func TestConcurrentUse(t *testing.T) {
	srv, c := newTestServer(t, testConfig())
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				r := c.get(resFee, "cycle=2024-05&limit=50&offset="+itoa(i*50)+"&include_zero_record=false")
				if r.status != 200 && r.status != 429 && r.status != 500 {
					t.Errorf("status %d", r.status)
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		srv.SetFaults(Faults{ServerError: 0.1})
		srv.SetQuota(OpResourceRecords, 1000)
		if _, err := srv.Reissue("2024-05"); err != nil {
			t.Fatal(err)
		}
		if err := srv.SetDrift("2024-05", 2); err != nil {
			t.Fatal(err)
		}
		_ = srv.Stats()
		_ = srv.Truth("", "2024-05")
	}
	wg.Wait()
}

// TestTooManyIndependentMembers uses the documented threshold of 1000.
func TestTooManyIndependentMembers(t *testing.T) {
	cfg := testConfig()
	cfg.Scale = Scale{Members: 1002, IndependentMembers: 1001, RecordsPerMonth: 10, Resources: 5, Packages: 1}
	srv, c := newTestServer(t, cfg)
	if r := c.get(resFee, "cycle=2024-05"); r.status != 400 || r.code(t) != "CBC.18000048" {
		t.Fatalf("all: %d %s", r.status, r.body)
	}
	if r := c.get("/v2/bills/customer-bills/monthly-sum", "bill_cycle=2024-05"); r.status != 400 || r.code(t) != "CBC.18000048" {
		t.Fatalf("monthly sum all: %d %s", r.status, r.body)
	}
	if r := c.get(resFee, "cycle=2024-05&method=oneself"); r.status != 200 {
		t.Fatalf("oneself: %d", r.status)
	}
	// Iterating members page by page (limit 100) reaches all of them.
	n := 0
	for off := 0; ; off += 100 {
		var p struct {
			TotalCount int               `json:"total_count"`
			Infos      []json.RawMessage `json:"sub_customer_infos"`
		}
		c.get("/v2/enterprises/multi-accounts/sub-customers", "limit=100&offset="+itoa(off)).decode(t, &p)
		n += len(p.Infos)
		if off+100 >= p.TotalCount {
			break
		}
	}
	if n != 1002 {
		t.Fatalf("listed %d members", n)
	}
	srv.SetMaxIndependentForAll(2000)
	if r := c.get(resFee, "cycle=2024-05&limit=1"); r.status != 200 {
		t.Fatalf("after raising the threshold: %d", r.status)
	}
}

// TestPlainCustomer: without members the master is an ordinary customer.
func TestPlainCustomer(t *testing.T) {
	cfg := testConfig()
	cfg.Scale.Members = -1
	srv, c := newTestServer(t, cfg)
	if len(srv.Accounts()) != 1 {
		t.Fatalf("%d accounts", len(srv.Accounts()))
	}
	for _, p := range []string{"/v2/enterprises/multi-accounts/sub-customers", "/v2/enterprises/multi-accounts/enterprise-organizations"} {
		if r := c.get(p, ""); r.status != 403 || r.code(t) != "CBC.0151" {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	var p feePage
	c.get(resFee, "cycle=2024-05&method=all&limit=1").decode(t, &p)
	if p.TotalCount != srv.Truth("", "2024-05").Records || p.TotalCount == 0 {
		t.Fatalf("all for a plain customer: %d", p.TotalCount)
	}
}
