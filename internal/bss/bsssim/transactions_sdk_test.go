package bsssim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// TestOfficialSDKTransactionBills decodes ListCustomerBillsFeeRecords
// (reference §7.3) with the official SDK's strict decoder, paged with limit
// 25 over every month of the master's method=all view, and compares every
// record with the simulator's truth; each month's Σ consume_amount equals
// the itemised records' Σ amount, the payment split sums to consume_amount,
// KooGallery and unsettled transactions occur, and the filters select what
// the truth says. Bad requests are CBC.0100.
func TestOfficialSDKTransactionBills(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second) // the SDK signs with the wall clock
	srv, err := bsssim.NewServer(bsssim.Config{Now: func() time.Time { return now }, Seed: 11,
		Scale: bsssim.Scale{Members: 2, RecordsPerMonth: 60, Months: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.Config()
	c := sdkClient(t, srv, cfg.AK, cfg.SK, cfg.DomainID)
	dec := func(p *decimal.Decimal) decimal.Decimal {
		if p == nil {
			return decimal.Zero
		}
		return *p
	}
	list := func(req model.ListCustomerBillsFeeRecordsRequest) []model.MonthlyBillRecord {
		t.Helper()
		var got []model.MonthlyBillRecord
		for off := int32(0); ; off += 25 {
			req.Offset, req.Limit = ptr(off), ptr(int32(25))
			resp, err := c.ListCustomerBillsFeeRecords(&req)
			if err != nil {
				t.Fatalf("%s offset %d: %v", req.BillCycle, off, err)
			}
			got = append(got, *resp.Records...)
			if len(*resp.Records) == 0 || len(got) >= int(*resp.TotalCount) {
				return got
			}
		}
	}
	kinds := map[[2]int32]int{} // (provider, status) → records
	months := srv.Months()
	for _, cycle := range months {
		truth := srv.Transactions("", cycle)
		got := list(model.ListCustomerBillsFeeRecordsRequest{BillCycle: cycle, Method: ptr("all")})
		if len(got) != len(truth) || len(got) == 0 {
			t.Fatalf("%s: %d records, want %d", cycle, len(got), len(truth))
		}
		consume := decimal.Zero
		for i, w := range truth {
			g := got[i]
			split := dec(g.CashAmount).Add(dec(g.CreditAmount)).Add(dec(g.CouponAmount)).Add(dec(g.FlexipurchaseCouponAmount)).
				Add(dec(g.StoredValueCardAmount)).Add(dec(g.BonusAmount)).Add(dec(g.DebtAmount)).Add(dec(g.WriteoffAmount))
			if *g.BillCycle != cycle || *g.CustomerId != w.CustomerID || *g.TradeId != w.TradeID || int(*g.BillType) != w.BillType ||
				int(*g.Status) != w.Status || int(*g.ProviderType) != w.ProviderType || *g.ServiceTypeCode != w.ServiceTypeCode ||
				*g.ConsumeTime != w.ConsumeTime || *g.TradeTime != w.TradeTime ||
				!dec(g.ConsumeAmount).Equal(w.ConsumeAmount) || !dec(g.OfficialAmount).Equal(w.OfficialAmount) ||
				!dec(g.DebtAmount).Equal(w.DebtAmount) || !split.Equal(w.ConsumeAmount) ||
				!dec(g.OfficialDiscountAmount).Add(dec(g.EraseAmount)).Add(dec(g.ConsumeAmount)).Equal(dec(g.OfficialAmount)) {
				t.Fatalf("%s record %d = %v, want %+v", cycle, i, g, w)
			}
			consume = consume.Add(w.ConsumeAmount)
			kinds[[2]int32{*g.ProviderType, *g.Status}]++
		}
		if item := srv.Truth("", cycle).Amount; !consume.Equal(item) {
			t.Errorf("%s: Σ consume_amount %s, itemised Σ amount %s", cycle, consume, item)
		}
		// Filters select exactly what the truth says.
		for _, f := range []struct {
			req  model.ListCustomerBillsFeeRecordsRequest
			keep func(bsssim.Transaction) bool
		}{
			{model.ListCustomerBillsFeeRecordsRequest{ProviderType: ptr(int32(2))}, func(x bsssim.Transaction) bool { return x.ProviderType == 2 }},
			{model.ListCustomerBillsFeeRecordsRequest{Status: ptr(int32(3))}, func(x bsssim.Transaction) bool { return x.Status == 3 }},
			{model.ListCustomerBillsFeeRecordsRequest{TradeId: ptr(truth[len(truth)/2].TradeID)},
				func(x bsssim.Transaction) bool { return x.TradeID == truth[len(truth)/2].TradeID }},
			{model.ListCustomerBillsFeeRecordsRequest{BillDateBegin: ptr(cycle + "-01"), BillDateEnd: ptr(cycle + "-01")},
				func(x bsssim.Transaction) bool {
					ct, _ := time.Parse(time.RFC3339, x.ConsumeTime)
					return ct.In(time.FixedZone("", 8*3600)).Day() == 1
				}},
		} {
			want := 0
			for _, x := range truth {
				if f.keep(x) {
					want++
				}
			}
			req := f.req
			req.BillCycle = cycle
			if n := len(list(req)); n != want {
				t.Errorf("%s %v: %d records, want %d", cycle, req, n, want)
			}
		}
	}
	// The open month has transactions not yet settled; KooGallery is there.
	if kinds[[2]int32{1, 3}]+kinds[[2]int32{2, 3}] == 0 || kinds[[2]int32{2, 1}]+kinds[[2]int32{2, 2}]+kinds[[2]int32{2, 3}] == 0 ||
		kinds[[2]int32{1, 2}]+kinds[[2]int32{2, 2}] == 0 {
		t.Errorf("records by (provider, status): %v; want KooGallery, status 2 and status 3 among them", kinds)
	}
	cycle := months[len(months)-1]
	other := time.Now().AddDate(0, -2, 0).Format("2006-01") + "-01"
	for _, req := range []model.ListCustomerBillsFeeRecordsRequest{
		{BillCycle: ""},
		{BillCycle: "2024/05"},
		{BillCycle: cycle, BillDateBegin: ptr(cycle + "-01")},
		{BillCycle: cycle, BillDateBegin: ptr(other), BillDateEnd: ptr(cycle + "-02")},
		{BillCycle: cycle, BillDateBegin: ptr(cycle + "-03"), BillDateEnd: ptr(cycle + "-02")},
		{BillCycle: cycle, ProviderType: ptr(int32(3))},
		{BillCycle: cycle, Status: ptr(int32(4))},
		{BillCycle: cycle, Limit: ptr(int32(0))},
		{BillCycle: cycle, Limit: ptr(int32(1001))},
		{BillCycle: cycle, Offset: ptr(int32(-1))},
		{BillCycle: cycle, EnterpriseProjectId: ptr("")},
		{BillCycle: cycle, Method: ptr("sub_customer")},
		{BillCycle: cycle, Method: ptr("everyone")},
	} {
		_, err := c.ListCustomerBillsFeeRecords(&req)
		var se *sdkerr.ServiceResponseError
		if !errors.As(err, &se) || se.ErrorCode != "CBC.0100" {
			t.Errorf("%v: %v, want CBC.0100", req, err)
		}
	}
}
