package bsssim

import (
	"strconv"
	"time"
)

// recordEncoder writes ResFeeRecordV2 objects by hand: the simulator's
// throughput is what the daemon benchmarks compare against.
type recordEncoder struct {
	s        *Simulator
	lang     string
	currency string
}

func (e *recordEncoder) name(en, zh string) string {
	if e.lang == langZH {
		return zh
	}
	return en
}

func kStr(buf []byte, key, v string) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	buf = append(buf, '"', ':')
	return appendJSONString(buf, v)
}

func kStrOrNull(buf []byte, key, v string, null bool) []byte {
	if null {
		return kNull(buf, key)
	}
	return kStr(buf, key, v)
}

func kNull(buf []byte, key string) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	return append(buf, `":null`...)
}

func kRaw(buf []byte, key string) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	return append(buf, '"', ':')
}

func kInt(buf []byte, key string, v int64) []byte {
	return strconv.AppendInt(kRaw(buf, key), v, 10)
}

func kCents(buf []byte, key string, v int64) []byte {
	return appendCents(kRaw(buf, key), v)
}

// appendTime writes t as "yyyy-MM-ddTHH:mm:ssZ" in UTC, quoted.
func appendTime(buf []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	buf = append(buf, '"')
	buf = appendPadded(buf, int64(y), 4)
	buf = append(buf, '-')
	buf = appendInt2(buf, int(mo))
	buf = append(buf, '-')
	buf = appendInt2(buf, d)
	buf = append(buf, 'T')
	buf = appendInt2(buf, h)
	buf = append(buf, ':')
	buf = appendInt2(buf, mi)
	buf = append(buf, ':')
	buf = appendInt2(buf, s)
	return append(buf, 'Z', '"')
}

func (e *recordEncoder) unit(rt *resourceType, prepaid bool) string {
	if prepaid {
		return e.currency + "/month"
	}
	switch rt.usageMeasure {
	case 4:
		return e.currency + "/hour"
	case 10:
		return e.currency + "/GB"
	}
	return e.currency
}

// appendCommon writes the fields shared by itemised and roll-up rows, after
// the opening brace and a first key.
func (e *recordEncoder) appendCommon(buf []byte, a *account, res *resource, billType int) []byte {
	rt := res.rt
	buf = kInt(buf, "bill_type", int64(billType))
	buf = kStr(buf, "customer_id", a.ID)
	buf = kStr(buf, "account_name", a.Name)
	if res.region == nil {
		buf = kNull(buf, "region")
		buf = kNull(buf, "region_name")
	} else {
		buf = kStr(buf, "region", res.region.code)
		buf = kStr(buf, "region_name", e.name(res.region.nameEN, res.region.nameZH))
	}
	buf = kStr(buf, "cloud_service_type", res.svc.code)
	buf = kStr(buf, "cloud_service_type_name", e.name(res.svc.nameEN, res.svc.nameZH))
	buf = kStr(buf, "resource_type", rt.code)
	buf = kStr(buf, "resource_type_name", e.name(rt.nameEN, rt.nameZH))
	buf = kStr(buf, "resource_id", res.id)
	buf = kStr(buf, "resource_name", res.name)
	buf = kStrOrNull(buf, "resource_tag", res.tag, res.tag == "")
	buf = kStr(buf, "product_id", rt.productID)
	buf = kStr(buf, "product_name", res.productName)
	buf = appendJSONString(kRaw(buf, "product_spec_desc"), e.name(rt.nameEN, rt.nameZH))
	buf = append(buf[:len(buf)-1], " | "...)
	buf = append(buf, res.sku...)
	buf = append(buf, '"')
	buf = kStr(buf, "sku_code", res.sku)
	if rt.specSize {
		buf = kInt(buf, "spec_size", res.specSize)
		buf = kInt(buf, "spec_size_measure_id", 17)
	} else {
		buf = kNull(buf, "spec_size")
		buf = kNull(buf, "spec_size_measure_id")
	}
	if res.ep == nil {
		buf = kNull(buf, "enterprise_project_id")
		buf = kNull(buf, "enterprise_project_name")
	} else {
		buf = kStr(buf, "enterprise_project_id", res.ep.id)
		buf = kStr(buf, "enterprise_project_name", res.ep.name)
	}
	buf = append(kRaw(buf, "charge_mode"), '"')
	buf = strconv.AppendInt(buf, int64(res.chargeMode), 10)
	buf = append(buf, '"')
	buf = kNull(buf, "relative_order_id")
	return buf
}

func (e *recordEncoder) appendUsage(buf []byte, rt *resourceType, has bool, usage, free, ri int64) []byte {
	if !has {
		for _, k := range [...]string{"usage_type", "usage", "usage_measure_id", "free_resource_usage",
			"free_resource_measure_id", "ri_usage", "ri_usage_measure_id"} {
			buf = kNull(buf, k)
		}
		return buf
	}
	mid := int64(rt.usageMeasure)
	buf = kStr(buf, "usage_type", rt.usageType)
	buf = appendFixed(kRaw(buf, "usage"), usage, 4)
	buf = kInt(buf, "usage_measure_id", mid)
	buf = appendFixed(kRaw(buf, "free_resource_usage"), free, 4)
	buf = kInt(buf, "free_resource_measure_id", mid)
	buf = appendFixed(kRaw(buf, "ri_usage"), ri, 4)
	return kInt(buf, "ri_usage_measure_id", mid)
}

