package bss

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestWireDecimal(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" = error
		set  bool
	}{
		{`12.30`, "12.3", true},
		{`"12.30"`, "12.3", true},
		{`0`, "0", true},
		{`-0.01`, "-0.01", true},
		{`1.5E+2`, "150", true},
		{`"1.5e2"`, "150", true},
		{`0E-8`, "0", true},
		{`"0E-8"`, "0", true},
		{`123456789012345678901234567890.12345678`, "123456789012345678901234567890.12345678", true},
		{`0.1`, "0.1", true}, // exact: no float64 on the way
		{`null`, "0", false},
		{`""`, "", false},
		{`"abc"`, "", false},
		{`"12,5"`, "", false},
		{`" 1"`, "", false},
		{`"0x10"`, "", false},
		{`"NaN"`, "", false},
		{`"Infinity"`, "", false},
		{`true`, "", false},
		{`{}`, "", false},
		{`[1]`, "", false},
		{`1e999999`, "", false},
		{`"1e"`, "", false},
		{`"."`, "", false},
	}
	for _, tc := range cases {
		var w wDec
		err := w.UnmarshalJSON([]byte(tc.in))
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s: accepted as %s", tc.in, w.d)
			}
			continue
		}
		if err != nil || !w.d.Equal(decimal.RequireFromString(tc.want)) || w.set != tc.set {
			t.Errorf("%s: got %s set=%v err=%v, want %s", tc.in, w.d, w.set, err, tc.want)
		}
	}
}

func TestWireQuirks(t *testing.T) {
	var s struct {
		A wStr `json:"a"`
		B wStr `json:"b"`
		C wInt `json:"c"`
		D wInt `json:"d"`
		E wTime
		F wTime
		G wTime
	}
	in := `{"a":"3","b":20,"c":"7","d":1E+1,"E":"2024-05-14T02:00:00Z","F":"2024-05-14T10:00:00.123+08:00","G":"2024-05-14 02:00:00"}`
	if err := jsonUnmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.A != "3" || s.B != "20" || s.C != 7 || s.D != 10 {
		t.Errorf("%+v", s)
	}
	want := time.Date(2024, 5, 14, 2, 0, 0, 0, time.UTC)
	if !time.Time(s.E).Equal(want) || !time.Time(s.F).Equal(want.Add(123*time.Millisecond)) || !time.Time(s.G).Equal(want) || time.Time(s.F).Location() != time.UTC {
		t.Errorf("times %v %v %v", time.Time(s.E), time.Time(s.F), time.Time(s.G))
	}
	for _, bad := range []string{`{"c":1.5}`, `{"c":"x"}`, `{"c":true}`, `{"a":true}`, `{"a":{}}`, `{"E":"yesterday"}`, `{"E":12345}`} {
		if err := jsonUnmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// page builds a res-fee-records body with the given record bodies.
func page(total int, recs ...string) []byte {
	return []byte(fmt.Sprintf(`{"total_count":%d,"currency":"CNY","fee_records":[%s]}`, total, strings.Join(recs, ",")))
}

func TestResourceRecordsPageDecodeErrors(t *testing.T) {
	may := Month{2024, time.May}
	good := `{"id":"a","amount":1.5,"measure_id":1}`
	cases := []struct {
		name   string
		body   []byte
		field  string
		offset int // -2: don't check
	}{
		{"bool amount", page(2, good, `{"id":"b","amount":true}`), "fee_records[1].amount", len(`{"total_count":2,"currency":"CNY","fee_records":[`) + len(good) + 1},
		{"text amount", page(2, good, `{"id":"b","cash_amount":"ten"}`), "fee_records[1].cash_amount", -2},
		{"object usage", page(1, `{"id":"a","usage":{"v":1}}`), "fee_records[0].usage", -2},
		{"number id", page(1, `{"id":17}`), "fee_records[0].id", -2},
		{"bad time", page(1, `{"id":"a","trade_time":"soon"}`), "fee_records[0].trade_time", -2},
		{"bad bill_date", page(1, good, `{"id":"a","bill_date":"14/05/2024"}`), "fee_records[1].bill_date", -2},
		{"money measure 9", page(1, `{"id":"a","amount":1,"measure_id":9}`), "fee_records[0].measure_id", len(`{"total_count":1,"currency":"CNY","fee_records":[`)},
		{"total as text", []byte(`{"total_count":"many","fee_records":[]}`), "total_count", -2},
		{"no total", []byte(`{"fee_records":[]}`), "total_count", -1},
		{"records not array", []byte(`{"total_count":1,"fee_records":{}}`), "fee_records", -2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := decodeResourceRecordsPage(tc.body, may, "CNY")
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *DecodeError", err)
			}
			if de.Field != tc.field {
				t.Errorf("field = %q, want %q (%v)", de.Field, tc.field, err)
			}
			if tc.offset != -2 && de.Offset != tc.offset {
				t.Errorf("offset = %d, want %d", de.Offset, tc.offset)
			}
			if IsRetryable(err) {
				t.Errorf("a type error must not be retried: %v", err)
			}
		})
	}
	// Truncated and empty bodies are decode errors a retry may cure.
	for _, body := range [][]byte{page(2, good, good)[:40], {}, []byte("<html>")} {
		_, _, _, err := decodeResourceRecordsPage(body, may, "CNY")
		var de *DecodeError
		if !errors.As(err, &de) || !IsRetryable(err) {
			t.Errorf("%q: err = %v, want retryable *DecodeError", body, err)
		}
	}
	// A 200 with an error body is an *Error.
	_, _, _, err := decodeResourceRecordsPage([]byte(`{"error_code":"CBC.0999","error_msg":"busy"}`), may, "CNY")
	var e *Error
	if !errors.As(err, &e) || e.Code != "CBC.0999" || !IsRetryable(err) {
		t.Errorf("err = %#v", err)
	}
	// "CBC.0000" with data is success (legacy shape).
	recs, total, _, err := decodeResourceRecordsPage([]byte(`{"error_code":"CBC.0000","error_msg":"success","total_count":1,"fee_records":[{"id":"x"}]}`), may, "CNY")
	if err != nil || total != 1 || len(recs) != 1 {
		t.Errorf("legacy success: %v", err)
	}
}

