package dashboards

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
)

// focusColumns are the columns focus_costs must expose (FOCUS 1.2 and 1.3 names, then x_ extensions).
var focusColumns = []string{
	"BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
	"BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
	"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
	"ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "PricingCategory",
	"PricingQuantity", "PricingUnit", "PricingCurrency",
	"CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountType", "CommitmentDiscountCategory",
	"CommitmentDiscountStatus", "CommitmentDiscountQuantity", "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit",
	"ServiceProviderName", "HostProviderName", "InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
	"ResourceId", "ResourceName", "ResourceType", "RegionId", "RegionName",
	"SubAccountId", "SubAccountName", "SubAccountType", "SkuId", "InvoiceId",
	"x_Scope", "x_RecordId", "x_BillType", "x_ChargeMode", "x_DiscountAmount", "x_ResourceTags", "x_TradeId", "x_OrderId",
	"x_EffectiveCostSource", "x_PurchaseBillingMonth", "x_TermHoursInPeriod", "x_TermHours",
}

// focusCase is one cost record and the FOCUS values its mapping rules must produce.
type focusCase struct {
	name        string
	billType    int32
	chargeMode  string
	service     string
	product     string
	spec        string
	resourceID  string
	category    string
	frequency   string
	pricing     string
	serviceCat  string
	description string
	consumed    bool
	// tradedAfterClose puts the trade time after the month closed (10:00 UTC+8 on the 3rd of
	// the next month): a refund or adjustment then corrects a closed period (ChargeClass).
	tradedAfterClose bool
	chargeClass      string
}

// focusMarketplace names the cases whose transaction the transaction bills list as a KooGallery
// purchase (provider_type 2): their seller provides and publishes them, Huawei Cloud invoices.
// The renewal's trade id is a KooGallery transaction of another account, and the refund's a
// Huawei Cloud one: neither is marketplace spend of cust-focus.
var focusMarketplace = map[string]bool{"new yearly/monthly purchase": true, "reserved instance usage": true}

// focusSubResource gives cases a sub-resource (reference §7.2): with ri_usage it is the reserved
// instance that covered the usage; without it, a whole-machine bundle's component, no commitment.
var focusSubResource = map[string]struct {
	id      string
	riUsage string
}{
	"pay-per-use usage covered by a reserved instance": {"ri-7", "2.25"},
	"whole-machine bundle component":                   {"disk-9", "0"},
}

