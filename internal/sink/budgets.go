package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Budget is the latest enabled version of a budget (budgets_latest): the
// amount of every billing month for the costs its scope, dimension and
// value select, in Currency. The sink does not judge it; the jobs validate it
// (see jobs.Forecast).
type Budget struct {
	Name, Scope, Dimension, TagKey, Value string
	Amount                                decimal.Decimal
	Currency                              string
	UpdatedAt                             time.Time
}

// Budgets returns every budget of budgets_latest, by name.
func (s *Sink) Budgets(ctx context.Context) ([]Budget, error) {
	q := fmt.Sprintf("SELECT name, scope, dimension, tag_key, value, toString(amount) AS amount, currency, "+
		"toUnixTimestamp(updated_at) AS updated FROM %s.budgets_latest ORDER BY name", s.cfg.Database)
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("budgets: %w", err)
	}
	out := make([]Budget, 0, len(res.Rows))
	for i := range res.Rows {
		v := func(c string) string { return res.Value(i, c) }
		b := Budget{Name: v("name"), Scope: v("scope"), Dimension: v("dimension"), TagKey: v("tag_key"), Value: v("value"), Currency: v("currency")}
		if b.Amount, err = decimal.NewFromString(v("amount")); err != nil {
			return nil, fmt.Errorf("budgets row %d: %w", i, err)
		}
		if b.UpdatedAt, err = unixText(v("updated")); err != nil {
			return nil, fmt.Errorf("budgets row %d: %w", i, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// BudgetDay is the amount due that one budget covers on one bill date
// (UTC+8), and the part of it that is one-off prepaid charges (yearly/monthly
// and reserved-instance charges not spread by the amortisation), from
// budget_costs, on the basis of the day (schema/088_budget_costs_basis.sql).
type BudgetDay struct {
	Budget string
	// BillCycle is the first day of the billing month, BillDate the civil
	// UTC+8 date, both at midnight UTC.
	BillCycle, BillDate time.Time
	Currency            string
	Amount, OneOff      decimal.Decimal
	// Basis is amortized (prepaid purchases spread over the days of the
	// months they pay for), billed, or mixed (scopes on both bases).
	Basis string
}

// BudgetCosts returns the budget_costs days of every budget whose bill date
// lies in from..to (civil dates, inclusive), by budget and date.
func (s *Sink) BudgetCosts(ctx context.Context, from, to time.Time) ([]BudgetDay, error) {
	q := fmt.Sprintf("SELECT budget, toString(bill_cycle) AS cycle, toString(bill_date) AS day, currency, "+
		"toString(amount) AS amount, toString(one_off_amount) AS one_off, basis FROM %s.budget_costs "+
		"WHERE bill_date >= toDate('%s') AND bill_date <= toDate('%s') ORDER BY budget, bill_date, bill_cycle",
		s.cfg.Database, from.Format(time.DateOnly), to.Format(time.DateOnly))
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("budget costs: %w", err)
	}
	out := make([]BudgetDay, 0, len(res.Rows))
	for i := range res.Rows {
		v := func(c string) string { return res.Value(i, c) }
		d := BudgetDay{Budget: v("budget"), Currency: v("currency"), Basis: v("basis")}
		var errs [4]error
		d.BillCycle, errs[0] = time.Parse(time.DateOnly, v("cycle"))
		d.BillDate, errs[1] = time.Parse(time.DateOnly, v("day"))
		d.Amount, errs[2] = decimal.NewFromString(v("amount"))
		d.OneOff, errs[3] = decimal.NewFromString(v("one_off"))
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("budget costs row %d: %w", i, err)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// ServiceDay is the amount due of one service on one bill date (UTC+8)
// under one scope, and the part of it that is one-off prepaid charges, on
// the day's basis (as in BudgetDay).
type ServiceDay struct {
	Scope, ServiceTypeCode, ServiceTypeName string
	// BillDate is the civil UTC+8 date, at midnight UTC.
	BillDate       time.Time
	Currency       string
	Amount, OneOff decimal.Decimal
	Basis          string
}

// ServiceDailyCosts returns the amount due per (scope, service, bill date,
// currency) of the bill dates from..to (civil dates, inclusive), from
// daily_costs: amortised where the month's amortisation is stored.
func (s *Sink) ServiceDailyCosts(ctx context.Context, from, to time.Time) ([]ServiceDay, error) {
	q := fmt.Sprintf("SELECT scope, service_type_code, any(service_type_name) AS service_name, toString(bill_date) AS day, currency, "+
		"toString(sum(amount)) AS day_amount, toString(sum(one_off_amount)) AS day_one_off, "+
		"if(min(basis) = max(basis), min(basis), 'mixed') AS basis "+
		"FROM %s.daily_costs WHERE bill_cycle >= toStartOfMonth(toDate('%[2]s')) AND bill_cycle <= toDate('%[3]s') "+
		"AND bill_date >= toDate('%[2]s') AND bill_date <= toDate('%[3]s') "+
		"GROUP BY scope, service_type_code, bill_date, currency ORDER BY scope, service_type_code, bill_date, currency",
		s.cfg.Database, from.Format(time.DateOnly), to.Format(time.DateOnly))
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("service daily costs: %w", err)
	}
	out := make([]ServiceDay, 0, len(res.Rows))
	for i := range res.Rows {
		v := func(c string) string { return res.Value(i, c) }
		d := ServiceDay{Scope: v("scope"), ServiceTypeCode: v("service_type_code"), ServiceTypeName: v("service_name"),
			Currency: v("currency"), Basis: v("basis")}
		var errs [3]error
		d.BillDate, errs[0] = time.Parse(time.DateOnly, v("day"))
		d.Amount, errs[1] = decimal.NewFromString(v("day_amount"))
		d.OneOff, errs[2] = decimal.NewFromString(v("day_one_off"))
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("service daily costs row %d: %w", i, err)
			}
		}
		out = append(out, d)
	}
	return out, nil
}
