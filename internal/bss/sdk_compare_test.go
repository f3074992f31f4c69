package bss_test

import (
	"context"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	sdkbss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// The official SDK is the referee between our client and the simulator:
// both decode the same simulator responses and must agree on every value.

func ptr[T any](v T) *T { return &v }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i32(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

func decOf(p *decimal.Decimal) decimal.Decimal {
	if p == nil {
		return decimal.Zero
	}
	return *p
}

func sdkTime(t *testing.T, p *string) time.Time {
	t.Helper()
	if p == nil || *p == "" {
		return time.Time{}
	}
	tm, err := bss.ParseTime(*p)
	if err != nil {
		t.Fatalf("SDK time %q: %v", *p, err)
	}
	return tm
}

func normEP(p *string) string {
	if s := str(p); s != "" && s != "-1" {
		return s
	}
	return bss.UnassignedEnterpriseProject
}

func TestAgreesWithOfficialSDK(t *testing.T) {
	// Real clock: the SDK signs with time.Now.
	srv, err := bsssim.NewServer(bsssim.Config{Seed: 11, Scale: bsssim.Scale{Members: 3, RecordsPerMonth: 400, Months: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.Config()
	auth, err := global.NewCredentialsBuilder().WithAk(cfg.AK).WithSk(cfg.SK).WithDomainId(cfg.DomainID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := sdkbss.BssClientBuilder().WithRegion(region.NewRegion("sim", srv.URL)).WithCredential(auth).
		WithHttpConfig(config.DefaultHttpConfig()).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	sdk := sdkbss.NewBssClient(hc)
	ours, err := bss.NewClient(bss.Config{Endpoint: srv.URL}, bss.Credentials{AK: bss.Secret(cfg.AK), SK: bss.Secret(cfg.SK), DomainID: cfg.DomainID})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cycle := srv.Months()[0]
	m, _ := bss.ParseMonth(cycle)

	t.Run("ListCustomerselfResourceRecords", func(t *testing.T) {
		resp, err := sdk.ListCustomerselfResourceRecords(&model.ListCustomerselfResourceRecordsRequest{
			Cycle: cycle, StatisticType: ptr(int32(3)), IncludeZeroRecord: ptr(true), Method: ptr("all"),
			Offset: ptr(int32(0)), Limit: ptr(int32(1000)), XLanguage: ptr("en_US"),
		})
		if err != nil {
			t.Fatal(err)
		}
		recs, r, err := ours.ListResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: m, IncludeZero: true}, bss.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.TotalCount != i32(resp.TotalCount) || len(recs) != len(*resp.FeeRecords) || r.Currency != str(resp.Currency) {
			t.Fatalf("total %d/%d, len %d/%d", r.TotalCount, i32(resp.TotalCount), len(recs), len(*resp.FeeRecords))
		}
		for i, s := range *resp.FeeRecords {
			o := recs[i]
			strs := [][3]string{
				{"id", o.ID, str(s.Id)}, {"bill_date", o.BillDate, str(s.BillDate)}, {"customer_id", o.CustomerID, str(s.CustomerId)},
				{"account_name", o.AccountName, str(s.AccountName)}, {"region", o.Region, str(s.Region)}, {"region_name", o.RegionName, str(s.RegionName)},
				{"cloud_service_type", o.ServiceTypeCode, str(s.CloudServiceType)}, {"cloud_service_type_name", o.ServiceTypeName, str(s.CloudServiceTypeName)},
				{"resource_type", o.ResourceTypeCode, str(s.ResourceType)}, {"resource_type_name", o.ResourceTypeName, str(s.ResourceTypeName)},
				{"resource_id", o.ResourceID, str(s.ResourceId)}, {"resource_name", o.ResourceName, str(s.ResourceName)}, {"resource_tag", o.ResourceTag, str(s.ResourceTag)},
				{"product_id", o.ProductID, str(s.ProductId)}, {"product_name", o.ProductName, str(s.ProductName)}, {"product_spec_desc", o.ProductSpecDesc, str(s.ProductSpecDesc)},
				{"sku_code", o.SkuCode, str(s.SkuCode)}, {"trade_id", o.TradeID, str(s.TradeId)}, {"enterprise_project_id", o.EnterpriseProjectID, normEP(s.EnterpriseProjectId)},
				{"enterprise_project_name", o.EnterpriseProjectName, str(s.EnterpriseProjectName)}, {"charge_mode", o.ChargeMode, str(s.ChargeMode)},
				{"order_id", o.OrderID, str(s.OrderId)}, {"relative_order_id", o.RelativeOrderID, str(s.RelativeOrderId)}, {"period_type", o.PeriodType, str(s.PeriodType)},
				{"usage_type", o.UsageType, str(s.UsageType)}, {"unit", o.Unit, str(s.Unit)}, {"formula", o.Formula, str(s.Formula)},
				{"sub_service_type_code", o.SubServiceTypeCode, str(s.SubServiceTypeCode)}, {"sub_resource_id", o.SubResourceID, str(s.SubResourceId)},
			}
			for _, c := range strs {
				if c[1] != c[2] {
					t.Fatalf("record %d %s: ours %q, SDK %q", i, c[0], c[1], c[2])
				}
			}
			decs := []struct {
				name      string
				ours, sdk decimal.Decimal
			}{
				{"spec_size", o.SpecSize, decOf(s.SpecSize)}, {"period_num", o.PeriodNum, decOf(s.PeriodNum)}, {"usage", o.Usage, decOf(s.Usage)},
				{"free_resource_usage", o.FreeResourceUsage, decOf(s.FreeResourceUsage)}, {"ri_usage", o.RIUsage, decOf(s.RiUsage)},
				{"unit_price", o.UnitPrice, decOf(s.UnitPrice)}, {"official_amount", o.OfficialAmount, decOf(s.OfficialAmount)},
				{"discount_amount", o.DiscountAmount, decOf(s.DiscountAmount)}, {"amount", o.Amount, decOf(s.Amount)},
				{"cash_amount", o.CashAmount, decOf(s.CashAmount)}, {"credit_amount", o.CreditAmount, decOf(s.CreditAmount)},
				{"coupon_amount", o.CouponAmount, decOf(s.CouponAmount)}, {"flexipurchase_coupon_amount", o.FlexipurchaseCouponAmount, decOf(s.FlexipurchaseCouponAmount)},
				{"stored_card_amount", o.StoredCardAmount, decOf(s.StoredCardAmount)}, {"bonus_amount", o.BonusAmount, decOf(s.BonusAmount)},
				{"debt_amount", o.DebtAmount, decOf(s.DebtAmount)}, {"adjustment_amount", o.AdjustmentAmount, decOf(s.AdjustmentAmount)},
			}
			for _, c := range decs {
				if !c.ours.Equal(c.sdk) {
					t.Fatalf("record %d %s: ours %s, SDK %s", i, c.name, c.ours, c.sdk)
				}
			}
			ints := [][3]any{{"bill_type", o.BillType, i32(s.BillType)}, {"spec_size_measure_id", o.SpecSizeMeasureID, i32(s.SpecSizeMeasureId)},
				{"usage_measure_id", o.UsageMeasureID, i32(s.UsageMeasureId)}, {"free_resource_measure_id", o.FreeResourceMeasureID, i32(s.FreeResourceMeasureId)},
				{"ri_usage_measure_id", o.RIUsageMeasureID, i32(s.RiUsageMeasureId)}, {"measure_id", o.MeasureID, i32(s.MeasureId)}}
			for _, c := range ints {
				if c[1] != c[2] {
					t.Fatalf("record %d %s: ours %v, SDK %v", i, c[0], c[1], c[2])
				}
			}
			times := []struct {
				name      string
				ours, sdk time.Time
			}{{"effective_time", o.EffectiveTime, sdkTime(t, s.EffectiveTime)}, {"expire_time", o.ExpireTime, sdkTime(t, s.ExpireTime)},
				{"consume_time", o.ConsumeTime, sdkTime(t, s.ConsumeTime)}, {"trade_time", o.TradeTime, sdkTime(t, s.TradeTime)}}
			for _, c := range times {
				if !c.ours.Equal(c.sdk) {
					t.Fatalf("record %d %s: ours %v, SDK %v", i, c.name, c.ours, c.sdk)
				}
			}
		}
	})

	t.Run("ShowCustomerMonthlySum", func(t *testing.T) {
		resp, err := sdk.ShowCustomerMonthlySum(&model.ShowCustomerMonthlySumRequest{BillCycle: cycle, Method: ptr("all"), Offset: ptr(int32(0)), Limit: ptr(int32(1000))})
		if err != nil {
			t.Fatal(err)
		}
		rows, tot, r, err := ours.ListMonthlySums(ctx, bss.MonthlySumOptions{Cycle: m}, bss.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.TotalCount != i32(resp.TotalCount) || len(rows) != len(*resp.BillSums) || !tot.ConsumeAmount.Equal(decOf(resp.ConsumeAmount)) {
			t.Fatalf("header differs: %d/%d rows, consume %s/%s", len(rows), len(*resp.BillSums), tot.ConsumeAmount, decOf(resp.ConsumeAmount))
		}
		for i, s := range *resp.BillSums {
			o := rows[i]
			if o.BillCycle.String() != str(s.BillCycle) || o.CustomerID != str(s.CustomerId) || o.ServiceTypeCode != str(s.ServiceTypeCode) ||
				o.ResourceTypeCode != str(s.ResourceTypeCode) || o.ChargingMode != i32(s.ChargingMode) || o.BillType != i32(s.BillType) ||
				!o.ConsumeAmount.Equal(decOf(s.ConsumeAmount)) || !o.OfficialAmount.Equal(decOf(s.OfficialAmount)) ||
				!o.OfficialDiscountAmount.Equal(decOf(s.OfficialDiscountAmount)) || !o.TruncatedAmount.Equal(decOf(s.TruncatedAmount)) ||
				!o.CashAmount.Equal(decOf(s.CashAmount)) || !o.CreditAmount.Equal(decOf(s.CreditAmount)) || !o.CouponAmount.Equal(decOf(s.CouponAmount)) ||
				!o.DebtAmount.Equal(decOf(s.DebtAmount)) || !o.WriteoffAmount.Equal(decOf(s.WriteoffAmount)) {
				t.Fatalf("row %d: ours %+v, SDK %v", i, o, s)
			}
		}
	})

	t.Run("ListCustomerBillsMonthlyBreakDown", func(t *testing.T) {
		for _, month := range srv.Months() {
			resp, err := sdk.ListCustomerBillsMonthlyBreakDown(&model.ListCustomerBillsMonthlyBreakDownRequest{
				SharedMonth: month, Method: ptr("all"), Offset: ptr(int32(0)), Limit: ptr(int32(1000)), XLanguage: ptr("en_US"),
			})
			if err != nil {
				t.Fatal(err)
			}
			sm, _ := bss.ParseMonth(month)
			rows, r, err := ours.ListAmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: sm}, bss.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 || r.TotalCount != i32(resp.TotalCount) || len(rows) != len(*resp.Details) || r.Currency != str(resp.Currency) {
				t.Fatalf("%s: total %d/%d, len %d/%d", month, r.TotalCount, i32(resp.TotalCount), len(rows), len(*resp.Details))
			}
			for i, s := range *resp.Details {
				o := rows[i]
				strs := [][3]string{
					{"shared_month", o.SharedMonth.String(), str(s.SharedMonth)}, {"bill_cycle", o.BillCycle.String(), str(s.BillCycle)},
					{"customer_id", o.CustomerID, str(s.CustomerId)}, {"region_code", o.RegionCode, str(s.RegionCode)}, {"region_name", o.RegionName, str(s.RegionName)},
					{"service_type_code", o.ServiceTypeCode, str(s.ServiceTypeCode)}, {"service_type_name", o.ServiceTypeName, str(s.ServiceTypeName)},
					{"resource_type_code", o.ResourceTypeCode, str(s.ResourceTypeCode)}, {"resource_type_name", o.ResourceTypeName, str(s.ResourceTypeName)},
					{"resource_id", o.ResourceID, str(s.ResourceId)}, {"resource_name", o.ResourceName, str(s.ResourceName)},
					{"resource_tag", o.ResourceTag, str(s.ResourceTag)}, {"product_spec_desc", o.ProductSpecDesc, str(s.ProductSpecDesc)},
					{"enterprise_project_id", o.EnterpriseProjectID, normEP(s.EnterpriseProjectId)}, {"enterprise_project_name", o.EnterpriseProjectName, str(s.EnterpriseProjectName)},
					{"order_id", o.OrderID, str(s.OrderId)}, {"usage_type", o.UsageType, str(s.UsageType)},
					{"sub_service_type_code", o.SubServiceTypeCode, str(s.SubServiceTypeCode)}, {"sub_service_type_name", o.SubServiceTypeName, str(s.SubServiceTypeName)},
					{"sub_resource_type_code", o.SubResourceTypeCode, str(s.SubResourceTypeCode)}, {"sub_resource_type_name", o.SubResourceTypeName, str(s.SubResourceTypeName)},
					{"sub_resource_id", o.SubResourceID, str(s.SubResourceId)}, {"sub_resource_name", o.SubResourceName, str(s.SubResourceName)},
				}
				for _, c := range strs {
					if c[1] != c[2] {
						t.Fatalf("%s detail %d %s: ours %q, SDK %q", month, i, c[0], c[1], c[2])
					}
				}
				decs := []struct {
					name      string
					ours, sdk decimal.Decimal
				}{
					{"usage", o.Usage, decOf(s.Usage)}, {"free_resource_usage", o.FreeResourceUsage, decOf(s.FreeResourceUsage)}, {"ri_usage", o.RIUsage, decOf(s.RiUsage)},
					{"consume_amount", o.ConsumeAmount, decOf(s.ConsumeAmount)}, {"past_months_amortized_amount", o.PastMonthsAmount, decOf(s.PastMonthsAmortizedAmount)},
					{"current_month_amortized_amount", o.CurrentMonthAmount, decOf(s.CurrentMonthAmortizedAmount)},
					{"future_months_amortized_amount", o.FutureMonthsAmount, decOf(s.FutureMonthsAmortizedAmount)},
					{"amortized_cash_amount", o.AmortizedCashAmount, decOf(s.AmortizedCashAmount)}, {"amortized_credit_amount", o.AmortizedCreditAmount, decOf(s.AmortizedCreditAmount)},
					{"amortized_coupon_amount", o.AmortizedCouponAmount, decOf(s.AmortizedCouponAmount)},
					{"amortized_flexipurchase_coupon_amount", o.AmortizedFlexipurchaseCoupon, decOf(s.AmortizedFlexipurchaseCouponAmount)},
					{"amortized_stored_value_card_amount", o.AmortizedStoredValueCardAmount, decOf(s.AmortizedStoredValueCardAmount)},
					{"amortized_bonus_amount", o.AmortizedBonusAmount, decOf(s.AmortizedBonusAmount)},
				}
				for _, c := range decs {
					if !c.ours.Equal(c.sdk) {
						t.Fatalf("%s detail %d %s: ours %s, SDK %s", month, i, c.name, c.ours, c.sdk)
					}
				}
				ints := [][3]any{{"bill_type", o.BillType, i32(s.BillType)}, {"charging_mode", o.ChargingMode, i32(s.ChargingMode)},
					{"period_type", o.PeriodType, i32(s.PeriodType)}, {"usage_measure_id", o.UsageMeasureID, i32(s.UsageMeasureId)},
					{"free_resource_measure_id", o.FreeResourceMeasureID, i32(s.FreeResourceMeasureId)}, {"ri_usage_measure_id", o.RIUsageMeasureID, i32(s.RiUsageMeasureId)}}
				for _, c := range ints {
					if c[1] != c[2] {
						t.Fatalf("%s detail %d %s: ours %v, SDK %v", month, i, c[0], c[1], c[2])
					}
				}
				if !o.EffectiveTime.Equal(sdkTime(t, s.EffectiveTime)) || !o.ExpireTime.Equal(sdkTime(t, s.ExpireTime)) {
					t.Fatalf("%s detail %d validity: ours %v..%v, SDK %v..%v", month, i, o.EffectiveTime, o.ExpireTime, str(s.EffectiveTime), str(s.ExpireTime))
				}
				var tags, units [][2]string
				if s.EffectiveTagPairs != nil {
					for _, p := range *s.EffectiveTagPairs {
						tags = append(tags, [2]string{str(p.TagKey), str(p.TagValue)})
					}
				}
				if s.CostUnitPairs != nil {
					for _, p := range *s.CostUnitPairs {
						units = append(units, [2]string{str(p.CostUnitName), str(p.CostUnitRuleValue)})
					}
				}
				if len(tags) != len(o.CostTagKeys) || len(units) != len(o.CostUnitNames) {
					t.Fatalf("%s detail %d: %d/%d tags, %d/%d cost units", month, i, len(o.CostTagKeys), len(tags), len(o.CostUnitNames), len(units))
				}
				for j, p := range tags {
					if o.CostTagKeys[j] != p[0] || o.CostTagValues[j] != p[1] {
						t.Fatalf("%s detail %d tag %d: ours %s=%s, SDK %s=%s", month, i, j, o.CostTagKeys[j], o.CostTagValues[j], p[0], p[1])
					}
				}
				for j, p := range units {
					if o.CostUnitNames[j] != p[0] || o.CostUnitRuleVals[j] != p[1] {
						t.Fatalf("%s detail %d cost unit %d: ours %s/%s, SDK %s/%s", month, i, j, o.CostUnitNames[j], o.CostUnitRuleVals[j], p[0], p[1])
					}
				}
			}
		}
	})

	t.Run("ShowCustomerAccountBalances", func(t *testing.T) {
		resp, err := sdk.ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := ours.Balances(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Accounts) != len(*resp.AccountBalances) || !b.DebtAmount.Equal(decOf(resp.DebtAmount)) || b.Currency != str(resp.Currency) {
			t.Fatalf("balances differ: %+v vs %v", b, resp)
		}
		for i, s := range *resp.AccountBalances {
			o := b.Accounts[i]
			if o.AccountID != s.AccountId || o.AccountType != int(s.AccountType) || !o.Amount.Equal(decOf(s.Amount)) ||
				!o.CreditAmount.Equal(decOf(s.CreditAmount)) || !o.DesignatedAmount.Equal(decOf(s.DesignatedAmount)) {
				t.Fatalf("account %d: ours %+v, SDK %v", i, o, s)
			}
		}
	})

	t.Run("ListFreeResourceInfos+Usages", func(t *testing.T) {
		resp, err := sdk.ListFreeResourceInfos(&model.ListFreeResourceInfosRequest{Body: &model.ListFreeResourceInfosReq{Offset: ptr(int32(0)), Limit: ptr(int32(1000))}})
		if err != nil {
			t.Fatal(err)
		}
		pkgs, r, err := ours.ListResourcePackages(ctx, bss.ResourcePackageOptions{}, bss.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.TotalCount != i32(resp.TotalCount) || len(pkgs) != len(*resp.FreeResourcePackages) {
			t.Fatalf("packages: %d/%d", len(pkgs), len(*resp.FreeResourcePackages))
		}
		var ids []string
		for i, s := range *resp.FreeResourcePackages {
			o := pkgs[i]
			if o.OrderInstanceID != str(s.OrderInstanceId) || o.Status != i32(s.Status) || o.BundleType != str(s.BundleType) ||
				!o.ExpireTime.Equal(sdkTime(t, s.ExpireTime)) || len(o.Items) != len(*s.FreeResources) {
				t.Fatalf("package %d: ours %+v, SDK %v", i, o, s)
			}
			for j, it := range *s.FreeResources {
				if o.Items[j].FreeResourceID != str(it.FreeResourceId) || !o.Items[j].Amount.Equal(decimal.RequireFromString(str(it.Amount))) ||
					!o.Items[j].OriginalAmount.Equal(decimal.RequireFromString(str(it.OriginalAmount))) || o.Items[j].MeasureID != i32(it.MeasureId) {
					t.Fatalf("item %d/%d: ours %+v, SDK %v", i, j, o.Items[j], it)
				}
				ids = append(ids, str(it.FreeResourceId))
			}
		}
		if len(ids) > 100 {
			ids = ids[:100]
		}
		uresp, err := sdk.ListFreeResourceUsages(&model.ListFreeResourceUsagesRequest{Body: &model.ListFreeResourceUsagesReq{FreeResourceIds: ids}})
		if err != nil {
			t.Fatal(err)
		}
		us, err := ours.ResourceUsages(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(us) != len(*uresp.FreeResources) {
			t.Fatalf("usages %d/%d", len(us), len(*uresp.FreeResources))
		}
		for i, s := range *uresp.FreeResources {
			o := us[i]
			if o.FreeResourceID != str(s.FreeResourceId) || !o.Amount.Equal(decOf(s.Amount)) || !o.OriginalAmount.Equal(decOf(s.OriginalAmount)) ||
				o.QuotaReuseCycle != i32(s.QuotaReuseCycle) || !o.StartTime.Equal(sdkTime(t, s.StartTime)) || !o.EndTime.Equal(sdkTime(t, s.EndTime)) {
				t.Fatalf("usage %d: ours %+v, SDK %v", i, o, s)
			}
		}
	})

	t.Run("Enterprise", func(t *testing.T) {
		oresp, err := sdk.ListEnterpriseOrganizations(&model.ListEnterpriseOrganizationsRequest{RecursiveQuery: ptr(int32(1))})
		if err != nil {
			t.Fatal(err)
		}
		org, err := ours.Organizations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if org.RootID != str(oresp.RootId) || org.RootName != str(oresp.RootName) || len(org.Nodes) != len(*oresp.ChildNodes) {
			t.Fatalf("org: ours %+v, SDK %v", org, oresp)
		}
		sresp, err := sdk.ListEnterpriseSubCustomers(&model.ListEnterpriseSubCustomersRequest{Offset: ptr(int32(0)), Limit: ptr(int32(100))})
		if err != nil {
			t.Fatal(err)
		}
		subs, _, err := ours.ListSubCustomers(ctx, bss.SubCustomerOptions{}, bss.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != len(*sresp.SubCustomerInfos) {
			t.Fatalf("members %d/%d", len(subs), len(*sresp.SubCustomerInfos))
		}
		for i, s := range *sresp.SubCustomerInfos {
			if subs[i].ID != str(s.Id) || subs[i].Name != str(s.Name) || subs[i].OrgID != str(s.OrgId) || subs[i].Status != i32(s.Status) {
				t.Fatalf("member %d: ours %+v, SDK %v", i, subs[i], s)
			}
		}
	})

	t.Run("Lookups", func(t *testing.T) {
		mresp, err := sdk.ListMeasureUnits(&model.ListMeasureUnitsRequest{XLanguage: ptr("en_US")})
		if err != nil {
			t.Fatal(err)
		}
		mus, err := ours.MeasureUnits(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(mus) != len(*mresp.MeasureUnits) {
			t.Fatalf("units %d/%d", len(mus), len(*mresp.MeasureUnits))
		}
		for i, s := range *mresp.MeasureUnits {
			if mus[i].ID != i32(s.MeasureId) || mus[i].Name != str(s.MeasureName) || mus[i].MeasureType != i32(s.MeasureType) {
				t.Fatalf("unit %d: ours %+v, SDK %v", i, mus[i], s)
			}
		}
	})
}
