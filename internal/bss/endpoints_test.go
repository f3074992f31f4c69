package bss

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func eqDec(t *testing.T, name string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(dec(want)) {
		t.Errorf("%s = %s, want %s", name, got, want)
	}
}

func TestMonthlySumsFixture(t *testing.T) {
	ts := newTestServer(t)
	ts.mux.HandleFunc("/v2/bills/customer-bills/monthly-sum", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		q := r.URL.Query()
		if q.Get("bill_cycle") != "2024-05" || q.Get("method") != "all" || q.Get("offset") != "0" || q.Get("limit") != "1000" {
			t.Errorf("query = %s", r.URL.RawQuery)
		}
		writeJSON(w, 200, fixture(t, "monthly_sum.json"))
	})
	c := ts.client(t, Config{})
	rows, tot, resp, err := c.ListMonthlySums(context.Background(), MonthlySumOptions{Cycle: mustMonth(t, "2024-05")}, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || resp.TotalCount != 3 || resp.NextOffset != 3 || resp.RequestID == "" {
		t.Fatalf("rows=%d resp=%+v", len(rows), resp)
	}
	eqDec(t, "totals.consume", tot.ConsumeAmount, "1110.75")
	r := rows[1]
	if r.BillCycle != (Month{2024, time.May}) || r.ServiceTypeCode != "hws.service.type.obs" || r.ResourceTypeCode != "" || r.ChargingMode != 3 || r.Currency != "CNY" {
		t.Errorf("row 1 = %+v", r)
	}
	eqDec(t, "official", r.OfficialAmount, "58.36")
	eqDec(t, "truncated", r.TruncatedAmount, "0.01")
	eqDec(t, "consume", r.ConsumeAmount, "58.35")
	sum := decimal.Zero
	for rec, err := range c.MonthlySums(context.Background(), MonthlySumOptions{Cycle: mustMonth(t, "2024-05")}) {
		if err != nil {
			t.Fatal(err)
		}
		sum = sum.Add(rec.ConsumeAmount)
		if !rec.ConsumeAmount.Equal(rec.OfficialAmount.Sub(rec.OfficialDiscountAmount).Sub(rec.TruncatedAmount)) {
			t.Errorf("identity broken for %+v", rec)
		}
	}
	eqDec(t, "sum consume", sum, "1110.75")
}

func TestResourceRecordsFixture(t *testing.T) {
	ts := newTestServer(t)
	ts.mux.HandleFunc("/v2/bills/customer-bills/res-fee-records", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		want := "cycle=2024-05&statistic_type=3&include_zero_record=true&method=all&offset=0&limit=1000"
		if r.URL.RawQuery != want {
			t.Errorf("query = %s, want %s", r.URL.RawQuery, want)
		}
		writeJSON(w, 200, fixture(t, "res_fee_records.json"))
	})
	c := ts.client(t, Config{})
	recs, err := collect(c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05"), IncludeZero: true}))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records", len(recs))
	}
	r0, r1, r2 := recs[0], recs[1], recs[2]
	if r0.ID != "fr-2405-000000000000000000000001" || r0.ChargeMode != "3" || r0.PeriodType != "" || r0.BillDate != "2024-05-14" || r0.BillType != 5 {
		t.Errorf("r0 = %+v", r0)
	}
	if want := time.Date(2024, 5, 14, 3, 12, 45, 0, time.UTC); !r0.TradeTime.Equal(want) || r0.TradeTime.Location() != time.UTC {
		t.Errorf("trade time %v", r0.TradeTime)
	}
	if r0.EnterpriseProjectID != "0" || r0.Currency != "CNY" || r0.UsageMeasureID != 4 || r0.BillCycle.String() != "2024-05" {
		t.Errorf("r0 = %+v", r0)
	}
	eqDec(t, "r0.amount", r0.Amount, "0.43")
	eqDec(t, "r0.unit_price", r0.UnitPrice, "0.43")
	if r1.PeriodType != "20" || r1.ChargeMode != "1" || r1.OrderID != "CS2405100915ABCDE" || !r1.EffectiveTime.IsZero() || r1.ResourceTag != "" {
		t.Errorf("r1 = %+v", r1)
	}
	eqDec(t, "r1.spec_size", r1.SpecSize, "100")
	eqDec(t, "r1.discount", r1.DiscountAmount, "3.50")
	eqDec(t, "r1.amount", r1.Amount, "31.5")
	if r2.Region != "" || r2.CustomerID != "7c1d2e3f40516273849506a7b8c9d0e1" || r2.EnterpriseProjectID != "8f2e4a6c-0b1d-4e3f-a5c7-9d8b7a6f5e4d" {
		t.Errorf("r2 = %+v", r2)
	}
	eqDec(t, "r2.usage", r2.Usage, "120.5")
	eqDec(t, "r2.free", r2.FreeResourceUsage, "100")
	for _, r := range recs {
		split := r.CashAmount.Add(r.CreditAmount).Add(r.CouponAmount).Add(r.FlexipurchaseCouponAmount).Add(r.StoredCardAmount).
			Add(r.BonusAmount).Add(r.DebtAmount).Add(r.AdjustmentAmount)
		if !split.Equal(r.Amount) {
			t.Errorf("%s: split %s != amount %s", r.ID, split, r.Amount)
		}
	}
}

