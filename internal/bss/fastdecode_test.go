package bss

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// fuzzSite is the site currency of the differential tests: distinct from
// every body's "currency", so a wrong fallback shows.
const fuzzSite = "XSC"

var fuzzCycle = Month{2024, time.May}

// simPage serves one res-fee-records page from the simulator, in process.
func simPage(tb testing.TB, sim *bsssim.Simulator, lang, query string) []byte {
	tb.Helper()
	return simGet(tb, sim, lang, "/v2/bills/customer-bills/res-fee-records?"+query)
}

// simGet serves one GET of url from the simulator, in process, in lang.
func simGet(tb testing.TB, sim *bsssim.Simulator, lang, url string) []byte {
	tb.Helper()
	req := httptest.NewRequest("GET", url, nil)
	req.Header.Set("X-Language", lang)
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	if rec.Code != 200 {
		tb.Fatalf("simulator: %d %s", rec.Code, rec.Body.Bytes())
	}
	return rec.Body.Bytes()
}

func newSim(site bsssim.Site) *bsssim.Simulator {
	return bsssim.New(bsssim.Config{
		Site: site, DisableAuth: true,
		Now:   func() time.Time { return time.Date(2024, 6, 20, 4, 0, 0, 0, time.UTC) },
		Scale: bsssim.Scale{Members: 3, Months: 2, RecordsPerMonth: 400},
	})
}

// simPages returns simulator pages of every shape the daemon reads:
// itemised and per-cycle, both languages, both sites.
func simPages(tb testing.TB, limit int) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, site := range []bsssim.Site{bsssim.SiteCN, bsssim.SiteIntl} {
		sim := newSim(site)
		for _, lang := range []string{"zh_CN", "en_US"} {
			for _, stat := range []string{"3", "1"} {
				for _, off := range []int{0, 137} {
					name := fmt.Sprintf("%s/%s/stat%s/off%d", site, lang, stat, off)
					out[name] = simPage(tb, sim, lang, fmt.Sprintf("cycle=2024-05&statistic_type=%s&offset=%d&limit=%d", stat, off, limit))
				}
			}
		}
	}
	return out
}

// pageDecoders are the fast and the reference decoder of one page kind.
type pageDecoders[R any] struct {
	fast func(body []byte, cycle Month, siteCurrency string) ([]R, int, string, bool)
	slow func(body []byte, cycle Month, siteCurrency string) ([]R, int, string, error)
}

var (
	resFeeDecoders = pageDecoders[ResourceRecord]{fastResourceRecordsPage, decodeResourceRecordsPageSlow}
	txnDecoders    = pageDecoders[TransactionBill]{fastTransactionPage, decodeTransactionPageSlow}
)

// checkSame fails unless the fast decoder accepted body and agrees with
// the reference decoder. It reports whether the fast path answered.
func checkSame(t *testing.T, body []byte) bool { return resFeeDecoders.check(t, body) }

// check fails unless the fast decoder's answer on body, if it gives one,
// is the reference decoder's. It reports whether the fast path answered.
func (d pageDecoders[R]) check(t *testing.T, body []byte) bool {
	t.Helper()
	fr, ft, fc, ok := d.fast(body, fuzzCycle, fuzzSite)
	if !ok {
		return false
	}
	sr, st, sc, err := d.slow(body, fuzzCycle, fuzzSite)
	if err != nil {
		t.Fatalf("fast path accepted a body the reference rejects (%v): %q", err, body)
	}
	if ft != st || fc != sc || len(fr) != len(sr) {
		t.Fatalf("fast total=%d currency=%q n=%d, reference total=%d currency=%q n=%d; body %q", ft, fc, len(fr), st, sc, len(sr), body)
	}
	if (fr == nil) != (sr == nil) {
		t.Fatalf("fast records nil=%v, reference nil=%v", fr == nil, sr == nil)
	}
	for i := range fr {
		if d := diffRecord(fr[i], sr[i]); d != "" {
			t.Fatalf("record %d: %s; body %q", i, d, body)
		}
	}
	return true
}

