package sink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// TablePackageDeductions holds the package deduction history (093).
const TablePackageDeductions = "package_deductions"

// deductionsKey is the natural key of a deduction within a (scope,
// deduct_month): the API gives deductions no ID, and two deductions of one
// item for one resource at the same second cannot start from the same
// quota. available_amount enters as text concatenated to nothing: ClickHouse
// 18.16 rewrites a GROUP BY of injective functions (toString, tuple) to
// the Decimal column itself and crashes hashing it (the duplicate report of
// validate); concat is not injective, so the text is kept.
const deductionsKey = "free_resource_id, deduct_time, resource_id, concat(toString(available_amount), '')"

// PackageDeduction is one deduction from a resource package item
// (ListFreeResourcesUsageRecords), stored in package_deductions: the quota
// before (AvailableAmount) and after (RemainingAmount) it and the deducted
// quantity (UsedAmount), in the unit MeasureID (MeasureUnit) names.
// DeductTime is UTC; DeductMonth is the civil first day (00:00 UTC) of
// its UTC+8 month, the partition it is replaced with.
type PackageDeduction struct {
	Scope            string          `ch:"scope"`
	DeductMonth      time.Time       `ch:"deduct_month,date"`
	DeductTime       time.Time       `ch:"deduct_time"`
	CustomerID       string          `ch:"customer_id"`
	FreeResourceID   string          `ch:"free_resource_id"`
	ResourceID       string          `ch:"resource_id"`
	ResourceTypeCode string          `ch:"resource_type_code"`
	ResourceTypeName string          `ch:"resource_type_name"`
	ResourceTag      string          `ch:"resource_tag"`
	ProductID        string          `ch:"product_id"`
	ProductName      string          `ch:"product_name"`
	UsageTypeCode    string          `ch:"usage_type_code"`
	AvailableAmount  decimal.Decimal `ch:"available_amount"`
	RemainingAmount  decimal.Decimal `ch:"remaining_amount"`
	UsedAmount       decimal.Decimal `ch:"used_amount"`
	MeasureID        int32           `ch:"measure_id"`
	MeasureUnit      string          `ch:"measure_unit"`
	EffectiveTime    time.Time       `ch:"effective_time"`
	ExpireTime       time.Time       `ch:"expire_time"`
}

var (
	packageDeductionSpec = dataTable(specOf[PackageDeduction](TablePackageDeductions))
	// deductionTable is package_deductions replaced per (scope,
	// deduct_month), manifests in package_deduction_manifests: the digest's
	// Amount is used_amount, its second sum remaining_amount.
	deductionTable = newPartitionTable(partitionTable{table: TablePackageDeductions, manifests: "package_deduction_manifests",
		what: "deduction month", month: "deduct_month", key: deductionsKey,
		amount: "used_amount", official: "remaining_amount",
		rowsCol: "deductions", amountCol: "used_amount", offiCol: "remaining_amount"})
)

// ReplaceDeductionMonth replaces the deductions of scope in month (the
// civil first day at 00:00 UTC of a UTC+8 month) with rows, with the month
// protocol of the bills (PartitionWriter): rows are staged, validated (as
// many as given, unique natural keys) and swapped in with REPLACE PARTITION
// (DROP PARTITION when rows is empty), so readers see the old month or the
// new one, never a mix; the month's manifest (package_deduction_manifests)
// names runID. Rows with an empty Scope or DeductMonth get the call's; a
// different one, or an empty free_resource_id, is an error and nothing is
// written. A failure leaves the stored month as it was.
func (s *Sink) ReplaceDeductionMonth(ctx context.Context, scope string, month time.Time, runID string, rows []PackageDeduction) (err error) {
	w, err := beginPartition(ctx, s, deductionTable, packageDeductionSpec, func(r *PackageDeduction) (*string, *time.Time) {
		return &r.Scope, &r.DeductMonth
	}, scope, month)
	if err != nil {
		return fmt.Errorf("replace deductions: %w", err)
	}
	defer func() {
		if aerr := w.Abort(ctx); aerr != nil && err == nil {
			err = aerr
		}
	}()
	w.SetRunID(runID)
	for i := range rows {
		if rows[i].FreeResourceID == "" {
			return fmt.Errorf("replace deductions %s %s: row %d has no free_resource_id", scope, month.Format("2006-01"), i)
		}
		if err := w.Add(ctx, rows[i]); err != nil {
			return fmt.Errorf("replace deductions %s %s: %w", scope, month.Format("2006-01"), err)
		}
	}
	return w.Commit(ctx, len(rows))
}

// PackageItemUsage is what one package item's deductions used over some
// time: the sum of used_amount of Deductions deductions.
type PackageItemUsage struct {
	Scope, FreeResourceID string
	Used                  decimal.Decimal
	Deductions            int
}

// PackageUsage sums, per (scope, free_resource_id), the stored deductions
// made at or after from and before to (instants), ordered by scope and
// item.
func (s *Sink) PackageUsage(ctx context.Context, from, to time.Time) ([]PackageItemUsage, error) {
	// deduct_month is the UTC+8 month, which starts up to 8 h before the UTC
	// one: a day earlier is always early enough to prune partitions by.
	first := from.UTC().AddDate(0, 0, -1)
	q := fmt.Sprintf("SELECT scope, free_resource_id, toString(sum(used_amount)) AS used, count() AS n FROM %s.%s "+
		"WHERE deduct_month >= toDate('%s') AND deduct_time >= toDateTime(%d) AND deduct_time < toDateTime(%d) "+
		"GROUP BY scope, free_resource_id ORDER BY scope, free_resource_id",
		s.cfg.Database, TablePackageDeductions, time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
		from.Unix(), to.Unix())
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("package usage: %w", err)
	}
	out := make([]PackageItemUsage, 0, len(res.Rows))
	for i := range res.Rows {
		used, err1 := decimal.NewFromString(res.Value(i, "used"))
		n, err2 := strconv.Atoi(res.Value(i, "n"))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("package usage row %d: %w", i, err)
		}
		out = append(out, PackageItemUsage{Scope: res.Value(i, "scope"), FreeResourceID: res.Value(i, "free_resource_id"), Used: used, Deductions: n})
	}
	return out, nil
}
