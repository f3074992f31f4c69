package bsssim

import (
	"time"
)

// OpFreeResourceDeduct is the package deduction history (reference §9.3).
const OpFreeResourceDeduct = "ListFreeResourcesUsageRecords"

// maxDeductDays is the widest query window of reference §9.3
// (deduct_time_end − deduct_time_begin).
const maxDeductDays = 90

// Deduction is one deduction of a package item, the truth behind
// ListFreeResourcesUsageRecords: quantities in 1e-3 of the item's unit.
type Deduction struct {
	DeductTime                             string // UTC
	FreeResourceID, ProductID, ProductName string
	ResourceID, ResourceTypeCode           string
	Available, Remaining, Used             int64
	MeasureID                              int
	EffectiveTime, ExpireTime              string
}

// deductions is the deduction history of account a, oldest first per item:
// an item's consumed quota (original − remaining) is deducted once a day at
// 01:00 UTC from the day after its current window's start until now (or its end), in equal
// parts with the rest on the last day, so the history always ends at the
// remaining quota ListFreeResourceInfos and ListFreeResourceUsages answer.
func (s *Simulator) deductions(a *account) []Deduction {
	now := s.cfg.Now().UTC()
	var out []Deduction
	for _, p := range a.packages {
		for k, it := range p.items {
			used := it.original - it.remaining
			start, err1 := time.Parse(time.RFC3339, it.start)
			end, err2 := time.Parse(time.RFC3339, it.end)
			if used <= 0 || err1 != nil || err2 != nil {
				continue
			}
			first := start.Truncate(24 * time.Hour).Add(25 * time.Hour)
			last := end
			if now.Before(end) {
				last = now
			}
			if first.After(last) { // a window younger than a day: one deduction, never in the future
				first = last.Truncate(time.Second)
			}
			days := int(last.Sub(first)/(24*time.Hour)) + 1
			days = min(days, int(used)) // at least 0.001 units a deduction
			var resID, rtCode string
			if len(a.resources) > 0 {
				r := a.resources[k%len(a.resources)]
				resID, rtCode = r.id, r.rt.code
			}
			avail := it.original
			per := used / int64(days)
			for d := range days {
				u := per
				if d == days-1 {
					u = used - per*int64(days-1)
				}
				out = append(out, Deduction{DeductTime: fmtTime(first.Add(time.Duration(d) * 24 * time.Hour)),
					FreeResourceID: it.id, ProductID: p.productID, ProductName: p.productName,
					ResourceID: resID, ResourceTypeCode: rtCode,
					Available: avail, Remaining: avail - u, Used: u, MeasureID: it.measureID,
					EffectiveTime: it.start, ExpireTime: it.end})
				avail -= u
			}
		}
	}
	return out
}

// Deductions is the truth of ListFreeResourcesUsageRecords for the
// master (the demo caller): every deduction whose UTC+8 date is within
// [begin, end] (YYYY-MM-DD), in the order the endpoint answers.
func (s *Simulator) Deductions(begin, end string) []Deduction {
	return s.deductionsIn(s.t.accounts[0], begin, end, "", "", "")
}

func (s *Simulator) deductionsIn(a *account, begin, end, freeResourceID, productID, resourceTypeCode string) []Deduction {
	var out []Deduction
	for _, d := range s.deductions(a) {
		t, _ := time.Parse(time.RFC3339, d.DeductTime)
		day := t.In(utc8Zone).Format(time.DateOnly)
		switch {
		case day < begin || day > end,
			freeResourceID != "" && d.FreeResourceID != freeResourceID,
			productID != "" && d.ProductID != productID,
			resourceTypeCode != "" && d.ResourceTypeCode != resourceTypeCode:
			continue
		}
		out = append(out, d)
	}
	return out
}

var utc8Zone = time.FixedZone("UTC+8", 8*3600)

// handleFreeResourceDeductions serves GET
// /v2/bills/customer-bills/free-resources-usage-records
// (ListFreeResourcesUsageRecords, reference §9.3): quantities are strings.
func (s *Simulator) handleFreeResourceDeductions(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	var days [2]time.Time
	for i, name := range []string{"deduct_time_begin", "deduct_time_end"} {
		v := q.Get(name)
		if v == "" {
			return paramError("%s is mandatory.", name)
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return paramError("%s must be a date of the form YYYY-MM-DD.", name)
		}
		days[i] = t
	}
	if days[1].Before(days[0]) {
		return paramError("deduct_time_end must not be before deduct_time_begin.")
	}
	if days[1].Sub(days[0]) > maxDeductDays*24*time.Hour {
		return paramError("the interval between deduct_time_begin and deduct_time_end must not exceed %d days.", maxDeductDays)
	}
	offset, limit, st, body := pageParams(q, 1000, maxInt32)
	if st != 0 {
		return st, body
	}
	type rec struct {
		DeductTime       string `json:"deduct_time"`
		FreeResourceID   string `json:"free_resource_id"`
		ResourceID       string `json:"resource_id"`
		ResourceTypeCode string `json:"resource_type_code"`
		ResourceTypeName string `json:"resource_type_name"`
		ResourceTag      string `json:"resource_tag"`
		ProductID        string `json:"product_id"`
		ProductName      string `json:"product_name"`
		UsageTypeCode    string `json:"usage_type_code"`
		AvailableAmount  string `json:"available_amount"`
		RemainingAmount  string `json:"remaining_amount"`
		UsedAmount       string `json:"used_amount"`
		MeasureID        int    `json:"measure_id"`
		EffectiveTime    string `json:"effective_time"`
		ExpireTime       string `json:"expire_time"`
	}
	all := s.deductionsIn(rc.caller, q.Get("deduct_time_begin"), q.Get("deduct_time_end"),
		q.Get("free_resource_id"), q.Get("product_id"), q.Get("resource_type_code"))
	out := []rec{}
	for _, d := range pageOf(all, offset, limit) {
		out = append(out, rec{DeductTime: d.DeductTime, FreeResourceID: d.FreeResourceID, ResourceID: d.ResourceID,
			ResourceTypeCode: d.ResourceTypeCode, ProductID: d.ProductID, ProductName: d.ProductName,
			AvailableAmount: fixedString(d.Available, 3), RemainingAmount: fixedString(d.Remaining, 3), UsedAmount: fixedString(d.Used, 3),
			MeasureID: d.MeasureID, EffectiveTime: d.EffectiveTime, ExpireTime: d.ExpireTime})
	}
	return marshal(struct {
		TotalCount          int   `json:"total_count"`
		FreeResourceRecords []rec `json:"free_resource_records"`
	}{len(all), out})
}