func TestBalancesFixture(t *testing.T) {
	ts := newTestServer(t)
	ts.mux.HandleFunc("/v2/accounts/customer-accounts/balances", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		writeJSON(w, 200, fixture(t, "balances.json"))
	})
	b, err := ts.client(t, Config{}).Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Accounts) != 3 || b.Currency != "CNY" || b.Accounts[1].AccountType != AccountTypeCredit || b.Accounts[1].AccountID != "AT0020A1B2C3D4E5F7" {
		t.Fatalf("%+v", b)
	}
	eqDec(t, "cash", b.Accounts[0].Amount, "15230.57")
	eqDec(t, "credit line", b.Accounts[1].CreditAmount, "50000")
	eqDec(t, "debt", b.DebtAmount, "0")
}

func TestResourcePackagesAndUsagesFixture(t *testing.T) {
	ts := newTestServer(t)
	ts.mux.HandleFunc("/v3/payments/free-resources/query", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"limit":1000,"offset":0}` {
			t.Errorf("body = %s", b)
		}
		writeJSON(w, 200, fixture(t, "free_resource_infos.json"))
	})
	var batches []int
	ts.mux.HandleFunc("/v2/payments/free-resources/usages/details/query", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		var body struct {
			IDs []string `json:"free_resource_ids"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := jsonUnmarshal(b, &body); err != nil {
			t.Error(err)
		}
		batches = append(batches, len(body.IDs))
		writeJSON(w, 200, fixture(t, "free_resource_usages.json"))
	})
	c := ts.client(t, Config{})
	pkgs, err := collect(c.ResourcePackages(context.Background(), ResourcePackageOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || len(pkgs[0].Items) != 1 || pkgs[1].RegionCode != "" || pkgs[1].QuotaReuseMode != 1 || pkgs[0].BundleType != "ATOMIC_PKG" {
		t.Fatalf("%+v", pkgs)
	}
	eqDec(t, "remaining (string on the wire)", pkgs[0].Items[0].Amount, "612.375")
	eqDec(t, "original", pkgs[0].Items[0].OriginalAmount, "1024")
	if want := time.Date(2025, 1, 5, 15, 59, 59, 0, time.UTC); !pkgs[0].ExpireTime.Equal(want) {
		t.Errorf("expire = %v", pkgs[0].ExpireTime)
	}
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = "id-" + string(rune('a'+i%26))
	}
	us, err := c.ResourceUsages(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(batches, []int{100, 100, 50}) {
		t.Errorf("batches = %v", batches)
	}
	if len(us) != 6 || us[1].QuotaReuseCycle != 4 || us[0].QuotaReuseCycle != 0 {
		t.Fatalf("%+v", us)
	}
	eqDec(t, "usage amount (number)", us[0].Amount, "612.375")
}

func TestOrganizationsSubCustomersLookupsFixture(t *testing.T) {
	ts := newTestServer(t)
	ts.mux.HandleFunc("/v2/enterprises/multi-accounts/enterprise-organizations", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "recursive_query=1" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		writeJSON(w, 200, fixture(t, "organizations.json"))
	})
	ts.mux.HandleFunc("/v2/enterprises/multi-accounts/sub-customers", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "offset=0&limit=100" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		writeJSON(w, 200, fixture(t, "sub_customers.json"))
	})
	ts.mux.HandleFunc("/v2/products/service-types", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "service_types.json"))
	})
	ts.mux.HandleFunc("/v2/products/resource-types", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "resource_types.json"))
	})
	ts.mux.HandleFunc("/v2/bases/measurements", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "measure_units.json"))
	})
	c := ts.client(t, Config{})
	ctx := context.Background()
	org, err := c.Organizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if org.RootID != "1000000001" || len(org.Nodes) != 2 || org.Nodes[0].Children[0].Name != "Platform Team" || org.Nodes[1].RelationID != "2000000105" {
		t.Errorf("%+v", org)
	}
	subs, err := collect(c.SubCustomers(ctx, SubCustomerOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 3 || subs[2].OrgName != "" || subs[2].Status != 3 || subs[0].ID != "7c1d2e3f40516273849506a7b8c9d0e1" {
		t.Errorf("%+v", subs)
	}
	sts, err := collect(c.ServiceTypes(ctx))
	if err != nil || len(sts) != 3 || sts[1] != (ServiceType{"hws.service.type.obs", "Object Storage Service", "OBS"}) {
		t.Errorf("%+v %v", sts, err)
	}
	rts, err := collect(c.ResourceTypes(ctx))
	if err != nil || len(rts) != 3 || rts[0].ServiceTypeCode != "hws.service.type.ec2" || rts[0].Description == "" {
		t.Errorf("%+v %v", rts, err)
	}
	mus, err := c.MeasureUnits(ctx)
	if err != nil || len(mus) != 4 || mus[2] != (MeasureUnit{10, "GB", "G", 3}) {
		t.Errorf("%+v %v", mus, err)
	}
}
