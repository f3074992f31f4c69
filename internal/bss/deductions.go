package bss

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// OpPackageDeductions is the package deduction history (reference §9.3).
var OpPackageDeductions = operation("ListFreeResourcesUsageRecords")

// deductPageLimit is the documented default page size; the maximum is not
// documented (reference §9.3), so syncd asks for no more.
const deductPageLimit = 10

// maxDeductDays is the widest window of one query: deduct_time_end −
// deduct_time_begin ≤ 90 days (reference §9.3).
const maxDeductDays = 90

// DeductionOptions selects package deductions: every UTC+8 day from the
// day of From to the day of To (both inclusive; any span, split into
// 90-day queries), optionally of one package item, package product or
// resource type.
type DeductionOptions struct {
	From, To         time.Time
	FreeResourceID   string
	ProductID        string
	ResourceTypeCode string
}

// PackageDeduction is one deduction from a resource package item: the
// quota before (Available) and after (Remaining) it and the deducted
// quantity (Used), in the unit MeasureID names.
type PackageDeduction struct {
	DeductTime       time.Time
	FreeResourceID   string
	ResourceID       string
	ResourceTypeCode string
	ResourceTypeName string
	ResourceTag      string
	ProductID        string
	ProductName      string
	UsageTypeCode    string
	Available        decimal.Decimal
	Remaining        decimal.Decimal
	Used             decimal.Decimal
	MeasureID        int
	EffectiveTime    time.Time
	ExpireTime       time.Time
}

type wDeduction struct {
	DeductTime       wTime  `json:"deduct_time"`
	FreeResourceID   string `json:"free_resource_id"`
	ResourceID       string `json:"resource_id"`
	ResourceTypeCode string `json:"resource_type_code"`
	ResourceTypeName string `json:"resource_type_name"`
	ResourceTag      string `json:"resource_tag"`
	ProductID        string `json:"product_id"`
	ProductName      string `json:"product_name"`
	UsageTypeCode    string `json:"usage_type_code"`
	AvailableAmount  wDec   `json:"available_amount"`
	RemainingAmount  wDec   `json:"remaining_amount"`
	UsedAmount       wDec   `json:"used_amount"`
	MeasureID        wInt   `json:"measure_id"`
	EffectiveTime    wTime  `json:"effective_time"`
	ExpireTime       wTime  `json:"expire_time"`
}

type wDeductionPage struct {
	wStatus
	TotalCount *wInt        `json:"total_count"`
	Records    []wDeduction `json:"free_resource_records"`
}

// decodeDeductionPage decodes one answer; deduct_time, free_resource_id and
// the three quantities must be present.
func decodeDeductionPage(body []byte) ([]PackageDeduction, int, error) {
	var p wDeductionPage
	if err := decodeBody(body, &p, "free_resource_records", func() any { return new(wDeduction) }); err != nil {
		return nil, 0, err
	}
	total, err := pageTotal(p.TotalCount)
	if err != nil {
		return nil, 0, err
	}
	out := make([]PackageDeduction, len(p.Records))
	for i, w := range p.Records {
		fail := func(f string) error {
			return &DecodeError{Field: fmt.Sprintf("free_resource_records[%d].%s", i, f), Offset: elemOffset(body, "free_resource_records", i),
				Err: errors.New("missing")}
		}
		switch {
		case time.Time(w.DeductTime).IsZero():
			return nil, 0, fail("deduct_time")
		case w.FreeResourceID == "":
			return nil, 0, fail("free_resource_id")
		case !w.AvailableAmount.set:
			return nil, 0, fail("available_amount")
		case !w.RemainingAmount.set:
			return nil, 0, fail("remaining_amount")
		case !w.UsedAmount.set:
			return nil, 0, fail("used_amount")
		}
		out[i] = PackageDeduction{DeductTime: timeOf(w.DeductTime), FreeResourceID: w.FreeResourceID, ResourceID: w.ResourceID,
			ResourceTypeCode: w.ResourceTypeCode, ResourceTypeName: w.ResourceTypeName, ResourceTag: w.ResourceTag,
			ProductID: w.ProductID, ProductName: w.ProductName, UsageTypeCode: w.UsageTypeCode,
			Available: w.AvailableAmount.d, Remaining: w.RemainingAmount.d, Used: w.UsedAmount.d, MeasureID: int(w.MeasureID),
			EffectiveTime: timeOf(w.EffectiveTime), ExpireTime: timeOf(w.ExpireTime)}
	}
	return out, total, nil
}

// deductWindows splits the UTC+8 days from..to (inclusive) into windows of
// at most maxDeductDays between begin and end.
func deductWindows(from, to time.Time) [][2]string {
	day := func(t time.Time) time.Time {
		t = t.In(beijing)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	var out [][2]string
	for b, last := day(from), day(to); !b.After(last); {
		e := b.AddDate(0, 0, maxDeductDays)
		if e.After(last) {
			e = last
		}
		out = append(out, [2]string{b.Format(time.DateOnly), e.Format(time.DateOnly)})
		b = e.AddDate(0, 0, 1)
	}
	return out
}

// PackageDeductions returns every package deduction opts selects:
// GET /v2/bills/customer-bills/free-resources-usage-records (reference
// §9.3; the SDK's ListFreeResourcesUsageRecords), one query per 90-day
// window, each paged to its total_count, in the order the API answers.
func (c *Client) PackageDeductions(ctx context.Context, opts DeductionOptions) ([]PackageDeduction, error) {
	if opts.From.IsZero() || opts.To.IsZero() || opts.To.Before(opts.From) {
		return nil, fmt.Errorf("bss %s: a window From ≤ To is required", OpPackageDeductions)
	}
	var all []PackageDeduction
	for _, w := range deductWindows(opts.From, opts.To) {
		page := func(off int) (rows []PackageDeduction, total int, err error) {
			var q query
			for _, kv := range [][2]string{{"free_resource_id", opts.FreeResourceID}, {"product_id", opts.ProductID},
				{"resource_type_code", opts.ResourceTypeCode}} {
				if kv[1] != "" {
					q.add(kv[0], kv[1])
				}
			}
			q.add("deduct_time_begin", w[0])
			q.add("deduct_time_end", w[1])
			q.add("offset", strconv.Itoa(off))
			q.add("limit", strconv.Itoa(deductPageLimit))
			_, err = c.do(ctx, call{op: OpPackageDeductions, method: "GET", path: "v2/bills/customer-bills/free-resources-usage-records", query: q, offset: off},
				func(b []byte) (err error) {
					rows, total, err = decodeDeductionPage(b)
					return err
				})
			if err != nil {
				return nil, 0, fmt.Errorf("window %s..%s: %w", w[0], w[1], err)
			}
			return rows, total, nil
		}
		rows, err := readAll(OpPackageDeductions, "free_resource_records", deductPageLimit, page)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
	}
	return all, nil
}
