package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Amortised cost tables (issue 15).
const (
	TableAmortizedCosts     = "amortized_costs"
	TableAmortizedManifests = "amortized_manifests"
)

// amortizedKey is the natural key of an amortised detail within a
// (scope, shared_month) (reference §14).
const amortizedKey = "shared_month, bill_cycle, customer_id, resource_id, service_type_code, resource_type_code, region_code, " +
	"charging_mode, bill_type, order_id, usage_type, enterprise_project_id, sub_resource_id"

// AmortizedCost is one detail of ListCustomerBillsMonthlyBreakDown, stored
// in amortized_costs: the share of one charge of BillCycle that falls in
// SharedMonth. Both months are civil first days (00:00 UTC), never
// shifted. CostTags and CostUnits are "key=value" pairs separated by ";".
type AmortizedCost struct {
	Scope                              string
	SharedMonth                        time.Time
	BillCycle                          time.Time
	BillType                           int32
	CustomerID                         string
	RegionCode                         string
	RegionName                         string
	ServiceTypeCode                    string
	ServiceTypeName                    string
	ResourceTypeCode                   string
	ResourceTypeName                   string
	ResourceID                         string
	ResourceName                       string
	ResourceTags                       string
	ProductSpecDesc                    string
	EnterpriseProjectID                string
	EnterpriseProjectName              string
	ChargingMode                       int32
	OrderID                            string
	PeriodType                         int32
	EffectiveTime                      time.Time
	ExpireTime                         time.Time
	UsageType                          string
	Usage                              decimal.Decimal
	UsageUnit                          string
	FreeResourceUsage                  decimal.Decimal
	FreeResourceUnit                   string
	RIUsage                            decimal.Decimal
	RIUsageUnit                        string
	ConsumeAmount                      decimal.Decimal
	PastMonthsAmortizedAmount          decimal.Decimal
	CurrentMonthAmortizedAmount        decimal.Decimal
	FutureMonthsAmortizedAmount        decimal.Decimal
	AmortizedCashAmount                decimal.Decimal
	AmortizedCreditAmount              decimal.Decimal
	AmortizedCouponAmount              decimal.Decimal
	AmortizedFlexipurchaseCouponAmount decimal.Decimal
	AmortizedStoredValueCardAmount     decimal.Decimal
	AmortizedBonusAmount               decimal.Decimal
	Currency                           string
	SubServiceTypeCode                 string
	SubResourceTypeCode                string
	SubResourceID                      string
	SubResourceName                    string
	CostTags                           string
	CostUnits                          string
}