var focusCases = []focusCase{
	{"pay-per-use usage", 5, "3", "hws.service.type.ec2", "ECS s6.large", "2 vCPUs | 4 GiB", "i-1", "Usage", "Usage-Based", "Standard", "Compute", "ECS s6.large (2 vCPUs | 4 GiB)", true, false, `\N`},
	{"new yearly/monthly purchase", 1, "1", "hws.service.type.rds", "RDS MySQL", "", "rds-1", "Purchase", "One-Time", "Standard", "Databases", "RDS MySQL", false, false, `\N`},
	{"renewal", 2, "1", "hws.service.type.ebs", "EVS SSD", "", "vol-1", "Purchase", "Recurring", "Standard", "Storage", "EVS SSD", false, false, `\N`},
	{"auto-renewal", 8, "1", "hws.service.type.obs", "OBS package", "", "obs-1", "Purchase", "Recurring", "Standard", "Storage", "OBS package", false, false, `\N`},
	{"yearly payment", 103, "1", "hws.service.type.cdn", "CDN package", "", "cdn-1", "Purchase", "Recurring", "Standard", "Networking", "CDN package", false, false, `\N`},
	{"unsubscription refund", 4, "1", "hws.service.type.ec2", "ECS refund", "", "i-2", "Credit", "One-Time", "Standard", "Compute", "ECS refund", false, false, `\N`},
	{"compensation", 9, "3", "hws.service.type.dli", "", "", "", "Adjustment", "One-Time", "Standard", "Analytics", "DLI", false, false, `\N`},
	{"adjustment deduction", 16, "3", "hws.service.type.waf", "WAF", "", "", "Adjustment", "One-Time", "Standard", "Security", "WAF", false, false, `\N`},
	{"savings plan deduction", 23, "11", "hws.service.type.ec2", "ECS", "", "i-3", "Usage", "Usage-Based", "Committed", "Compute", "ECS", true, false, `\N`},
	{"reserved instance usage", 5, "10", "hws.service.type.modelarts", "ModelArts", "", "ma-1", "Usage", "Usage-Based", "Committed", "AI and Machine Learning", "ModelArts", true, false, `\N`},
	{"unknown service", 5, "3", "hws.service.type.someday", "Future", "", "f-1", "Usage", "Usage-Based", "Standard", "Other", "Future", true, false, `\N`},
	// FOCUS ChargeClass: "Correction" only for a correction to a previously closed billing period.
	{"refund after the month closed", 4, "1", "hws.service.type.ec2", "ECS refund", "", "i-4", "Credit", "One-Time", "Standard", "Compute", "ECS refund", false, true, "Correction"},
	{"adjustment after the month closed", 16, "3", "hws.service.type.waf", "WAF", "", "", "Adjustment", "One-Time", "Standard", "Security", "WAF", false, true, "Correction"},
	{"usage traded after the month closed", 5, "3", "hws.service.type.ec2", "ECS s6.large", "", "i-5", "Usage", "Usage-Based", "Standard", "Compute", "ECS s6.large", true, true, `\N`},
	{"pay-per-use usage covered by a reserved instance", 5, "3", "hws.service.type.ec2", "ECS s6.large", "", "i-6", "Usage", "Usage-Based", "Committed", "Compute", "ECS s6.large", true, false, `\N`},
	{"whole-machine bundle component", 5, "3", "hws.service.type.ec2", "ECS s6.large", "", "i-8", "Usage", "Usage-Based", "Standard", "Compute", "ECS s6.large", true, false, `\N`},
}

