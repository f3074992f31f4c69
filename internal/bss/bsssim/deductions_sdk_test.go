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

// TestOfficialSDKPackageDeductions decodes ListFreeResourcesUsageRecords
// (reference §9.3) with the official SDK's strict decoder over one 90-day
// window, paged with limit 7, and compares every record with the
// simulator's truth; a window over 90 days, a missing or malformed date and
// a bad limit are CBC.0100.
func TestOfficialSDKPackageDeductions(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second) // the SDK signs with the wall clock
	srv, err := bsssim.NewServer(bsssim.Config{Now: func() time.Time { return now }, Seed: 9,
		Scale: bsssim.Scale{Members: 1, RecordsPerMonth: 10, Months: 1, Packages: 4}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.Config()
	c := sdkClient(t, srv, cfg.AK, cfg.SK, cfg.DomainID)
	day := func(d int) string {
		return now.In(time.FixedZone("UTC+8", 8*3600)).AddDate(0, 0, d).Format(time.DateOnly)
	}
	begin, end := day(-90), day(0)
	truth := srv.Deductions(begin, end)
	if len(truth) < 20 {
		t.Fatalf("only %d deductions in the window", len(truth))
	}
	var got []model.FreeResourceRecord
	for off := int32(0); ; off += 7 {
		resp, err := c.ListFreeResourcesUsageRecords(&model.ListFreeResourcesUsageRecordsRequest{DeductTimeBegin: begin, DeductTimeEnd: end,
			Offset: ptr(off), Limit: ptr(int32(7))})
		if err != nil {
			t.Fatalf("offset %d: %v", off, err)
		}
		if int(*resp.TotalCount) != len(truth) {
			t.Fatalf("total_count %d, want %d", *resp.TotalCount, len(truth))
		}
		got = append(got, *resp.FreeResourceRecords...)
		if len(*resp.FreeResourceRecords) == 0 || len(got) >= len(truth) {
			break
		}
	}
	if len(got) != len(truth) {
		t.Fatalf("%d records, want %d", len(got), len(truth))
	}
	same := func(s *string, v int64) bool { // the quantities are decimal strings
		d, err := decimal.NewFromString(*s)
		return err == nil && d.Equal(decimal.New(v, -3))
	}
	for i, w := range truth {
		g := got[i]
		if *g.DeductTime != w.DeductTime || *g.FreeResourceId != w.FreeResourceID || *g.ProductId != w.ProductID ||
			!same(g.AvailableAmount, w.Available) || !same(g.RemainingAmount, w.Remaining) || !same(g.UsedAmount, w.Used) ||
			int(*g.MeasureId) != w.MeasureID || *g.EffectiveTime != w.EffectiveTime || *g.ExpireTime != w.ExpireTime {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
	}
	for _, req := range []model.ListFreeResourcesUsageRecordsRequest{
		{DeductTimeBegin: day(-91), DeductTimeEnd: end}, // 91 days
		{DeductTimeBegin: end, DeductTimeEnd: day(-1)},
		{DeductTimeBegin: "2024/06/01", DeductTimeEnd: end},
		{DeductTimeEnd: end},
		{DeductTimeBegin: begin, DeductTimeEnd: end, Limit: ptr(int32(0))},
		{DeductTimeBegin: begin, DeductTimeEnd: end, Offset: ptr(int32(-1))},
	} {
		_, err := c.ListFreeResourcesUsageRecords(&req)
		var se *sdkerr.ServiceResponseError
		if !errors.As(err, &se) || se.ErrorCode != "CBC.0100" {
			t.Errorf("%+v: %v, want CBC.0100", req, err)
		}
	}
}
