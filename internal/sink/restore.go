package sink

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// The reads below let the daemon restore its business gauges (balances,
// packages, month-to-date cost, daily burn) from what is stored at start-up,
// instead of leaving them absent until each job has run again. They return
// the rows of the data contract, exact (decimals and times are read as text).

// LatestBalances returns the latest balance snapshot of every (scope,
// customer_id), from balances_latest.
func (s *Sink) LatestBalances(ctx context.Context) ([]BalanceSnapshot, error) {
	q := fmt.Sprintf("SELECT scope, toUnixTimestamp(observed_at) AS observed, customer_id, account_id, account_type, "+
		"toString(amount) AS amount, toString(credit_amount) AS credit, toString(designated_amount) AS designated, "+
		"toString(debt_amount) AS debt, currency FROM %s.balances_latest ORDER BY scope, customer_id, account_id", s.cfg.Database)
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("latest balances: %w", err)
	}
	rows := make([]BalanceSnapshot, 0, len(res.Rows))
	for i := range res.Rows {
		var r BalanceSnapshot
		var errs [6]error
		r.Scope, r.CustomerID, r.AccountID, r.Currency = res.Value(i, "scope"), res.Value(i, "customer_id"), res.Value(i, "account_id"), res.Value(i, "currency")
		r.ObservedAt, errs[0] = unixText(res.Value(i, "observed"))
		var at int64
		at, errs[1] = strconv.ParseInt(res.Value(i, "account_type"), 10, 32)
		r.AccountType = int32(at)
		r.Amount, errs[2] = decimal.NewFromString(res.Value(i, "amount"))
		r.CreditAmount, errs[3] = decimal.NewFromString(res.Value(i, "credit"))
		r.DesignatedAmount, errs[4] = decimal.NewFromString(res.Value(i, "designated"))
		r.DebtAmount, errs[5] = decimal.NewFromString(res.Value(i, "debt"))
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("latest balances row %d: %w", i, err)
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// LatestResourcePackages returns the latest snapshot of every package item,
// from resource_packages_latest.
func (s *Sink) LatestResourcePackages(ctx context.Context) ([]ResourcePackageSnapshot, error) {
	q := fmt.Sprintf("SELECT scope, toUnixTimestamp(observed_at) AS observed, customer_id, order_instance_id, order_id, free_resource_id, "+
		"product_id, product_name, service_type_code, region_code, enterprise_project_id, usage_type, status, "+
		"toUnixTimestamp(effective_time) AS effective, toUnixTimestamp(expire_time) AS expire, "+
		"toString(original_amount) AS original, toString(remaining_amount) AS remaining, measure_unit "+
		"FROM %s.resource_packages_latest ORDER BY scope, customer_id, order_instance_id, free_resource_id", s.cfg.Database)
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("latest resource packages: %w", err)
	}
	rows := make([]ResourcePackageSnapshot, 0, len(res.Rows))
	for i := range res.Rows {
		v := func(c string) string { return res.Value(i, c) }
		r := ResourcePackageSnapshot{Scope: v("scope"), CustomerID: v("customer_id"), OrderInstanceID: v("order_instance_id"),
			OrderID: v("order_id"), FreeResourceID: v("free_resource_id"), ProductID: v("product_id"), ProductName: v("product_name"),
			ServiceTypeCode: v("service_type_code"), RegionCode: v("region_code"), EnterpriseProjectID: v("enterprise_project_id"),
			UsageType: v("usage_type"), MeasureUnit: v("measure_unit")}
		var errs [6]error
		var st int64
		st, errs[0] = strconv.ParseInt(v("status"), 10, 32)
		r.Status = int32(st)
		r.ObservedAt, errs[1] = unixText(v("observed"))
		r.EffectiveTime, errs[2] = unixText(v("effective"))
		r.ExpireTime, errs[3] = unixText(v("expire"))
		r.OriginalAmount, errs[4] = decimal.NewFromString(v("original"))
		r.RemainingAmount, errs[5] = decimal.NewFromString(v("remaining"))
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("latest resource packages row %d: %w", i, err)
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// DailyCost is the amount due of one customer on one bill date (UTC+8) as
// stored under one scope.
type DailyCost struct {
	Scope, CustomerID string
	// BillDate is the civil UTC+8 date, at midnight UTC.
	BillDate time.Time
	Currency string
	Amount   decimal.Decimal
	// Basis is "billed" or "amortized" (BurnCosts only; see daily_costs).
	Basis string
}

// DailyCosts returns the stored amount due per (scope, customer, bill date,
// currency) of the bill months from..to (first days of months, inclusive).
func (s *Sink) DailyCosts(ctx context.Context, from, to time.Time) ([]DailyCost, error) {
	q := fmt.Sprintf("SELECT scope, customer_id, toString(bill_date) AS day, currency, toString(sum(amount)) AS amount "+
		"FROM %s.cost_records WHERE bill_cycle >= toDate('%s') AND bill_cycle <= toDate('%s') "+
		"GROUP BY scope, customer_id, bill_date, currency ORDER BY scope, customer_id, bill_date, currency",
		s.cfg.Database, from.Format(time.DateOnly), to.Format(time.DateOnly))
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("daily costs: %w", err)
	}
	out := make([]DailyCost, 0, len(res.Rows))
	for i := range res.Rows {
		d, err := time.Parse(time.DateOnly, res.Value(i, "day"))
		if err != nil {
			return nil, fmt.Errorf("daily costs row %d: %w", i, err)
		}
		a, err := decimal.NewFromString(res.Value(i, "amount"))
		if err != nil {
			return nil, fmt.Errorf("daily costs row %d: %w", i, err)
		}
		out = append(out, DailyCost{Scope: res.Value(i, "scope"), CustomerID: res.Value(i, "customer_id"), BillDate: d,
			Currency: res.Value(i, "currency"), Amount: a})
	}
	return out, nil
}

// BurnCosts returns the cost per (scope, customer, bill date, currency) of
// the bill dates from..to (civil dates, inclusive) from the daily_costs
// view: amortised where the month's amortisation is stored, billed
// elsewhere (schema/087_daily_costs.sql), with the basis of each day.
func (s *Sink) BurnCosts(ctx context.Context, from, to time.Time) ([]DailyCost, error) {
	q := fmt.Sprintf("SELECT scope, customer_id, toString(bill_date) AS day, currency, basis, toString(sum(amount)) AS amount "+
		"FROM %s.daily_costs WHERE bill_cycle >= toStartOfMonth(toDate('%[2]s')) AND bill_cycle <= toDate('%[3]s') "+
		"AND bill_date >= toDate('%[2]s') AND bill_date <= toDate('%[3]s') "+
		"GROUP BY scope, customer_id, bill_date, currency, basis ORDER BY scope, customer_id, bill_date, currency, basis",
		s.cfg.Database, from.Format(time.DateOnly), to.Format(time.DateOnly))
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("burn costs: %w", err)
	}
	out := make([]DailyCost, 0, len(res.Rows))
	for i := range res.Rows {
		d, err := time.Parse(time.DateOnly, res.Value(i, "day"))
		if err != nil {
			return nil, fmt.Errorf("burn costs row %d: %w", i, err)
		}
		a, err := decimal.NewFromString(res.Value(i, "amount"))
		if err != nil {
			return nil, fmt.Errorf("burn costs row %d: %w", i, err)
		}
		out = append(out, DailyCost{Scope: res.Value(i, "scope"), CustomerID: res.Value(i, "customer_id"), BillDate: d,
			Currency: res.Value(i, "currency"), Amount: a, Basis: res.Value(i, "basis")})
	}
	return out, nil
}

// unixText parses a toUnixTimestamp result; 0 is the zero time (unknown).
func unixText(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return time.Unix(n, 0).UTC(), nil
}

// StoredMonths returns, per scope, the bill months (first days) that hold
// itemised records or monthly summaries.
func (s *Sink) StoredMonths(ctx context.Context) (map[string][]time.Time, error) {
	q := fmt.Sprintf("SELECT scope, toString(bill_cycle) AS cycle FROM (SELECT DISTINCT scope, bill_cycle FROM %[1]s.%[2]s "+
		"UNION ALL SELECT DISTINCT scope, bill_cycle FROM %[1]s.%[3]s) GROUP BY scope, bill_cycle ORDER BY scope, bill_cycle",
		s.cfg.Database, TableCostRecords, TableBillSummaries)
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("stored months: %w", err)
	}
	out := make(map[string][]time.Time)
	for i := range res.Rows {
		c, err := time.Parse(time.DateOnly, res.Value(i, "cycle"))
		if err != nil {
			return nil, fmt.Errorf("stored months row %d: %w", i, err)
		}
		out[res.Value(i, "scope")] = append(out[res.Value(i, "scope")], c)
	}
	return out, nil
}