// focusCycle is a month of its own for the FOCUS records (March 2024 UTC+8).
var focusCycle = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// testFocus checks the focus_costs view on both engines: its columns, the UTC exclusive-end
// periods of a UTC+8 month and day, every ChargeCategory / ChargeFrequency / PricingCategory /
// ServiceCategory rule, and that costs are carried over exactly.
func testFocus(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	for engine, s := range sinks {
		t.Run(engine, func(t *testing.T) {
			w, err := s.BeginMonth(ctx, "focus", focusCycle)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range focusCases {
				r := sink.CostRecord{
					Scope: "focus", RecordID: fmt.Sprintf("focus-%02d", i), BillCycle: focusCycle,
					// The last day of a 31-day month: its UTC+8 day ends at 16:00 UTC on the same date.
					BillDate: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), BillType: c.billType,
					CustomerID: "cust-focus", AccountName: "focus-account",
					RegionCode: "cn-north-4", RegionName: "CN North-Beijing4",
					ServiceTypeCode: c.service, ServiceTypeName: strings.ToUpper(strings.TrimPrefix(c.service, "hws.service.type.")),
					ResourceTypeCode: "rt", ResourceTypeName: strings.ToUpper(strings.TrimPrefix(c.service, "hws.service.type.")),
					ResourceID: c.resourceID, ProductName: c.product, ProductSpecDesc: c.spec,
					EnterpriseProjectID: "0", EnterpriseProjectName: "default", ChargeMode: c.chargeMode,
					Usage: decimal.RequireFromString("3.5"), UsageUnit: "Hour",
					OfficialAmount: decimal.RequireFromString("10.12345678"), DiscountAmount: decimal.RequireFromString("1.5"),
					Amount: decimal.RequireFromString("8.62345678"), Currency: "CNY",
				}
				r.TradeID = fmt.Sprintf("T-focus-%02d", i)
				if c.tradedAfterClose {
					// 2024-03 closes at 2024-04-03 10:00 UTC+8 = 02:00 UTC.
					r.TradeTime = time.Date(2024, 4, 3, 2, 0, 0, 0, time.UTC)
				} else {
					r.TradeTime = time.Date(2024, 4, 3, 1, 59, 59, 0, time.UTC)
				}
				if sub, ok := focusSubResource[c.name]; ok {
					r.SubResourceID, r.SubResourceName = sub.id, sub.id+"-name"
					r.RIUsage, r.RIUsageUnit = decimal.RequireFromString(sub.riUsage), "h"
				}
				if c.name == "compensation" || c.name == "adjustment deduction" || c.name == "adjustment after the month closed" {
					r.ProductName = ""
				}
				if err := w.AddCostRecord(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Commit(ctx, sink.MonthCounts{CostRecords: len(focusCases)}); err != nil {
				t.Fatal(err)
			}
			fw, err := s.BeginFeeMonth(ctx, "focus", focusCycle)
			if err != nil {
				t.Fatal(err)
			}
			fees := 0
			for i, c := range focusCases {
				fee := sink.FeeRecord{CustomerID: "cust-focus", ProviderType: 1, TradeID: fmt.Sprintf("T-focus-%02d", i), BillType: c.billType,
					ConsumeAmount: decimal.RequireFromString("8.62345678"), Currency: "CNY"}
				switch {
				case focusMarketplace[c.name]:
					fee.ProviderType = 2
				case c.name == "renewal":
					fee.CustomerID, fee.ProviderType = "cust-other", 2
				case c.name != "unsubscription refund":
					continue
				}
				if err := fw.Add(ctx, fee); err != nil {
					t.Fatal(err)
				}
				fees++
			}
			if err := fw.Commit(ctx, fees); err != nil {
				t.Fatal(err)
			}

			db := s.Database()
			res, err := s.Query(ctx, "SELECT * FROM "+db+".focus_costs WHERE x_Scope = 'focus' ORDER BY x_RecordId")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Columns, focusColumns) {
				t.Errorf("columns\n got %v\nwant %v", res.Columns, focusColumns)
			}
			if len(res.Rows) != len(focusCases) {
				t.Fatalf("%d rows, want %d", len(res.Rows), len(focusCases))
			}
			for i, c := range focusCases {
				got := func(col string) string { return res.Value(i, col) }
				publisher := "Huawei Cloud"
				if focusMarketplace[c.name] {
					publisher = "KooGallery seller"
				}
				for _, check := range []struct{ col, want string }{
					{"ChargeCategory", c.category},
					{"ChargeFrequency", c.frequency},
					{"PricingCategory", c.pricing},
					{"ServiceCategory", c.serviceCat},
					{"ChargeDescription", c.description},
					{"BilledCost", "8.62345678"},
					{"EffectiveCost", "8.62345678"},
					{"ListCost", "10.12345678"},
					{"ContractedCost", "8.62345678"},
					{"BillingAccountId", "cust-focus"},
					{"BillingAccountName", "focus-account"},
					{"BillingCurrency", "CNY"},
					{"PricingCurrency", "CNY"},
					{"BillingPeriodStart", "2024-02-29 16:00:00"},
					{"BillingPeriodEnd", "2024-03-31 16:00:00"},
					{"ChargePeriodStart", "2024-03-30 16:00:00"},
					{"ChargePeriodEnd", "2024-03-31 16:00:00"},
					{"ChargeClass", c.chargeClass},
					{"ServiceProviderName", publisher},
					{"HostProviderName", "Huawei Cloud"},
					{"PricingQuantity", "3.5"},
					{"PricingUnit", "Hour"},
					{"ProviderName", "Huawei Cloud"},
					{"PublisherName", publisher},
					{"InvoiceIssuerName", "Huawei Cloud"},
					{"RegionId", "cn-north-4"},
					{"SubAccountId", "0"},
					{"x_RecordId", fmt.Sprintf("focus-%02d", i)},
				} {
					if g := got(check.col); g != check.want {
						t.Errorf("%s: %s = %q, want %q", c.name, check.col, g, check.want)
					}
				}
				// FOCUS CommitmentDiscountId: set on a reserved instance's rows (charge mode 10) and on the
				// usage it covered (the RI in sub_resource_id), null otherwise.
				wantCommitment := `\N`
				if c.chargeMode == "10" {
					wantCommitment = c.resourceID
				}
				if sub := focusSubResource[c.name]; sub.riUsage != "" && sub.riUsage != "0" {
					wantCommitment = sub.id
					for _, check := range []struct{ col, want string }{
						{"CommitmentDiscountName", sub.id + "-name"}, {"CommitmentDiscountType", "Reserved Instance"},
						{"CommitmentDiscountCategory", "Usage"}, {"CommitmentDiscountStatus", "Used"},
						{"CommitmentDiscountQuantity", sub.riUsage}, {"CommitmentDiscountUnit", "Hour"},
					} {
						if g := got(check.col); g != check.want {
							t.Errorf("%s: %s = %q, want %q", c.name, check.col, g, check.want)
						}
					}
				}
				if g := got("CommitmentDiscountId"); g != wantCommitment {
					t.Errorf("%s: CommitmentDiscountId = %q, want %q", c.name, g, wantCommitment)
				}
				wantConsumed, wantResource := `\N`, `\N`
				if c.consumed {
					wantConsumed = "3.5"
				}
				if c.resourceID != "" {
					wantResource = c.resourceID
				}
				if g := got("ConsumedQuantity"); g != wantConsumed {
					t.Errorf("%s: ConsumedQuantity = %q, want %q", c.name, g, wantConsumed)
				}
				if g := got("ResourceId"); g != wantResource {
					t.Errorf("%s: ResourceId = %q, want %q", c.name, g, wantResource)
				}
			}

			// The periods are UTC instants, whatever the server's time zone.
			p, err := s.Query(ctx, "SELECT toUnixTimestamp(min(BillingPeriodStart)), toUnixTimestamp(max(BillingPeriodEnd)), "+
				"toUnixTimestamp(min(ChargePeriodStart)), toUnixTimestamp(max(ChargePeriodEnd)) FROM "+db+".focus_costs WHERE x_Scope = 'focus'")
			if err != nil {
				t.Fatal(err)
			}
			utc8Day := func(y int, m time.Month, d int) string {
				return fmt.Sprint(time.Date(y, m, d, 0, 0, 0, 0, utc8).Unix())
			}
			want := []string{utc8Day(2024, 3, 1), utc8Day(2024, 4, 1), utc8Day(2024, 3, 31), utc8Day(2024, 4, 1)}
			if !slices.Equal(p.Rows[0], want) {
				t.Errorf("period instants %v, want %v", p.Rows[0], want)
			}

			// Over the whole fixture, FOCUS costs equal the stored costs exactly, per currency.
			stored, err := s.Query(ctx, "SELECT currency, sum(amount), sum(official_amount) FROM "+db+".cost_records GROUP BY currency ORDER BY currency")
			if err != nil {
				t.Fatal(err)
			}
			focus, err := s.Query(ctx, "SELECT BillingCurrency, sum(BilledCost), sum(ListCost) FROM "+db+".focus_costs GROUP BY BillingCurrency ORDER BY BillingCurrency")
			if err != nil {
				t.Fatal(err)
			}
			if len(stored.Rows) != 2 || !slices.EqualFunc(stored.Rows, focus.Rows, slices.Equal) {
				t.Errorf("per-currency billed and list costs: cost_records %v, focus_costs %v", stored.Rows, focus.Rows)
			}
		})
	}
}