var amortizedSpec = &tableSpec[AmortizedCost]{table: TableAmortizedCosts, fields: []field[AmortizedCost]{
	strField("scope", func(r *AmortizedCost) string { return r.Scope }),
	dateField("shared_month", func(r *AmortizedCost) time.Time { return r.SharedMonth }),
	dateField("bill_cycle", func(r *AmortizedCost) time.Time { return r.BillCycle }),
	int32Field("bill_type", func(r *AmortizedCost) int32 { return r.BillType }),
	strField("customer_id", func(r *AmortizedCost) string { return r.CustomerID }),
	strField("region_code", func(r *AmortizedCost) string { return r.RegionCode }),
	strField("region_name", func(r *AmortizedCost) string { return r.RegionName }),
	strField("service_type_code", func(r *AmortizedCost) string { return r.ServiceTypeCode }),
	strField("service_type_name", func(r *AmortizedCost) string { return r.ServiceTypeName }),
	strField("resource_type_code", func(r *AmortizedCost) string { return r.ResourceTypeCode }),
	strField("resource_type_name", func(r *AmortizedCost) string { return r.ResourceTypeName }),
	strField("resource_id", func(r *AmortizedCost) string { return r.ResourceID }),
	strField("resource_name", func(r *AmortizedCost) string { return r.ResourceName }),
	strField("resource_tags", func(r *AmortizedCost) string { return r.ResourceTags }),
	strField("product_spec_desc", func(r *AmortizedCost) string { return r.ProductSpecDesc }),
	strField("enterprise_project_id", func(r *AmortizedCost) string { return r.EnterpriseProjectID }),
	strField("enterprise_project_name", func(r *AmortizedCost) string { return r.EnterpriseProjectName }),
	int32Field("charging_mode", func(r *AmortizedCost) int32 { return r.ChargingMode }),
	strField("order_id", func(r *AmortizedCost) string { return r.OrderID }),
	int32Field("period_type", func(r *AmortizedCost) int32 { return r.PeriodType }),
	timeField("effective_time", func(r *AmortizedCost) time.Time { return r.EffectiveTime }),
	timeField("expire_time", func(r *AmortizedCost) time.Time { return r.ExpireTime }),
	strField("usage_type", func(r *AmortizedCost) string { return r.UsageType }),
	decField("usage", func(r *AmortizedCost) decimal.Decimal { return r.Usage }),
	strField("usage_unit", func(r *AmortizedCost) string { return r.UsageUnit }),
	decField("free_resource_usage", func(r *AmortizedCost) decimal.Decimal { return r.FreeResourceUsage }),
	strField("free_resource_unit", func(r *AmortizedCost) string { return r.FreeResourceUnit }),
	decField("ri_usage", func(r *AmortizedCost) decimal.Decimal { return r.RIUsage }),
	strField("ri_usage_unit", func(r *AmortizedCost) string { return r.RIUsageUnit }),
	decField("consume_amount", func(r *AmortizedCost) decimal.Decimal { return r.ConsumeAmount }),
	decField("past_months_amortized_amount", func(r *AmortizedCost) decimal.Decimal { return r.PastMonthsAmortizedAmount }),
	decField("current_month_amortized_amount", func(r *AmortizedCost) decimal.Decimal { return r.CurrentMonthAmortizedAmount }),
	decField("future_months_amortized_amount", func(r *AmortizedCost) decimal.Decimal { return r.FutureMonthsAmortizedAmount }),
	decField("amortized_cash_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedCashAmount }),
	decField("amortized_credit_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedCreditAmount }),
	decField("amortized_coupon_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedCouponAmount }),
	decField("amortized_flexipurchase_coupon_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedFlexipurchaseCouponAmount }),
	decField("amortized_stored_value_card_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedStoredValueCardAmount }),
	decField("amortized_bonus_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedBonusAmount }),
	strField("currency", func(r *AmortizedCost) string { return r.Currency }),
	strField("sub_service_type_code", func(r *AmortizedCost) string { return r.SubServiceTypeCode }),
	strField("sub_resource_type_code", func(r *AmortizedCost) string { return r.SubResourceTypeCode }),
	strField("sub_resource_id", func(r *AmortizedCost) string { return r.SubResourceID }),
	strField("sub_resource_name", func(r *AmortizedCost) string { return r.SubResourceName }),
	strField("cost_tags", func(r *AmortizedCost) string { return r.CostTags }),
	strField("cost_units", func(r *AmortizedCost) string { return r.CostUnits }),
}}

// AmortizedWriter replaces one (scope, shared_month) of amortized_costs with
// the month protocol of the bills (see MonthWriter): rows are sent into
// staging as they come, like the cost records (stagedRows: streamed in
// small blocks within one INSERT), Commit validates them
// (row count, unique natural keys), swaps the partition in with REPLACE
// PARTITION (DROP PARTITION when empty) and
// records the month's manifest in amortized_manifests. Until Commit
// succeeds readers see the previous month. Not safe for concurrent use;
// always call Abort (a no-op after Commit).
type AmortizedWriter struct {
	s       *Sink
	scope   string
	month   time.Time
	logger  *slog.Logger
	rows    *stagedRows[AmortizedCost]
	staged  int
	created string
	done    bool
	err     error
	runID   string
}

// SetRunID names the run that commits the month, in its manifest.
func (w *AmortizedWriter) SetRunID(id string) { w.runID = id }

// BeginAmortizedMonth starts replacing the shared month of scope (the civil
// first day at 00:00 UTC) in a fresh staging table.
func (s *Sink) BeginAmortizedMonth(ctx context.Context, scope string, month time.Time) (*AmortizedWriter, error) {
	if err := checkCycle(month); err != nil {
		return nil, fmt.Errorf("begin amortised month: %w", err)
	}
	if scope == "" {
		return nil, errors.New("begin amortised month: empty scope")
	}
	if err := s.CleanupStaging(ctx, s.cfg.StagingTTL); err != nil {
		s.logger.Warn("staging cleanup failed", slog.Any("err", err))
	}
	w := &AmortizedWriter{s: s, scope: scope, month: month,
		logger: s.logger.With(slog.String("scope", scope), slog.String("shared_month", month.Format("2006-01")))}
	name, err := s.createStaging(ctx, TableAmortizedCosts, s.stagingSuffix())
	if err != nil {
		return nil, fmt.Errorf("begin amortised month %s %s: %w", scope, month.Format("2006-01"), err)
	}
	w.created, w.rows = name, newStagedRows(s, amortizedSpec, name)
	return w, nil
}

// Add buffers r (an empty Scope or SharedMonth takes the writer's) and
// sends the buffered block into staging when it is full (see stagedRows).
func (w *AmortizedWriter) Add(ctx context.Context, r AmortizedCost) error {
	if w.done {
		return ErrWriterDone
	}
	if w.err != nil {
		return fmt.Errorf("amortised month writer failed earlier: %w", w.err)
	}
	if err := w.checkRow(&r); err != nil {
		return fmt.Errorf("add amortised cost %s/%s: %w", r.CustomerID, r.ResourceID, err)
	}
	if err := w.rows.add(&r); err != nil {
		return fmt.Errorf("add amortised cost %s/%s: %w", r.CustomerID, r.ResourceID, err)
	}
	w.staged++
	if err := w.rows.sendFull(ctx); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *AmortizedWriter) checkRow(r *AmortizedCost) error {
	if r.Scope == "" {
		r.Scope = w.scope
	} else if r.Scope != w.scope {
		return fmt.Errorf("scope %q in a month of scope %q", r.Scope, w.scope)
	}
	if r.SharedMonth.IsZero() {
		r.SharedMonth = w.month
	} else if !r.SharedMonth.Equal(w.month) {
		return fmt.Errorf("shared month %s in month %s", r.SharedMonth.Format(time.DateOnly), w.month.Format(time.DateOnly))
	}
	return nil
}

// Staged returns the rows added so far.
func (w *AmortizedWriter) Staged() int { return w.staged }

// Commit inserts the remaining rows, validates the staged month (want rows,
// unique natural keys), swaps it in and records its manifest. A validation
// failure returns a *ValidationError and leaves the stored month untouched.
func (w *AmortizedWriter) Commit(ctx context.Context, want int) error {
	if w.done {
		return ErrWriterDone
	}
	if w.err != nil {
		return fmt.Errorf("amortised month writer failed earlier: %w", w.err)
	}
	w.done = true
	defer w.drop()
	month := w.scope + " " + w.month.Format("2006-01")
	if err := w.rows.finish(ctx); err != nil {
		w.err = err
		return fmt.Errorf("commit amortised month %s: %w", month, err)
	}
	if err := w.s.validate(ctx, w.created, TableAmortizedCosts, want, amortizedKey, ""); err != nil {
		return fmt.Errorf("commit amortised month %s: %w", month, err)
	}
	staged, err := w.s.amortizedDigests(ctx, w.s.cfg.Database+"."+w.created, "")
	if err != nil {
		return fmt.Errorf("commit amortised month %s: %w", month, err)
	}
	if len(staged) > 1 {
		return fmt.Errorf("commit amortised month %s: staging holds %d months", month, len(staged))
	}
	var digest TableDigest
	for _, d := range staged {
		digest = d
	}
	part := fmt.Sprintf("(%s, %s)", quote(w.scope), w.month.Format("200601"))
	if err := w.s.swap(ctx, part, []swapPair{{TableAmortizedCosts, w.created, want}}); err != nil {
		return fmt.Errorf("commit amortised month %s: %w", month, err)
	}
	now := w.s.now().UTC()
	row := amortizedManifestRow{Scope: w.scope, SharedMonth: w.month, Seq: uint64(now.UnixNano()), CommittedAt: now.Truncate(time.Second),
		RunID: w.runID, Digest: digest}
	if err := insertRows(context.WithoutCancel(ctx), w.s, amortizedManifestSpec, TableAmortizedManifests, []amortizedManifestRow{row}); err != nil {
		return fmt.Errorf("commit amortised month %s: swapped, but recording its manifest failed: %w", month, err)
	}
	w.logger.Info("amortised month committed", slog.Int("details", want))
	return nil
}

// Abort drops the staging table; the stored month stays as it was. It is a
// no-op after Commit or a previous Abort, and works with a cancelled ctx.
func (w *AmortizedWriter) Abort(ctx context.Context) error {
	if w.done {
		return nil
	}
	w.done = true
	w.rows.abort() // else the DROP waits for an open INSERT to end
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := w.s.dropTable(ctx, w.created); err != nil {
		return fmt.Errorf("abort amortised month %s %s: %w", w.scope, w.month.Format("2006-01"), err)
	}
	return nil
}

func (w *AmortizedWriter) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w.rows.abort()
	if err := w.s.dropTable(ctx, w.created); err != nil {
		w.logger.Warn("drop staging table failed; it is dropped after the staging TTL", slog.Any("err", err))
	}
}

type amortizedManifestRow struct {
	Scope       string
	SharedMonth time.Time
	Seq         uint64
	CommittedAt time.Time
	RunID       string
	Digest      TableDigest
}

var amortizedManifestSpec = &tableSpec[amortizedManifestRow]{table: TableAmortizedManifests, fields: []field[amortizedManifestRow]{
	strField("scope", func(r *amortizedManifestRow) string { return r.Scope }),
	dateField("shared_month", func(r *amortizedManifestRow) time.Time { return r.SharedMonth }),
	uint64Field("seq", func(r *amortizedManifestRow) uint64 { return r.Seq }),
	timeField("committed_at", func(r *amortizedManifestRow) time.Time { return r.CommittedAt }),
	strField("run_id", func(r *amortizedManifestRow) string { return r.RunID }),
	uint64Field("details", func(r *amortizedManifestRow) uint64 { return r.Digest.Rows }),
	decField("current_amount", func(r *amortizedManifestRow) decimal.Decimal { return r.Digest.Amount }),
	decField("consume_amount", func(r *amortizedManifestRow) decimal.Decimal { return r.Digest.OfficialAmount }),
	uint64Field("keys_checksum", func(r *amortizedManifestRow) uint64 { return r.Digest.KeysChecksum }),
}}

// amortizedDigests digests amortised months per (scope, shared_month):
// rows, the sum of current_month_amortized_amount (Amount) and of
// consume_amount (OfficialAmount, for want of a better slot), and the key
// checksum.
func (s *Sink) amortizedDigests(ctx context.Context, from, where string) (map[MonthKey]TableDigest, error) {
	if where != "" {
		where = " WHERE " + where
	}
	q := fmt.Sprintf("SELECT scope, toString(shared_month) AS cycle, count() AS n, sum(current_month_amortized_amount) AS amount, "+
		"sum(consume_amount) AS official, sum(cityHash64(%s)) AS keys FROM %s%s GROUP BY scope, shared_month ORDER BY scope, cycle", amortizedKey, from, where)
	return s.digestRows(ctx, TableAmortizedCosts, q)
}

// AmortizedCheck is the audit of one stored amortised month.
type AmortizedCheck struct {
	MonthKey // Cycle is the shared month
	Status   string
	Stored   TableDigest
	Manifest *TableDigest // nil when the month has none
	Problems []string
}

// VerifyAmortized compares every stored amortised month whose shared month
// lies in [from, to] (zero bounds: unbounded) with its latest manifest, like
// Verify does for the bills, ordered by scope and month.
func (s *Sink) VerifyAmortized(ctx context.Context, from, to time.Time) ([]AmortizedCheck, error) {
	var conds []string
	if !from.IsZero() {
		conds = append(conds, "shared_month >= toDate('"+from.Format(time.DateOnly)+"')")
	}
	if !to.IsZero() {
		conds = append(conds, "shared_month <= toDate('"+to.Format(time.DateOnly)+"')")
	}
	where := strings.Join(conds, " AND ")
	stored, err := s.amortizedDigests(ctx, s.cfg.Database+"."+TableAmortizedCosts, where)
	if err != nil {
		return nil, err
	}
	w := ""
	if where != "" {
		w = " WHERE " + where
	}
	res, err := s.eng.query(ctx, "SELECT scope, toString(shared_month) AS cycle, argMax(details, seq) AS n, argMax(current_amount, seq) AS a, "+
		"argMax(consume_amount, seq) AS c, argMax(keys_checksum, seq) AS k FROM "+s.cfg.Database+"."+TableAmortizedManifests+w+
		" GROUP BY scope, shared_month ORDER BY scope, cycle")
	if err != nil {
		return nil, fmt.Errorf("read amortised manifests: %w", err)
	}
	mans := make(map[MonthKey]TableDigest, len(res.Rows))
	for i := range res.Rows {
		k, err := monthKeyOf(res, i)
		if err != nil {
			return nil, fmt.Errorf("read amortised manifests: %w", err)
		}
		d, err := parseDigest(res.Value(i, "n"), res.Value(i, "a"), res.Value(i, "c"), res.Value(i, "k"))
		if err != nil {
			return nil, fmt.Errorf("read amortised manifest %s: %w", k, err)
		}
		mans[k] = d
	}
	keys := make([]MonthKey, 0, len(stored)+len(mans))
	for k := range stored {
		keys = append(keys, k)
	}
	for k := range mans {
		if _, ok := stored[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b MonthKey) int {
		if c := strings.Compare(a.Scope, b.Scope); c != 0 {
			return c
		}
		return a.Cycle.Compare(b.Cycle)
	})
	out := make([]AmortizedCheck, 0, len(keys))
	for _, k := range keys {
		c := AmortizedCheck{MonthKey: k, Stored: stored[k], Status: MonthUnverified}
		if m, ok := mans[k]; ok {
			c.Manifest = &m
			c.Problems = compareAmortized(c.Stored, m)
			c.Status = MonthOK
			if len(c.Problems) > 0 {
				c.Status = MonthMismatch
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func compareAmortized(got, want TableDigest) []string {
	t := TableAmortizedCosts
	var p []string
	if got.Rows != want.Rows {
		p = append(p, fmt.Sprintf("%s: %d rows stored, %d committed", t, got.Rows, want.Rows))
	}
	if !got.Amount.Equal(want.Amount) {
		p = append(p, fmt.Sprintf("%s: current_month_amortized_amount %s stored, %s committed", t, got.Amount, want.Amount))
	}
	if !got.OfficialAmount.Equal(want.OfficialAmount) {
		p = append(p, fmt.Sprintf("%s: consume_amount %s stored, %s committed", t, got.OfficialAmount, want.OfficialAmount))
	}
	if got.KeysChecksum != want.KeysChecksum && got.Rows == want.Rows {
		p = append(p, t+": natural keys differ from the committed ones")
	}
	return p
}

// MismatchedAmortizedMonths returns the stored amortised months that differ
// from their manifests.
func (s *Sink) MismatchedAmortizedMonths(ctx context.Context) ([]MonthKey, error) {
	checks, err := s.VerifyAmortized(ctx, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	var out []MonthKey
	for _, c := range checks {
		if c.Status == MonthMismatch {
			out = append(out, c.MonthKey)
		}
	}
	return out, nil
}
