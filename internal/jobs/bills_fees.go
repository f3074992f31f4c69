package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// The transaction bills (ListCustomerBillsFeeRecords) are part of the bills
// job: the same months, read in the same attempt as the itemised records
// (so a drifting month re-reads both), staged in fee_records with the same
// month protocol and committed right after the month's itemised records
// and summaries. The month's sync_runs row reconciles them: fee_amount is
// Σ consume_amount, fee_drift = fee_amount − itemised_amount (the same
// charges seen as transactions; see docs/transactions.md). The feed is
// China only: on the international site the client refuses it without a
// request and the month is synced without it (fee columns 0).

// feeStats is what staging a month's transaction bills counted.
type feeStats struct {
	read      bool // false: the account's site offers no transaction bills
	rows      int
	consume   sums
	unsettled sums // consume_amount of status 2 and 3
}

// FeeRecord maps a transaction bill to its fee_records row. Its key_seq is
// left 0: the FeeWriter numbers the transactions that repeat a natural key
// when it commits the month, so the job keeps nothing per transaction.
func FeeRecord(scope string, cycle bss.Month, t bss.TransactionBill, names *Names) sink.FeeRecord {
	return sink.FeeRecord{
		Scope: scope, BillCycle: cycle.Date(), CustomerID: t.CustomerID, AccountName: t.AccountName,
		ProviderType:    int32(t.ProviderType),
		ServiceTypeCode: t.ServiceTypeCode, ServiceTypeName: names.ServiceType(t.ServiceTypeCode, t.ServiceTypeName),
		ResourceTypeCode: t.ResourceTypeCode, ResourceTypeName: names.ResourceType(t.ResourceTypeCode, t.ResourceTypeName),
		RegionCode: t.RegionCode, RegionName: t.RegionName,
		EnterpriseProjectID: t.EnterpriseProjectID, EnterpriseProjectName: t.EnterpriseProjectName,
		ChargingMode: int32(t.ChargingMode), ConsumeTime: t.ConsumeTime.UTC(), TradeTime: t.TradeTime.UTC(),
		TradeID: t.TradeID, BillType: int32(t.BillType), Status: int32(t.Status),
		OfficialAmount: t.OfficialAmount, OfficialDiscountAmount: t.OfficialDiscountAmount, EraseAmount: t.EraseAmount,
		ConsumeAmount: t.ConsumeAmount, CashAmount: t.CashAmount, CreditAmount: t.CreditAmount, CouponAmount: t.CouponAmount,
		FlexipurchaseCouponAmount: t.FlexipurchaseCouponAmount, StoredValueCardAmount: t.StoredValueCardAmount,
		BonusAmount: t.BonusAmount, DebtAmount: t.DebtAmount, WriteoffAmount: t.WriteoffAmount, Currency: t.Currency,
	}
}

// stageFees reads the month's transaction bills into a fresh staging area
// and returns its writer, for the caller to commit with st.rows; nil with
// st.read false when the account's site offers no transaction bills. On
// an error the staging area is dropped. The API is read with read (see
// stageBills), the rows written with ctx.
func (b *Bills) stageFees(ctx, read context.Context, a Account, m bss.Month, method bss.Method, members []string, how string) (st feeStats, _ FeeWriter, err error) {
	st = feeStats{consume: sums{}, unsettled: sums{}}
	var w FeeWriter
	staged := false
	defer func() {
		if w != nil {
			abortUnstaged(ctx, w, &staged, &err)
		}
	}()
	begin := func() error {
		if w != nil {
			return nil
		}
		var err error
		if w, err = b.Store.BeginFeeMonth(ctx, a.Scope, m.Date()); err != nil {
			w = nil
			return fmt.Errorf("begin transaction month: %w", err)
		}
		return nil
	}
	consume, unsettled := tally{}, tally{}
	defer func() { st.consume, st.unsettled = consume.sums(), unsettled.sums() }()
	opts := bss.TransactionBillOptions{Cycle: m, Method: method, Members: members, IncludeZero: true}
	for t, err := range a.Source.TransactionBills(read, opts) {
		if err != nil {
			if st.rows == 0 && errors.Is(err, errors.ErrUnsupported) {
				b.feesUnavailable(a, err)
				return feeStats{}, nil, nil
			}
			return st, nil, fmt.Errorf("transaction bills %s: %w", how, err)
		}
		if err := begin(); err != nil {
			return st, nil, err
		}
		if err := w.Add(ctx, FeeRecord(a.Scope, m, t, b.Names)); err != nil {
			return st, nil, fmt.Errorf("add transaction bill %s: %w", t.TradeID, err)
		}
		st.rows++
		consume.add(t.Currency, t.ConsumeAmount)
		if t.Status != bss.TransactionPaid {
			unsettled.add(t.Currency, t.ConsumeAmount)
		}
	}
	if err := begin(); err != nil { // an empty month empties the stored one
		return st, nil, err
	}
	if err := w.Seal(ctx); err != nil {
		return st, nil, fmt.Errorf("stage transaction bills: %w", err)
	}
	st.read, staged = true, true
	return st, w, nil
}

// feesUnavailable logs once per scope that the account's site offers no
// transaction bills.
func (b *Bills) feesUnavailable(a Account, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.feesOff == nil {
		b.feesOff = map[string]bool{}
	}
	if !b.feesOff[a.Scope] {
		b.feesOff[a.Scope] = true
		b.Logger.Info("transaction bills are not offered on this account's site; months are synced without them",
			"scope", a.Scope, "err", err)
	}
}

// commitFees commits the staged transaction bills of a month whose bills
// were committed, and reconciles them against the itemised records in the
// month's run; with no writer (feed not read) it does nothing.
func (b *Bills) commitFees(sm *stagedMonth) error {
	if sm.fees == nil {
		return nil
	}
	sm.fees.SetRunID(sm.run.runID)
	if err := sm.fees.Commit(sm.rctx, sm.st.fees.rows); err != nil {
		return fmt.Errorf("commit transaction bills: %w", err)
	}
	sm.run.feeAmount = sm.st.fees.consume.total()
	sm.run.feeDrift = sm.run.feeAmount.Sub(sm.st.itemised.total())
	return nil
}

// abortFees drops the staged transaction bills of a month that is not
// committed.
func (sm *stagedMonth) abortFees(ctx context.Context) error {
	if sm.fees == nil {
		return nil
	}
	actx, cancel := detached(ctx)
	defer cancel()
	return sm.fees.Abort(actx)
}

// feeGauges sets the transaction gauges of the current month once it is
// committed: its drift against the itemised records and its unsettled
// amount.
func (b *Bills) feeGauges(a Account, m bss.Month, st monthStats) {
	if !st.fees.read || m != bss.MonthOf(b.now()) {
		return
	}
	for cur := range unionKeys(st.fees.consume, st.itemised) {
		b.Metrics.feeDrift.WithLabelValues(a.Scope, cur).Set(float(st.fees.consume[cur].Sub(st.itemised[cur]).Abs()))
		b.Metrics.unsettled.WithLabelValues(a.Scope, cur).Set(float(st.fees.unsettled[cur]))
	}
}