func TestResourceRecordsPageNormalisation(t *testing.T) {
	body := page(6,
		`{"id":"jiao","amount":125,"cash_amount":"125","measure_id":2,"usage":"3","usage_measure_id":10}`,
		`{"id":"fen","amount":12345,"measure_id":3,"enterprise_project_id":"-1"}`,
		`{"id":"null-ep","amount":"1.5E+1","enterprise_project_id":null,"charge_mode":3,"period_type":20}`,
		`{"id":"unknown-fields","amount":0,"brand_new_field":{"x":[1,2]},"resource_Type_code":"x","enterprise_project_id":""}`,
		`{"id":"exp","amount":0E-8,"unit_price":"0.00000001"}`,
		`{"id":"str-int","bill_type":"5","usage_measure_id":"4","spec_size_measure_id":null}`,
	)
	recs, total, cur, err := decodeResourceRecordsPage(body, Month{2024, time.May}, "CNY")
	if err != nil || total != 6 || cur != "CNY" {
		t.Fatal(err)
	}
	eqDec(t, "jiao amount", recs[0].Amount, "12.5")
	eqDec(t, "jiao cash", recs[0].CashAmount, "12.5")
	eqDec(t, "quantities are not money", recs[0].Usage, "3")
	eqDec(t, "fen amount", recs[1].Amount, "123.45")
	eqDec(t, "exponent", recs[2].Amount, "15")
	eqDec(t, "unit price", recs[4].UnitPrice, "0.00000001")
	for i, r := range recs[1:4] {
		if r.EnterpriseProjectID != UnassignedEnterpriseProject {
			t.Errorf("record %d: enterprise project %q", i+1, r.EnterpriseProjectID)
		}
	}
	if recs[2].ChargeMode != "3" || recs[2].PeriodType != "20" || recs[5].BillType != 5 || recs[5].UsageMeasureID != 4 {
		t.Errorf("quirks: %+v %+v", recs[2], recs[5])
	}
	if recs[0].MeasureID != 2 || recs[0].Currency != "CNY" {
		t.Errorf("measure/currency: %+v", recs[0])
	}
	// Currency falls back to the site's.
	_, _, cur, _ = decodeResourceRecordsPage([]byte(`{"total_count":0,"fee_records":[]}`), Month{2024, time.May}, "USD")
	if cur != "USD" {
		t.Errorf("currency fallback %q", cur)
	}
}

func TestMonthlySumDecodeErrors(t *testing.T) {
	_, _, _, err := decodeMonthlySumPage([]byte(`{"total_count":1,"bill_sums":[{"bill_cycle":"May 2024"}]}`), "CNY")
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "bill_sums[0].bill_cycle" {
		t.Errorf("err = %v", err)
	}
	_, _, _, err = decodeMonthlySumPage([]byte(`{"total_count":1,"bill_sums":[{"bill_cycle":"2024-05","charging_mode":"three"}]}`), "CNY")
	if !errors.As(err, &de) || de.Field != "bill_sums[0].charging_mode" {
		t.Errorf("err = %v", err)
	}
}