// fuzz is the body of a fuzz target: check, and a body the fast path
// answers stays answered with its bytes compacted (whitespace is not a
// reason to defer).
func (d pageDecoders[R]) fuzz(t *testing.T, body []byte) {
	t.Helper()
	if !d.check(t, body) {
		return
	}
	var c bytes.Buffer
	if json.Compact(&c, body) == nil && !d.check(t, c.Bytes()) {
		t.Fatalf("fast path declined the compacted body %q", c.Bytes())
	}
}

// diffRecord compares two records (structs) field by field: decimals by value and
// exponent (String and sums depend on it), everything else deeply.
func diffRecord[T any](got, want T) string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for j := 0; j < g.NumField(); j++ {
		name := g.Type().Field(j).Name
		gf, wf := g.Field(j).Interface(), w.Field(j).Interface()
		if gd, ok := gf.(interface{ Exponent() int32 }); ok {
			wd := wf.(interface{ Exponent() int32 })
			if fmt.Sprint(gf) != fmt.Sprint(wf) || gd.Exponent() != wd.Exponent() {
				return fmt.Sprintf("%s = %v (exp %d), want %v (exp %d)", name, gf, gd.Exponent(), wf, wd.Exponent())
			}
		}
		if !reflect.DeepEqual(gf, wf) {
			return fmt.Sprintf("%s = %#v, want %#v", name, gf, wf)
		}
	}
	return ""
}

func TestFastTablesMatchWireStructs(t *testing.T) {
	for name, err := range map[string]error{"res-fee-records": resFeeKind.err, "fee-records": transactionKind.err} {
		if err != nil {
			t.Errorf("%s: fast decoder tables out of date (the fast path is off): %v", name, err)
		}
	}
	// The check itself must notice a page that does not match its keys.
	if err := checkPageKeys(reflect.TypeFor[wTransactionPage](), resFeeKind.pageKeys[:]); err == nil {
		t.Error("checkPageKeys accepts the fee-records page against the res-fee-records keys")
	}
	if _, err := recordFieldsOf(reflect.TypeFor[struct {
		N *int `json:"n"`
	}]()); err == nil {
		t.Error("recordFieldsOf accepts a *int field")
	}
}

// TestFastPathTakesCommonShapes makes sure the fast path does not quietly
// fall back on the bodies the daemon actually reads.
func TestFastPathTakesCommonShapes(t *testing.T) {
	bodies := simPages(t, 1000)
	bodies["fixture"] = fixture(t, "res_fee_records.json")
	bodies["benchPage"] = benchPage(t, 0, 300, 1000)
	bodies["empty"] = []byte(`{"total_count":0,"currency":"CNY","fee_records":[]}`)
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			if !checkSame(t, body) {
				t.Fatalf("fast path declined %.200q", body)
			}
			recs, _, _, _ := fastResourceRecordsPage(body, fuzzCycle, fuzzSite)
			if name != "empty" && len(recs) == 0 {
				t.Fatalf("no records in %.200q", body)
			}
		})
	}
}

