package bsssim_test

import (
	"errors"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/bss/v2/model"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// TestOfficialSDKMemberFunds decodes the member-funds operations (reference
// §10.3, §10.4) with the official SDK's strict decoder and compares every
// amount with the simulator's truth; credit ledgers are paged with limit 1.
func TestOfficialSDKMemberFunds(t *testing.T) {
	srv, err := bsssim.NewServer(bsssim.Config{Seed: 9, Scale: bsssim.Scale{Members: 3, RecordsPerMonth: 10, Months: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.Config()
	c := sdkClient(t, srv, cfg.AK, cfg.SK, cfg.DomainID)
	cents := func(v int64) decimal.Decimal { return decimal.New(v, -2) }
	same := func(what string, got *decimal.Decimal, want int64) {
		t.Helper()
		if got == nil || !got.Equal(cents(want)) {
			t.Errorf("%s = %v, want %s", what, got, cents(want))
		}
	}
	for _, bt := range []string{bsssim.BalanceTypeDebit, bsssim.BalanceTypeCredit} {
		truth := srv.TransferFunds(bt)
		var got []model.TransferAmountInfoV2
		for off := int32(0); ; off++ {
			resp, err := c.ShowMultiAccountTransferAmount(&model.ShowMultiAccountTransferAmountRequest{BalanceType: bt, Offset: ptr(off), Limit: ptr(int32(1))})
			if err != nil {
				t.Fatalf("transfer amount %s: %v", bt, err)
			}
			if int(*resp.TotalCount) != len(truth) {
				t.Fatalf("transfer amount %s: total_count %d, want %d", bt, *resp.TotalCount, len(truth))
			}
			got = append(got, *resp.AmountInfos...)
			if len(got) >= len(truth) || len(*resp.AmountInfos) == 0 || bt == bsssim.BalanceTypeDebit {
				break
			}
		}
		if len(got) != len(truth) {
			t.Fatalf("transfer amount %s: %d elements, want %d", bt, len(got), len(truth))
		}
		for i, f := range truth {
			same(bt+" avail_transfer_amount", got[i].AvailTransferAmount, f.Available)
			if *got[i].Currency != "CNY" || *got[i].MeasureId != 1 {
				t.Errorf("%s: currency %s measure %d", bt, *got[i].Currency, *got[i].MeasureId)
			}
			if bt == bsssim.BalanceTypeCredit {
				same(bt+" amount", got[i].Amount, f.Amount)
				same(bt+" credit_amount", got[i].CreditAmount, f.CreditAmount)
				if (f.ExpireTime == "") != (got[i].ExpireTime == nil) || (f.ExpireTime != "" && *got[i].ExpireTime != f.ExpireTime) {
					t.Errorf("%s ledger %d: expire_time %v, want %q", bt, i, got[i].ExpireTime, f.ExpireTime)
				}
			}
		}
	}
	for _, m := range srv.Accounts()[1:] {
		for _, bt := range []string{bsssim.BalanceTypeDebit, bsssim.BalanceTypeCredit} {
			resp, err := c.ListEnterpriseMultiAccount(&model.ListEnterpriseMultiAccountRequest{SubCustomerId: m.ID, BalanceType: bt, Limit: ptr(int32(10))})
			if err != nil {
				t.Fatalf("retrieve amount %s %s: %v", m.ID, bt, err)
			}
			truth := srv.RetrieveFunds(m.ID, bt)
			if len(*resp.AmountInfos) != len(truth) || int(*resp.TotalCount) != len(truth) {
				t.Fatalf("retrieve amount %s %s: %d elements (total %d), want %d", m.ID, bt, len(*resp.AmountInfos), *resp.TotalCount, len(truth))
			}
			for i, f := range truth {
				same("avail_retrieve_amount", (*resp.AmountInfos)[i].AvailRetrieveAmount, f.Available)
			}
		}
	}
	// A member cannot ask; an unknown member and a bad balance type are
	// parameter errors.
	m := srv.Accounts()[1]
	mc := sdkClient(t, srv, m.AK, m.SK, m.ID)
	_, err = mc.ShowMultiAccountTransferAmount(&model.ShowMultiAccountTransferAmountRequest{BalanceType: bsssim.BalanceTypeDebit})
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.ErrorCode != "CBC.0151" {
		t.Errorf("a member asking for the transfer amount: %v, want CBC.0151", err)
	}
	for _, req := range []*model.ListEnterpriseMultiAccountRequest{
		{SubCustomerId: "0123456789abcdef0123456789abcdef", BalanceType: bsssim.BalanceTypeDebit},
		{SubCustomerId: m.ID, BalanceType: "BALANCE_TYPE_BONUS"},
	} {
		_, err := c.ListEnterpriseMultiAccount(req)
		if !errors.As(err, &se) || se.ErrorCode != "CBC.0100" {
			t.Errorf("retrieve amount %+v: %v, want CBC.0100", req, err)
		}
	}
}