// FuzzDecimal checks that the decimal decoder never panics, and that what
// it accepts is exactly the decimal the text denotes.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{`1`, `"1.5"`, `1.5E+2`, `"0E-8"`, `-0.01`, `null`, `true`, `"x"`, `1e99999`, `"-"`, `"1e-64"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		var w wDec
		if err := w.UnmarshalJSON(b); err != nil {
			return
		}
		if !w.set {
			return
		}
		s := string(b)
		if b[0] == '"' {
			s, _ = unquote(b)
		}
		want, err := decimal.NewFromString(s)
		if err != nil || !want.Equal(w.d) {
			t.Fatalf("%q decoded as %s, want %s (%v)", b, w.d, want, err)
		}
	})
}

// FuzzTime checks the lenient timestamp parser never panics and returns UTC.
func FuzzTime(f *testing.F) {
	for _, s := range []string{`"2024-05-14T02:00:00Z"`, `"2024-05-14 02:00:00"`, `""`, `null`, `"2024-05-14T02:00:00.5+08:00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		var w wTime
		if err := w.UnmarshalJSON(b); err == nil && !time.Time(w).IsZero() && time.Time(w).Location() != time.UTC {
			t.Fatalf("%q: not UTC", b)
		}
	})
}

// FuzzResourceRecordsPage checks that any body either decodes or yields a
// typed error (*DecodeError or *Error), never a panic or a silent success
// with wrong counts.
func FuzzResourceRecordsPage(f *testing.F) {
	f.Add(fixture(f, "res_fee_records.json"))
	f.Add(page(1, `{"id":"a","amount":"1.5","measure_id":3,"charge_mode":3}`))
	f.Add([]byte(`{"error_code":"CBC.0100","error_msg":"x"}`))
	f.Add([]byte(`{"total_count":1,"fee_records":[{"amount":true}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, total, _, err := decodeResourceRecordsPage(b, Month{2024, time.May}, "CNY")
		if err != nil {
			requireTypedError(t, err)
			return
		}
		if total < 0 || recs == nil && bytes.Contains(b, []byte(`"fee_records":[{`)) {
			t.Fatalf("total %d, %d records", total, len(recs))
		}
	})
}

// FuzzMonthlySumPage does the same for the monthly summary.
func FuzzMonthlySumPage(f *testing.F) {
	f.Add(fixture(f, "monthly_sum.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, _, err := decodeMonthlySumPage(b, "CNY"); err != nil {
			requireTypedError(t, err)
		}
	})
}

// FuzzSignQuery checks that whatever the query, canonicalisation of our
// own encoding is stable (encode → decode → encode).
func FuzzSignQuery(f *testing.F) {
	f.Add("研发 部/A+B", "x")
	f.Fuzz(func(t *testing.T, k, v string) {
		var q query
		q.add(k, v)
		c1 := canonicalQuery(q.encode())
		if k != "" && c1 != escape(k)+"="+escape(v) {
			t.Fatalf("%q=%q canonicalised to %q", k, v, c1)
		}
	})
}

// TestPackagePageNormalisation: the decoder is the one place where the
// service's spellings of "no enterprise project" become "-1".
func TestPackagePageNormalisation(t *testing.T) {
	body := []byte(`{"total_count":4,"free_resource_packages":[` +
		`{"order_instance_id":"a","enterprise_project_id":null},` +
		`{"order_instance_id":"b","enterprise_project_id":""},` +
		`{"order_instance_id":"c","enterprise_project_id":"null"},` +
		`{"order_instance_id":"d","enterprise_project_id":"0aa1"}]}`)
	pkgs, total, err := decodePackagePage(body)
	if err != nil || total != 4 || len(pkgs) != 4 {
		t.Fatalf("decode: %v (total %d, %d packages)", err, total, len(pkgs))
	}
	for _, p := range pkgs[:3] {
		if p.EnterpriseProjectID != UnassignedEnterpriseProject {
			t.Errorf("package %s: enterprise project %q, want %q", p.OrderInstanceID, p.EnterpriseProjectID, UnassignedEnterpriseProject)
		}
	}
	if pkgs[3].EnterpriseProjectID != "0aa1" {
		t.Errorf("package d: enterprise project %q, want it kept", pkgs[3].EnterpriseProjectID)
	}
}