// trickyPages are bodies that exercise the corners of encoding/json's
// semantics. want says whether the fast path must answer (true), must
// defer (false); either way it must agree with the reference.
var trickyPages = []struct {
	name string
	body string
	want bool
}{
	{"minimal", `{"total_count":1,"fee_records":[{"id":"a"}]}`, true},
	{"whitespace", " \t\r\n{ \"total_count\" : 1 ,\n\"fee_records\" : [ { \"id\" : \"a\" , \"amount\" : 1.5 } ] , \"currency\" : \"EUR\" } \n", true},
	{"currency after records", `{"total_count":2,"fee_records":[{"id":"a"},{"id":"b"}],"currency":"EUR"}`, true},
	{"no currency", `{"total_count":1,"fee_records":[{"id":"a"}]}`, true},
	{"empty currency", `{"total_count":1,"currency":"","fee_records":[{"id":"a"}]}`, true},
	{"null currency", `{"total_count":1,"currency":null,"fee_records":[{"id":"a"}]}`, true},
	{"no records key", `{"total_count":5}`, true},
	{"empty object record", `{"total_count":1,"fee_records":[{}]}`, true},
	{"total as string", `{"total_count":"7","fee_records":[]}`, true},
	{"total exponent", `{"total_count":1E+1,"fee_records":[]}`, true},
	{"total 3.0", `{"total_count":3.0,"fee_records":[]}`, true},
	{"escaped values", `{"total_count":1,"fee_records":[{"id":"a\"b\\c\/d\u00e9\ud83d\ude00\n","formula":"\u4e2d","charge_mode":"\u0033"}]}`, true},
	{"lone surrogate escape", `{"total_count":1,"fee_records":[{"id":"\ud800x","resource_name":"\udc00"}]}`, true},
	{"unicode raw", `{"total_count":1,"currency":"人民币","fee_records":[{"id":"ß","region_name":"华北-北京四","resource_tag":"k=\u2028"}]}`, true},
	{"numbers as strings", `{"total_count":1,"fee_records":[{"id":"a","amount":"12.30","bill_type":"5","usage":"3","measure_id":"3","charge_mode":3,"period_type":"20","period_num":"1"}]}`, true},
	{"exponent decimals", `{"total_count":1,"fee_records":[{"amount":1.5E+2,"cash_amount":"1.5e2","unit_price":0E-8,"usage":"0E-8","debt_amount":-0.0,"bonus_amount":1e-64,"official_amount":"12.3400"}]}`, true},
	{"measure jiao", `{"total_count":1,"fee_records":[{"amount":125,"measure_id":2}]}`, true},
	{"huge decimal", `{"total_count":1,"fee_records":[{"amount":123456789012345678901234567890.123456789}]}`, true},
	{"huge int string", `{"total_count":1,"fee_records":[{"bill_type":"12345678901234567"}]}`, true},
	{"wStr number forms", `{"total_count":1,"fee_records":[{"charge_mode":-0,"period_type":1.5e3}]}`, true},
	{"nulls everywhere", `{"total_count":1,"error_code":null,"fee_records":[{"id":null,"amount":null,"bill_type":null,"charge_mode":null,"trade_time":null,"bill_date":null}]}`, true},
	{"times", `{"total_count":1,"fee_records":[{"effective_time":"2024-05-14T02:00:00Z","expire_time":"2024-05-14T10:00:00.123+08:00","consume_time":"2024-05-14 02:00:00","trade_time":"","bill_date":"2024-02-29"}]}`, true},
	{"time leap day", `{"total_count":1,"fee_records":[{"trade_time":"2000-02-29T23:59:59Z","consume_time":"0000-01-01T00:00:00Z"}]}`, true},
	{"time feb 29 non-leap", `{"total_count":1,"fee_records":[{"trade_time":"1900-02-29T00:00:00Z"}]}`, false},
	{"time 24h", `{"total_count":1,"fee_records":[{"trade_time":"2024-05-14T24:00:00Z"}]}`, false},
	{"unknown nested", `{"total_count":1,"extra":{"a":[1,{"b":null},true,false,"x\"y"],"c":-1.5e-3},"fee_records":[{"id":"a","brand_new":{"x":[1,2,[[]]]},"resource_Type_code":"x"}]}`, true},
	{"legacy success code", `{"error_code":"CBC.0000","error_msg":"success","request_id":"r","total_count":1,"fee_records":[{"id":"x"}]}`, true},
	{"request id escaped", `{"request_id":"r\u0031","total_count":0,"fee_records":[]}`, true},

	{"error code", `{"error_code":"CBC.0999","error_msg":"busy","total_count":1,"fee_records":[]}`, false},
	{"error code only", `{"error_code":"CBC.0999","error_msg":"busy"}`, false},
	{"no total", `{"fee_records":[]}`, false},
	{"null total", `{"total_count":null,"fee_records":[]}`, false},
	{"negative total", `{"total_count":-1,"fee_records":[]}`, false},
	{"total text", `{"total_count":"many","fee_records":[]}`, false},
	{"null records", `{"total_count":0,"fee_records":null}`, false},
	{"records object", `{"total_count":0,"fee_records":{}}`, false},
	{"null element", `{"total_count":1,"fee_records":[null]}`, false},
	{"number element", `{"total_count":1,"fee_records":[1]}`, false},
	{"duplicate top key", `{"total_count":1,"total_count":2,"fee_records":[]}`, false},
	{"duplicate records", `{"total_count":1,"fee_records":[],"fee_records":[{"id":"a"}]}`, false},
	{"duplicate record key", `{"total_count":1,"fee_records":[{"id":"a","id":"b"}]}`, false},
	{"duplicate null key", `{"total_count":1,"fee_records":[{"id":"a","id":null}]}`, false},
	{"case variant top", `{"Total_Count":1,"fee_records":[]}`, false},
	{"case variant both", `{"total_count":1,"TOTAL_COUNT":2,"fee_records":[]}`, false},
	{"case variant record", `{"total_count":1,"fee_records":[{"ID":"a"}]}`, false},
	{"case variant record 2", `{"total_count":1,"fee_records":[{"id":"a","Amount":5}]}`, false},
	{"kelvin sign", "{\"total_count\":1,\"fee_records\":[{\"s\u212au_code\":\"x\"}]}", false},
	{"long s", "{\"total_count\":1,\"fee_records\":[{\"\u017fku_code\":\"x\"}]}", false},
	{"escaped key", `{"total_count":1,"fee_records":[{"\u0069d":"a"}]}`, false},
	{"escaped top key", `{"total_\u0063ount":1,"fee_records":[]}`, false},
	{"invalid utf8 string", "{\"total_count\":1,\"fee_records\":[{\"id\":\"a\xffb\"}]}", false},
	{"invalid utf8 currency", "{\"total_count\":1,\"currency\":\"\xc3\",\"fee_records\":[]}", false},
	{"control char", "{\"total_count\":1,\"fee_records\":[{\"id\":\"a\x01\"}]}", false},
	{"bad escape", `{"total_count":1,"fee_records":[{"id":"\x"}]}`, false},
	{"short unicode escape", `{"total_count":1,"fee_records":[{"id":"\u12"}]}`, false},
	{"bool amount", `{"total_count":1,"fee_records":[{"amount":true}]}`, false},
	{"object amount", `{"total_count":1,"fee_records":[{"usage":{"v":1}}]}`, false},
	{"number id", `{"total_count":1,"fee_records":[{"id":17}]}`, false},
	{"text amount", `{"total_count":1,"fee_records":[{"cash_amount":"ten"}]}`, false},
	{"fraction int", `{"total_count":1,"fee_records":[{"bill_type":1.5}]}`, false},
	{"exponent too big", `{"total_count":1,"fee_records":[{"amount":1e65}]}`, false},
	{"bad time", `{"total_count":1,"fee_records":[{"trade_time":"soon"}]}`, false},
	{"bad bill_date", `{"total_count":1,"fee_records":[{"bill_date":"14/05/2024"}]}`, false},
	{"money measure 9", `{"total_count":1,"fee_records":[{"amount":1,"measure_id":9}]}`, false},
	{"trailing garbage", `{"total_count":0,"fee_records":[]}x`, false},
	{"trailing object", `{"total_count":0,"fee_records":[]}{}`, false},
	{"truncated", `{"total_count":0,"fee_records":[`, false},
	{"trailing comma", `{"total_count":0,"fee_records":[],}`, false},
	{"trailing comma in record", `{"total_count":1,"fee_records":[{"id":"a",}]}`, false},
	{"leading zero", `{"total_count":01,"fee_records":[]}`, false},
	{"bare minus", `{"total_count":1,"fee_records":[{"amount":-}]}`, false},
	{"dot number", `{"total_count":1,"fee_records":[{"amount":1.}]}`, false},
	{"plus number", `{"total_count":1,"fee_records":[{"amount":+1}]}`, false},
	{"NaN", `{"total_count":1,"fee_records":[{"amount":NaN}]}`, false},
	{"bad literal in unknown", `{"total_count":1,"x":nul,"fee_records":[]}`, false},
	{"top array", `[{"total_count":1}]`, false},
	{"top null", `null`, false},
	{"empty", ``, false},
	{"html", `<html>`, false},
	{"bom", "\xef\xbb\xbf{\"total_count\":0}", false},
	{"deep unknown", `{"total_count":0,"x":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, false},
}

func TestFastPathTricky(t *testing.T) {
	for _, tc := range trickyPages {
		t.Run(tc.name, func(t *testing.T) {
			got := checkSame(t, []byte(tc.body))
			if got != tc.want {
				t.Errorf("fast path answered=%v, want %v", got, tc.want)
			}
			// Whatever the path, the public decoder is the reference.
			fr, ft, fc, ferr := decodeResourceRecordsPage([]byte(tc.body), fuzzCycle, fuzzSite)
			sr, st, sc, serr := decodeResourceRecordsPageSlow([]byte(tc.body), fuzzCycle, fuzzSite)
			if fmt.Sprint(ferr) != fmt.Sprint(serr) || reflect.TypeOf(ferr) != reflect.TypeOf(serr) || ft != st || fc != sc || !reflect.DeepEqual(fr, sr) {
				t.Errorf("decodeResourceRecordsPage = (%d records, %d, %q, %v), reference (%d, %d, %q, %v)", len(fr), ft, fc, ferr, len(sr), st, sc, serr)
			}
		})
	}
}

func TestFastTime(t *testing.T) {
	start := time.Date(1999, 12, 25, 0, 0, 0, 0, time.UTC)
	for ts := start; ts.Before(start.AddDate(1, 3, 0)); ts = ts.Add(7*time.Hour + 13*time.Minute + 17*time.Second) {
		raw := []byte(`"` + ts.Format("2006-01-02T15:04:05Z") + `"`)
		got, ok := fastTime(raw)
		if !ok || !reflect.DeepEqual(got, ts) {
			t.Fatalf("fastTime(%s) = %v, %v", raw, got, ok)
		}
	}
}

// FuzzFastTime checks fastTime against ParseTime, which it shortcuts.
func FuzzFastTime(f *testing.F) {
	for _, s := range []string{"2024-05-14T02:00:00Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "0000-01-01T00:00:00Z", "2024-05-14T24:00:00Z", "2024-05-14T02:00:60Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := fastTime([]byte(`"` + s + `"`))
		if !ok {
			return
		}
		want, err := ParseTime(s)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("fastTime(%q) = %v, ParseTime = %v, %v", s, got, want, err)
		}
	})
}

// FuzzFastDecodeMatchesSlow is the proof of the fast path: whenever it
// answers, the encoding/json reference decodes the same body without error
// to the same records, total and currency.
func FuzzFastDecodeMatchesSlow(f *testing.F) {
	f.Add(fixture(f, "res_fee_records.json"))
	f.Add(fixture(f, "monthly_sum.json"))
	f.Add(benchPage(f, 0, 3, 10))
	for _, body := range simPages(f, 2) {
		f.Add(body)
	}
	for _, tc := range trickyPages {
		f.Add([]byte(tc.body))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ {
		f.Add(genPage(r))
	}
	f.Fuzz(resFeeDecoders.fuzz)
}

// refScanString is scanString one byte at a time: the reference for its
// eight-bytes-at-a-time loop.
func refScanString(b []byte, i int) (end, flags int, ok bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, flags, true
		case c == '\\':
			flags |= strEscaped
			if j+1 >= len(b) {
				return 0, 0, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+6 > len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return 0, 0, false
				}
				j += 5
			default:
				return 0, 0, false
			}
		case c < 0x20:
			return 0, 0, false
		case c >= 0x80:
			flags |= strNonASCII
		}
	}
	return 0, 0, false
}

func TestScanStringLanes(t *testing.T) {
	specials := []string{`"`, `\`, `\"`, `\u00e9`, `\x`, "\x00", "\x1f", " ", "\x7f", "\x80", "\xff", "中", "a"}
	tails := []string{"", `"`, `":"中文"`, `x`, "\x00"}
	for n := 0; n <= 20; n++ {
		for pos := 0; pos <= n; pos++ {
			for _, sp := range specials {
				for _, tail := range tails {
					b := []byte(`"` + strings.Repeat("a", pos) + sp + strings.Repeat("b", n-pos) + tail)
					s := scanner{b: b}
					flags, ok := s.scanString()
					end, wflags, wok := refScanString(b, 0)
					if ok != wok || ok && (s.i != end || flags != wflags) {
						t.Fatalf("%q: end=%d flags=%b ok=%v, want end=%d flags=%b ok=%v", b, s.i, flags, ok, end, wflags, wok)
					}
				}
			}
		}
	}
}

// genPage writes a random res-fee-records body from a vocabulary of
// tricky tokens. Half the pages use only tokens the fast path should
// accept (so it answers often); the others mix in tokens that it or
// encoding/json treat specially (bad ones, about one in eight).
func genPage(r *rand.Rand) []byte {
	var b bytes.Buffer
	nasty := r.IntN(2) == 0
	bad := func() bool { return nasty && r.IntN(8) == 0 }
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	// either picks from good, or from worse when bad() says so.
	either := func(good, worse []string) string {
		if bad() {
			return pick(worse...)
		}
		return pick(good...)
	}
	ws := func() {
		if r.IntN(8) == 0 {
			b.WriteString(pick(" ", "\n", "\t ", "\r\n  "))
		}
	}
	str := func() string {
		return either([]string{`""`, `"a"`, `"acme-master"`, `"华北-北京四"`, `"a\"b"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"x\/y"`,
			`"null"`, `"-1"`, `"12.30"`, `"2024-05-14"`, `"k=\u2028"`, "\"\xe2\x80\xa8\"", `"ﬀ"`, `null`},
			[]string{"\"\xff\"", "\"a\x01\"", `"\x"`, `1`})
	}
	dec := func() string {
		return either([]string{`0`, `-0`, `0.00`, `1`, `12.30`, `-0.03`, `1.5E+2`, `0E-8`, `123456789012345678901234567890.5`, `"12.30"`,
			`"1e2"`, `"\u0031.5"`, `null`, `999999999999999999`, `0.000000000000000001`, `1e-64`, `"-0.5"`},
			[]string{`1e65`, `" 1"`, `"abc"`, `""`, `true`, `"1e"`})
	}
	integer := func() string {
		return either([]string{`0`, `1`, `-1`, `3`, `"5"`, `"+5"`, `1E+1`, `3.0`, `null`, `-0`, `2`, `9`, `"12345678901234567"`},
			[]string{`1.5`, `"x"`, `12345678901234567890`, `""`, `false`})
	}
	tm := func() string {
		return either([]string{`"2024-05-14T02:00:00Z"`, `"2024-02-29T23:59:59Z"`, `"2024-05-14T02:00:00.5+08:00"`,
			`"2024-05-14 02:00:00"`, `""`, `null`, `"2024-05-14T02:00:00"`},
			[]string{`"2023-02-29T00:00:00Z"`, `"soon"`, `"2024-05-14T24:00:00Z"`, `"2024-5-14T02:00:00Z"`, `12`})
	}
	other := func() string {
		return either([]string{`true`, `false`, `{}`, `[]`, `[1,{"a":null},"x"]`, `{"v":{"w":[]}}`, `"x"`, `-1.5e-3`, `null`},
			[]string{`nul`, `1.`, `01`, `[1,]`, `{"a"}`})
	}
	value := func(key string) string {
		if i, ok := resFeeKind.rec.index[key]; ok {
			switch resFeeKind.rec.fields[i].kind {
			case kindDec:
				return dec()
			case kindInt:
				if key == "measure_id" {
					return either([]string{`1`, `2`, `3`, `null`, `"3"`}, []string{`9`, `-1`})
				}
				return integer()
			case kindTime:
				return tm()
			case kindStr:
				if r.IntN(2) == 0 {
					return either([]string{`3`, `-0`, `1.5e3`, `20`}, []string{`true`})
				}
				return str()
			}
			if key == "bill_date" {
				return either([]string{`"2024-05-14"`, `null`, `""`}, []string{`"14/05/2024"`})
			}
			return str()
		}
		return other()
	}
	key := func() string {
		if r.IntN(10) == 0 {
			return either([]string{`"x"`, `""`, `"total_count"`, `"brand_new"`, `"id "`, `"currency"`},
				[]string{`"ID"`, `"Amount"`, `"\u0069d"`, "\"s\u212au_code\"", `"Unit_Price"`})
		}
		fields := resFeeKind.rec.fields
		return `"` + fields[r.IntN(len(fields))].key + `"`
	}
	record := func() {
		if bad() && r.IntN(4) == 0 {
			b.WriteString(pick(`null`, `1`, `[]`))
			return
		}
		b.WriteByte('{')
		n := r.IntN(12)
		seen := map[string]bool{}
		for i := 0; i < n; i++ {
			k := key()
			if seen[k] && !bad() {
				continue
			}
			seen[k] = true
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			b.WriteString(k)
			ws()
			b.WriteByte(':')
			ws()
			uk, _ := strconv.Unquote(k)
			b.WriteString(value(uk))
			ws()
		}
		b.WriteByte('}')
	}
	ws()
	b.WriteByte('{')
	keys := []string{"total_count", "currency", "fee_records", "error_code", "error_msg", "request_id", "x"}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	keys = keys[:1+r.IntN(len(keys))]
	if bad() {
		keys = append(keys, pick(keys[0], "Currency", "TOTAL_COUNT")) // duplicate or case variant
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		ws()
		fmt.Fprintf(&b, "%q", k)
		ws()
		b.WriteByte(':')
		ws()
		switch k {
		case "total_count", "TOTAL_COUNT":
			b.WriteString(either([]string{`3`, `0`, `"7"`, `1E+1`, `12`, `1000000`}, []string{`null`, `-1`, `"x"`}))
		case "currency", "error_msg", "request_id", "Currency":
			b.WriteString(either([]string{`"CNY"`, `"USD"`, `""`, `null`, `"人民币"`, `"\u0055SD"`}, []string{`1`, "\"\xc3\""}))
		case "error_code":
			b.WriteString(either([]string{`null`, `""`, `"CBC.0000"`}, []string{`"CBC.0999"`}))
		case "fee_records":
			if bad() && r.IntN(4) == 0 {
				b.WriteString(pick(`null`, `{}`, `"x"`))
				break
			}
			b.WriteByte('[')
			n := r.IntN(4)
			for j := 0; j < n; j++ {
				if j > 0 {
					b.WriteByte(',')
				}
				ws()
				record()
				ws()
			}
			b.WriteByte(']')
		default:
			b.WriteString(other())
		}
		ws()
	}
	b.WriteByte('}')
	if bad() {
		b.WriteString(pick(`x`, `{}`, "\x00"))
	}
	ws()
	return b.Bytes()
}

// TestFastDecodeGeneratedPages runs the differential check over generated
// bodies; FAST_DECODE_PAGES and FAST_DECODE_SEED set up a longer hunt.
func TestFastDecodeGeneratedPages(t *testing.T) {
	n, seed := 3000, uint64(1)
	if v, err := strconv.Atoi(os.Getenv("FAST_DECODE_PAGES")); err == nil {
		n = v
	}
	if v, err := strconv.ParseUint(os.Getenv("FAST_DECODE_SEED"), 10, 64); err == nil {
		seed = v
	}
	r := rand.New(rand.NewPCG(seed, 2))
	answered := 0
	for i := 0; i < n; i++ {
		if checkSame(t, genPage(r)) {
			answered++
		}
	}
	// The generator must reach the fast path often, or it proves little.
	if answered < n/10 {
		t.Errorf("fast path answered %d of %d generated pages", answered, n)
	}
	t.Logf("fast path answered %d of %d generated pages", answered, n)
}