func appendAmounts(buf []byte, official, discount, amount int64, split *[8]int64) []byte {
	buf = kCents(buf, "official_amount", official)
	buf = kCents(buf, "discount_amount", discount)
	buf = kCents(buf, "amount", amount)
	buf = kCents(buf, "cash_amount", split[spCash])
	buf = kCents(buf, "credit_amount", split[spCredit])
	buf = kCents(buf, "coupon_amount", split[spCoupon])
	buf = kCents(buf, "flexipurchase_coupon_amount", split[spFlexi])
	buf = kCents(buf, "stored_card_amount", split[spStored])
	buf = kCents(buf, "bonus_amount", split[spBonus])
	buf = kCents(buf, "debt_amount", split[spDebt])
	buf = kCents(buf, "adjustment_amount", split[spAdjust])
	return kInt(buf, "measure_id", 1)
}

// appendSub writes the sub-resource fields: the covering reserved instance
// of a usage line that has ri_usage (§7.2), else nulls.
func (e *recordEncoder) appendSub(buf []byte, res *resource, ri int64) []byte {
	if res.ri == nil || ri == 0 {
		return appendSubNulls(buf)
	}
	r := res.ri
	buf = kStr(buf, "sub_service_type_code", r.svc.code)
	buf = kStr(buf, "sub_service_type_name", e.name(r.svc.nameEN, r.svc.nameZH))
	buf = kStr(buf, "sub_resource_type_code", r.rt.code)
	buf = kStr(buf, "sub_resource_type_name", e.name(r.rt.nameEN, r.rt.nameZH))
	buf = kStr(buf, "sub_resource_id", r.id)
	return kStr(buf, "sub_resource_name", r.name)
}

func appendSubNulls(buf []byte) []byte {
	for _, k := range [...]string{"sub_service_type_code", "sub_service_type_name", "sub_resource_type_code",
		"sub_resource_type_name", "sub_resource_id", "sub_resource_name"} {
		buf = kNull(buf, k)
	}
	return buf
}

// appendRecord writes one itemised (statistic_type=3) record.
func (e *recordEncoder) appendRecord(buf []byte, rec *record) []byte {
	res := rec.res
	prepaid := !rec.hasUsage
	buf = append(buf, `{"id":"`...)
	buf = rec.id(buf)
	buf = append(buf, `","bill_date":"`...)
	buf = rec.m.appendDate(buf, rec.day)
	buf = append(buf, '"')
	buf = e.appendCommon(buf, rec.a, res, rec.billType)
	ct := rec.consumeTime()
	if prepaid {
		buf = kNull(buf, "effective_time")
		buf = kNull(buf, "expire_time")
	} else {
		start := ct.Truncate(time.Hour)
		buf = appendTime(kRaw(buf, "effective_time"), start)
		buf = appendTime(kRaw(buf, "expire_time"), start.Add(time.Hour))
	}
	buf = appendTime(kRaw(buf, "consume_time"), ct)
	buf = append(kRaw(buf, "trade_id"), '"')
	buf = rec.tradeID(buf)
	buf = append(buf, '"')
	traded := ct
	if rec.posted.After(ct) {
		traded = rec.posted // a re-issue's late line is traded when the re-issue is made
	}
	buf = appendTime(kRaw(buf, "trade_time"), traded.Add(time.Duration(rec.trade%3600)*time.Second))
	if prepaid {
		buf = append(kRaw(buf, "order_id"), '"')
		buf = rec.tradeID(buf)
		buf = append(buf, '"')
		buf = kStr(buf, "period_type", strconv.Itoa(rec.period))
		buf = kInt(buf, "period_num", int64(rec.periods))
	} else {
		buf = kNull(buf, "order_id")
		buf = kNull(buf, "period_type")
		buf = kNull(buf, "period_num")
	}
	buf = e.appendUsage(buf, res.rt, rec.hasUsage, rec.usage, rec.free, rec.ri)
	buf = appendFixed(kRaw(buf, "unit_price"), rec.price, 4)
	buf = kStr(buf, "unit", e.unit(res.rt, prepaid))
	buf = appendAmounts(buf, rec.official, rec.discount, rec.amount, &rec.split)
	// formula evaluates to amount - coupon_amount.
	buf = append(kRaw(buf, "formula"), '"')
	buf = appendCents(buf, rec.official)
	buf = append(buf, "[official price]-"...)
	buf = appendCents(buf, rec.discount)
	buf = append(buf, "[discount]-"...)
	buf = appendCents(buf, rec.split[spCoupon])
	buf = append(buf, `[coupon]"`...)
	buf = e.appendSub(buf, res, rec.ri)
	return append(buf, '}')
}

// appendRollup writes one per-cycle (statistic_type=1) record: no id,
// formula, consume or trade fields.
func (e *recordEncoder) appendRollup(buf []byte, r *rollupRow) []byte {
	prepaid := !r.hasUsage
	buf = append(buf, `{"bill_date":null`...)
	buf = e.appendCommon(buf, r.a, r.res, r.billType)
	if prepaid {
		buf = kStr(buf, "period_type", strconv.Itoa(r.period))
	} else {
		buf = kNull(buf, "period_type")
	}
	buf = e.appendUsage(buf, r.res.rt, r.hasUsage, r.usage, r.free, r.ri)
	if prepaid {
		buf = kNull(buf, "unit_price")
		buf = kNull(buf, "unit")
	} else {
		buf = appendFixed(kRaw(buf, "unit_price"), r.price, 4)
		buf = kStr(buf, "unit", e.unit(r.res.rt, false))
	}
	buf = appendAmounts(buf, r.official, r.discount, r.amount, &r.split)
	buf = e.appendSub(buf, r.res, r.ri)
	return append(buf, '}')
}
