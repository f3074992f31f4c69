package bsssim_test

import (
	"errors"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	bss "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	bssintl "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bssintl/v2"
	intlmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bssintl/v2/model"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

func ptr[T any](v T) *T { return &v }

func sdkClient(t *testing.T, srv *bsssim.Server, ak, sk, domain string) *bss.BssClient {
	t.Helper()
	auth, err := global.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithDomainId(domain).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := bss.BssClientBuilder().
		WithRegion(region.NewRegion("sim", srv.URL)).
		WithCredential(auth).
		WithHttpConfig(config.DefaultHttpConfig()).
		SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return bss.NewBssClient(hc)
}

// TestOfficialSDK points the official Go SDK's BSS client at the simulator:
// its strict decoder must accept every response, with the expected values.
func TestOfficialSDK(t *testing.T) {
	srv, err := bsssim.NewServer(bsssim.Config{Seed: 7, Scale: bsssim.Scale{Members: 5, RecordsPerMonth: 1500, Months: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.Config()
	c := sdkClient(t, srv, cfg.AK, cfg.SK, cfg.DomainID)
	months := srv.Months()

	for _, cycle := range months {
		truth := srv.Truth("", cycle)
		// Itemised records, all pages.
		var n int
		var amount, official, discount, coupon decimal.Decimal
		ids := make(map[string]bool)
		for off := int32(0); ; {
			resp, err := c.ListCustomerselfResourceRecords(&model.ListCustomerselfResourceRecordsRequest{
				Cycle: cycle, StatisticType: ptr(int32(3)), IncludeZeroRecord: ptr(true), Method: ptr("all"),
				Offset: ptr(off), Limit: ptr(int32(1000)), XLanguage: ptr("en_US"),
			})
			if err != nil {
				t.Fatalf("%s offset %d: %v", cycle, off, err)
			}
			if int(*resp.TotalCount) != truth.Records || *resp.Currency != "CNY" {
				t.Fatalf("%s: total %d currency %s, truth %d", cycle, *resp.TotalCount, *resp.Currency, truth.Records)
			}
			for _, r := range *resp.FeeRecords {
				if ids[*r.Id] {
					t.Fatalf("duplicate id %s", *r.Id)
				}
				ids[*r.Id] = true
				if r.ChargeMode == nil || r.Amount == nil || r.BillDate == nil || r.CustomerId == nil {
					t.Fatalf("record %s lacks fields", *r.Id)
				}
				amount, official = amount.Add(*r.Amount), official.Add(*r.OfficialAmount)
				discount, coupon = discount.Add(*r.DiscountAmount), coupon.Add(*r.CouponAmount)
			}
			n += len(*resp.FeeRecords)
			off += int32(len(*resp.FeeRecords))
			if len(*resp.FeeRecords) == 0 || int(off) >= truth.Records {
				break
			}
		}
		if n != truth.Records || !amount.Equal(truth.Amount) || !official.Equal(truth.OfficialAmount) ||
			!discount.Equal(truth.DiscountAmount) || !coupon.Equal(truth.CouponAmount) {
			t.Fatalf("%s: SDK read %d records amount %s official %s discount %s coupon %s; truth %d %s %s %s %s", cycle,
				n, amount, official, discount, coupon, truth.Records, truth.Amount, truth.OfficialAmount, truth.DiscountAmount, truth.CouponAmount)
		}
		// Per-cycle roll-up.
		roll, err := c.ListCustomerselfResourceRecords(&model.ListCustomerselfResourceRecordsRequest{
			Cycle: cycle, StatisticType: ptr(int32(1)), IncludeZeroRecord: ptr(true), Limit: ptr(int32(1000))})
		if err != nil {
			t.Fatalf("roll-up: %v", err)
		}
		if int(*roll.TotalCount) != truth.RollupRecords {
			t.Fatalf("roll-up total %d, truth %d", *roll.TotalCount, truth.RollupRecords)
		}
		var rollAmount decimal.Decimal
		for off := int32(0); off < *roll.TotalCount; off += 1000 {
			page, err := c.ListCustomerselfResourceRecords(&model.ListCustomerselfResourceRecordsRequest{
				Cycle: cycle, StatisticType: ptr(int32(1)), Offset: ptr(off), Limit: ptr(int32(1000))})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range *page.FeeRecords {
				if r.Id != nil {
					t.Fatalf("roll-up row has an id")
				}
				rollAmount = rollAmount.Add(*r.Amount)
			}
		}
		if !rollAmount.Equal(truth.Amount) {
			t.Fatalf("roll-up amount %s, truth %s", rollAmount, truth.Amount)
		}
		// Monthly summary.
		ms, err := c.ShowCustomerMonthlySum(&model.ShowCustomerMonthlySumRequest{BillCycle: cycle, Method: ptr("all"), Limit: ptr(int32(1000))})
		if err != nil {
			t.Fatalf("monthly sum: %v", err)
		}
		if int(*ms.TotalCount) != len(truth.MonthlySums) || !ms.ConsumeAmount.Equal(truth.Amount) {
			t.Fatalf("monthly sum: %d rows consume %s; truth %d rows %s", *ms.TotalCount, ms.ConsumeAmount, len(truth.MonthlySums), truth.Amount)
		}
		for i, row := range *ms.BillSums {
			want := truth.MonthlySums[i]
			rt := ""
			if row.ResourceTypeCode != nil {
				rt = *row.ResourceTypeCode
			}
			if *row.CustomerId != want.CustomerID || *row.ServiceTypeCode != want.ServiceTypeCode || rt != want.ResourceTypeCode ||
				int(*row.ChargingMode) != want.ChargingMode || int(*row.BillType) != want.BillType ||
				!row.ConsumeAmount.Equal(want.ConsumeAmount) || !row.TruncatedAmount.Equal(want.TruncatedAmount) ||
				!row.OfficialDiscountAmount.Equal(want.OfficialDiscountAmount) || !row.CashAmount.Equal(want.CashAmount) {
				t.Fatalf("monthly sum row %d = %v, want %+v", i, row, want)
			}
		}
	}

	// Balances.
	bal, err := c.ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{})
	if err != nil {
		t.Fatalf("balances: %v", err)
	}
	types := map[int32]bool{}
	for _, b := range *bal.AccountBalances {
		types[b.AccountType] = true
		if b.Currency != "CNY" || b.MeasureId != 1 {
			t.Fatalf("balance %+v", b)
		}
		if b.AccountType == 2 && b.CreditAmount == nil {
			t.Fatalf("credit account without credit_amount")
		}
	}
	if len(types) != 4 || !types[1] || !types[2] || !types[5] || !types[7] {
		t.Fatalf("balance account types %v", types)
	}

	// Resource packages (v3, string quotas) and their usages (numbers).
	pk, err := c.ListFreeResourceInfos(&model.ListFreeResourceInfosRequest{Body: &model.ListFreeResourceInfosReq{Offset: ptr(int32(0)), Limit: ptr(int32(1000))}})
	if err != nil {
		t.Fatalf("packages: %v", err)
	}
	statuses := map[int32]bool{}
	var itemIDs []string
	for _, p := range *pk.FreeResourcePackages {
		statuses[*p.Status] = true
		for _, it := range *p.FreeResources {
			if _, err := decimal.NewFromString(*it.Amount); err != nil {
				t.Fatalf("package amount %q: %v", *it.Amount, err)
			}
			itemIDs = append(itemIDs, *it.FreeResourceId)
		}
	}
	if int(*pk.TotalCount) != cfg.Scale.Packages || len(statuses) != 5 {
		t.Fatalf("packages: total %d statuses %v", *pk.TotalCount, statuses)
	}
	us, err := c.ListFreeResourceUsages(&model.ListFreeResourceUsagesRequest{Body: &model.ListFreeResourceUsagesReq{FreeResourceIds: append(itemIDs, "unknown-id")}})
	if err != nil {
		t.Fatalf("usages: %v", err)
	}
	if len(*us.FreeResources) != len(itemIDs) {
		t.Fatalf("usages: %d of %d", len(*us.FreeResources), len(itemIDs))
	}

	// Organisation and members.
	org, err := c.ListEnterpriseOrganizations(&model.ListEnterpriseOrganizationsRequest{RecursiveQuery: ptr(int32(1))})
	if err != nil {
		t.Fatalf("organizations: %v", err)
	}
	var count func(nodes *[]model.EmChildNodeV2) int
	count = func(nodes *[]model.EmChildNodeV2) int {
		if nodes == nil {
			return 0
		}
		n := len(*nodes)
		for _, c := range *nodes {
			n += count(c.ChildNodes)
		}
		return n
	}
	if *org.RootId == "" || count(org.ChildNodes) != cfg.Scale.OrgUnits {
		t.Fatalf("org tree: root %q, %d units", *org.RootId, count(org.ChildNodes))
	}
	subs, err := c.ListEnterpriseSubCustomers(&model.ListEnterpriseSubCustomersRequest{Limit: ptr(int32(100))})
	if err != nil {
		t.Fatalf("sub-customers: %v", err)
	}
	if int(*subs.TotalCount) != cfg.Scale.Members {
		t.Fatalf("sub-customers: %d", *subs.TotalCount)
	}
	// Unicode, space, '/' and '+' in a query value survive signing and decoding.
	fz, err := c.ListEnterpriseSubCustomers(&model.ListEnterpriseSubCustomersRequest{SubCustomerDisplayName: ptr("研发 部/A+B"), Limit: ptr(int32(100))})
	if err != nil || *fz.TotalCount != 1 {
		t.Fatalf("display-name filter: %v %v", err, fz)
	}
	// Empty string filter (sent as a bare key by the SDK) matches nothing.
	empty, err := c.ListCustomerselfResourceRecords(&model.ListCustomerselfResourceRecordsRequest{Cycle: months[0], CloudServiceType: ptr("")})
	if err != nil || *empty.TotalCount != 0 {
		t.Fatalf("empty cloud_service_type: %v %v", err, empty)
	}

	// Look-ups: every code in the bills resolves.
	st, err := c.ListServiceTypes(&model.ListServiceTypesRequest{Limit: ptr(int32(1000))})
	if err != nil || *st.TotalCount == 0 {
		t.Fatalf("service types: %v", err)
	}
	rt, err := c.ListResourceTypes(&model.ListResourceTypesRequest{Limit: ptr(int32(1000))})
	if err != nil || *rt.TotalCount == 0 {
		t.Fatalf("resource types: %v", err)
	}
	mu, err := c.ListMeasureUnits(&model.ListMeasureUnitsRequest{})
	if err != nil || len(*mu.MeasureUnits) == 0 {
		t.Fatalf("measure units: %v", err)
	}
	if _, err := c.ListUsageTypes(&model.ListUsageTypesRequest{Limit: ptr(int32(1000))}); err != nil {
		t.Fatalf("usage types: %v", err)
	}
	if _, err := c.ListServiceResources(&model.ListServiceResourcesRequest{ServiceTypeCode: "hws.service.type.ec2"}); err != nil {
		t.Fatalf("service resources: %v", err)
	}
	if _, err := c.ListConversions(&model.ListConversionsRequest{}); err != nil {
		t.Fatalf("conversions: %v", err)
	}
	svc := map[string]bool{}
	for _, s := range *st.ServiceTypes {
		svc[*s.ServiceTypeCode] = true
	}
	for _, r := range *rt.ResourceTypes {
		if !svc[*r.ServiceTypeCode] {
			t.Fatalf("resource type %s of unknown service %s", *r.ResourceTypeCode, *r.ServiceTypeCode)
		}
	}

	// Errors come back as the SDK's ServiceResponseError with code and request ID.
	_, err = c.ListCustomerselfResourceRecords(&model.ListCustomerselfResourceRecordsRequest{Cycle: months[0], Limit: ptr(int32(1001))})
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode != 400 || se.ErrorCode != "CBC.0100" || se.RequestId == "" {
		t.Fatalf("limit 1001: %v", err)
	}
	bad := sdkClient(t, srv, cfg.AK, "wrong-secret", cfg.DomainID)
	_, err = bad.ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{})
	if !errors.As(err, &se) || se.StatusCode != 401 || se.ErrorCode != "APIG.0301" {
		t.Fatalf("bad secret: %v", err)
	}
	// Temporary credentials through the SDK.
	member := srv.Accounts()[1]
	mc := sdkClient(t, srv, member.AK, member.SK, member.ID)
	if _, err := mc.ListEnterpriseSubCustomers(&model.ListEnterpriseSubCustomersRequest{}); !errors.As(err, &se) || se.ErrorCode != "CBC.0151" {
		t.Fatalf("member on enterprise endpoint: %v", err)
	}
}

func TestOfficialSDKTemporaryCredentials(t *testing.T) {
	srv, err := bsssim.NewServer(bsssim.Config{Seed: 8, Credentials: []bsssim.Credential{
		{AK: "STSAK0000000001", SK: "stsSecret", DomainID: bsssim.DemoDomainID, SecurityToken: "sts-token-xyz"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	build := func(token string) *bss.BssClient {
		auth, err := global.NewCredentialsBuilder().WithAk("STSAK0000000001").WithSk("stsSecret").
			WithSecurityToken(token).WithDomainId(bsssim.DemoDomainID).SafeBuild()
		if err != nil {
			t.Fatal(err)
		}
		hc, err := bss.BssClientBuilder().WithRegion(region.NewRegion("sim", srv.URL)).WithCredential(auth).SafeBuild()
		if err != nil {
			t.Fatal(err)
		}
		return bss.NewBssClient(hc)
	}
	if _, err := build("sts-token-xyz").ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{}); err != nil {
		t.Fatalf("good token: %v", err)
	}
	var se *sdkerr.ServiceResponseError
	if _, err := build("other").ShowCustomerAccountBalances(&model.ShowCustomerAccountBalancesRequest{}); !errors.As(err, &se) || se.StatusCode != 401 {
		t.Fatalf("bad token: %v", err)
	}
}

// TestOfficialSDKIntl runs the international SDK (bssintl) against the
// simulator in intl mode: USD and the endpoints that SDK has.
func TestOfficialSDKIntl(t *testing.T) {
	srv, err := bsssim.NewServer(bsssim.Config{Seed: 9, Site: bsssim.SiteIntl, Scale: bsssim.Scale{RecordsPerMonth: 300}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.Config()
	auth, err := global.NewCredentialsBuilder().WithAk(cfg.AK).WithSk(cfg.SK).WithDomainId(cfg.DomainID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := bssintl.BssintlClientBuilder().WithRegion(region.NewRegion("sim", srv.URL)).WithCredential(auth).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	c := bssintl.NewBssintlClient(hc)
	cycle := srv.Months()[0]
	truth := srv.Truth("", cycle)
	rr, err := c.ListCustomerselfResourceRecords(&intlmodel.ListCustomerselfResourceRecordsRequest{Cycle: cycle, Limit: ptr(int32(1000)), IncludeZeroRecord: ptr(true)})
	if err != nil || *rr.Currency != "USD" || int(*rr.TotalCount) != truth.Records {
		t.Fatalf("intl records: %v", err)
	}
	ms, err := c.ShowCustomerMonthlySum(&intlmodel.ShowCustomerMonthlySumRequest{BillCycle: cycle, Limit: ptr(int32(1000))})
	if err != nil || *ms.Currency != "USD" || !ms.ConsumeAmount.Equal(truth.Amount) {
		t.Fatalf("intl monthly sum: %v", err)
	}
	bal, err := c.ShowCustomerAccountBalances(&intlmodel.ShowCustomerAccountBalancesRequest{})
	if err != nil || *bal.Currency != "USD" {
		t.Fatalf("intl balances: %v", err)
	}
	if _, err := c.ListFreeResourceInfos(&intlmodel.ListFreeResourceInfosRequest{Body: &intlmodel.ListFreeResourceInfosReq{Limit: ptr(int32(100))}}); err != nil {
		t.Fatalf("intl packages: %v", err)
	}
	if _, err := c.ListEnterpriseSubCustomers(&intlmodel.ListEnterpriseSubCustomersRequest{}); err != nil {
		t.Fatalf("intl sub-customers: %v", err)
	}
	if _, err := c.ListServiceTypes(&intlmodel.ListServiceTypesRequest{}); err != nil {
		t.Fatalf("intl service types: %v", err)
	}
	if _, err := c.ListResourceTypes(&intlmodel.ListResourceTypesRequest{}); err != nil {
		t.Fatalf("intl resource types: %v", err)
	}
	if _, err := c.ListMeasureUnits(&intlmodel.ListMeasureUnitsRequest{}); err != nil {
		t.Fatalf("intl measure units: %v", err)
	}
}
