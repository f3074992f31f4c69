package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// TableMemberFunds holds the member-funds snapshots (086).
const TableMemberFunds = "member_funds"

// MemberFunds is one element of the master's allocatable or a member's
// retrievable funds observed at ObservedAt, stored in member_funds. Role is
// "master" or "member", BalanceType "debit" or "credit", Ledger the
// element's place in the answer. A zero ExpireTime is NULL (never expires).
type MemberFunds struct {
	Scope        string          `ch:"scope"`
	ObservedAt   time.Time       `ch:"observed_at"`
	CustomerID   string          `ch:"customer_id"`
	Role         string          `ch:"role"`
	BalanceType  string          `ch:"balance_type"`
	Ledger       int32           `ch:"ledger"`
	Available    decimal.Decimal `ch:"available"`
	Amount       decimal.Decimal `ch:"amount"`
	CreditAmount decimal.Decimal `ch:"credit_amount"`
	Currency     string          `ch:"currency"`
	ExpireTime   time.Time       `ch:"expire_time,nulltime"`
}

var memberFundsSpec = dataTable(specOf[MemberFunds](TableMemberFunds))

// WriteMemberFunds appends one member-funds snapshot, like WriteBalances.
func (s *Sink) WriteMemberFunds(ctx context.Context, rows []MemberFunds) error {
	for i := range rows {
		if rows[i].Scope == "" || rows[i].ObservedAt.IsZero() || rows[i].CustomerID == "" {
			return fmt.Errorf("write member funds: row %d lacks scope, observed_at or customer_id", i)
		}
	}
	if err := insertRows(ctx, s, memberFundsSpec, TableMemberFunds, rows); err != nil {
		return fmt.Errorf("write member funds: %w", err)
	}
	s.metrics.rowsWritten.WithLabelValues(TableMemberFunds).Add(float64(len(rows)))
	return nil
}

// CustomerCost is the amount due of one customer of a scope over some days,
// in one currency.
type CustomerCost struct {
	Scope, CustomerID, Currency string
	Amount                      decimal.Decimal
}

// CustomerCosts sums the stored itemised costs per (scope, customer,
// currency) of the bill dates from..to (UTC+8 civil dates, inclusive).
func (s *Sink) CustomerCosts(ctx context.Context, from, to time.Time) ([]CustomerCost, error) {
	q := fmt.Sprintf("SELECT scope, customer_id, currency, toString(sum(amount)) AS total "+
		"FROM %s.cost_records WHERE bill_cycle >= toStartOfMonth(toDate('%[2]s')) AND bill_cycle <= toDate('%[3]s') "+
		"AND bill_date >= toDate('%[2]s') AND bill_date <= toDate('%[3]s') "+
		"GROUP BY scope, customer_id, currency ORDER BY scope, customer_id, currency",
		s.cfg.Database, from.Format(time.DateOnly), to.Format(time.DateOnly))
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("customer costs: %w", err)
	}
	out := make([]CustomerCost, 0, len(res.Rows))
	for i := range res.Rows {
		amt, err := decimal.NewFromString(res.Value(i, "total"))
		if err != nil {
			return nil, fmt.Errorf("customer costs row %d: %w", i, err)
		}
		out = append(out, CustomerCost{Scope: res.Value(i, "scope"), CustomerID: res.Value(i, "customer_id"),
			Currency: res.Value(i, "currency"), Amount: amt})
	}
	return out, nil
}
