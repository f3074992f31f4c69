package bss

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// simTxnPage serves one fee-records page of fuzzCycle from the simulator,
// in process.
func simTxnPage(tb testing.TB, sim *bsssim.Simulator, lang, query string) []byte {
	tb.Helper()
	return simGet(tb, sim, lang, "/v2/bills/customer-bills/fee-records?bill_cycle="+fuzzCycle.String()+"&"+query)
}

// simTxnPages returns simulator fee-records pages of every shape the bills
// job reads: both languages, every record at two offsets and the filtered
// views (each status, KooGallery). The month is still open, so it has
// transactions of every status.
func simTxnPages(tb testing.TB, limit int) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	sim := bsssim.New(bsssim.Config{
		Site: bsssim.SiteCN, DisableAuth: true,
		Now:   func() time.Time { return time.Date(2024, 5, 28, 4, 0, 0, 0, time.UTC) },
		Scale: bsssim.Scale{Members: 3, Months: 2, RecordsPerMonth: 400},
	})
	for _, lang := range []string{"zh_CN", "en_US"} {
		for _, off := range []int{0, 137} {
			out[fmt.Sprintf("%s/all/off%d", lang, off)] = simTxnPage(tb, sim, lang, fmt.Sprintf("include_zero_record=true&offset=%d&limit=%d", off, limit))
		}
		for _, filter := range []string{"include_zero_record=false", "status=1", "status=2", "status=3", "provider_type=2"} {
			out[lang+"/"+filter] = simTxnPage(tb, sim, lang, fmt.Sprintf("%s&offset=0&limit=%d", filter, limit))
		}
	}
	return out
}

// benchTxnPage returns a fee-records body of n records shaped like the
// reference fixture's (about 900 bytes each), amounts varied but coherent.
func benchTxnPage(tb testing.TB, offset, n, total int) []byte {
	var fx struct {
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(fixture(tb, "fee_records.json"), &fx); err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"total_count":%d,"currency":"CNY","records":[`, total)
	for i := 0; i < n; i++ {
		r := fx.Records[i%len(fx.Records)]
		r["trade_id"] = fmt.Sprintf("CS2405%020d", offset+i)
		cents := int64(i*37 + 5)
		amt := json.Number(fmt.Sprintf("%d.%02d", cents/100, cents%100))
		r["official_amount"], r["official_discount_amount"], r["erase_amount"] = amt, json.Number("0"), json.Number("0")
		r["consume_amount"], r["cash_amount"], r["credit_amount"] = amt, amt, json.Number("0")
		r["status"] = 1 + i%3
		if i > 0 {
			b.WriteByte(',')
		}
		rb, err := json.Marshal(r)
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(rb)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// checkSameTxn is checkSame for fee-records pages.
func checkSameTxn(t *testing.T, body []byte) bool { return txnDecoders.check(t, body) }

// TestFastTransactionsTakeCommonShapes makes sure the fast path does not
// quietly fall back on the fee-records bodies the bills job reads.
func TestFastTransactionsTakeCommonShapes(t *testing.T) {
	bodies := simTxnPages(t, 1000)
	bodies["fixture"] = fixture(t, "fee_records.json")
	bodies["benchTxnPage"] = benchTxnPage(t, 0, 300, 1000)
	bodies["empty"] = []byte(`{"total_count":0,"currency":"CNY","records":[]}`)
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			if !checkSameTxn(t, body) {
				_, _, _, err := decodeTransactionPageSlow(body, fuzzCycle, fuzzSite)
				t.Fatalf("fast path declined (reference: %v) %.300q", err, body)
			}
			bills, _, _, _ := fastTransactionPage(body, fuzzCycle, fuzzSite)
			if name != "empty" && len(bills) == 0 {
				t.Fatalf("no records in %.200q", body)
			}
		})
	}
}

// txnRec is a well-formed transaction record with the fields named in
// changes replaced ("key=raw JSON") or, with "key=-", removed; keys keep
// the wire order, new ones go last.
func txnRec(changes ...string) string {
	keys := []string{"bill_cycle", "customer_id", "account_name", "provider_type", "region_code", "enterprise_project_id",
		"charging_mode", "consume_time", "trade_id", "bill_type", "status", "official_amount", "official_discount_amount",
		"erase_amount", "consume_amount", "cash_amount", "debt_amount"}
	vals := map[string]string{"bill_cycle": `"2024-05"`, "customer_id": `"c1"`, "account_name": `"acme"`, "provider_type": `1`,
		"region_code": `"cn-north-4"`, "enterprise_project_id": `null`, "charging_mode": `1`, "consume_time": `"2024-05-10T01:15:02Z"`,
		"trade_id": `"T1"`, "bill_type": `5`, "status": `1`, "official_amount": `2.50`, "official_discount_amount": `0.50`,
		"erase_amount": `0`, "consume_amount": `2.00`, "cash_amount": `1.5`, "debt_amount": `0.50`}
	for _, c := range changes {
		k, v, _ := strings.Cut(c, "=")
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	var parts []string
	for _, k := range keys {
		if vals[k] != "-" {
			parts = append(parts, `"`+k+`":`+vals[k])
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// txnBody wraps records in a fee-records page.
func txnBody(recs ...string) string {
	return fmt.Sprintf(`{"total_count":%d,"currency":"CNY","records":[%s]}`, len(recs), strings.Join(recs, ","))
}

// trickyTxnPages are fee-records bodies at the corners of encoding/json's
// semantics and of the record checks; want as in trickyPages.
var trickyTxnPages = []struct {
	name string
	body string
	want bool
}{
	{"well formed", txnBody(txnRec()), true},
	{"two records", txnBody(txnRec(), txnRec(`trade_id="T2"`, "status=3", "provider_type=2")), true},
	{"empty", `{"total_count":0,"records":[]}`, true},
	{"no records key", `{"total_count":5}`, true},
	{"currency after records", `{"total_count":1,"records":[` + txnRec() + `],"currency":"EUR"}`, true},
	{"null currency", `{"total_count":1,"currency":null,"records":[` + txnRec() + `]}`, true},
	{"no currency", `{"total_count":1,"records":[` + txnRec() + `]}`, true},
	{"enums as strings", txnBody(txnRec(`status="2"`, `provider_type="2"`, `bill_type="12"`, `charging_mode="3"`)), true},
	{"enums as exponents", txnBody(txnRec(`status=1E+0`, `provider_type=2.0`, `bill_type=-0`)), true},
	{"huge bill type", txnBody(txnRec(`bill_type=123456789012345678`)), true},
	{"bill type 0", txnBody(txnRec(`bill_type=0`)), true},
	{"id and unknown keys", txnBody(txnRec(`id=null`, `brand_new={"x":[1,{"y":null}]}`, `Provider_Typo=1`)), true},
	{"amounts in other forms", txnBody(txnRec(`official_amount="2.5"`, `consume_amount=2E+0`, `cash_amount="1.50"`, `debt_amount=0.5`, `erase_amount=null`)), true},
	{"amounts as exponent strings", txnBody(txnRec(`official_amount="25E-1"`, `official_discount_amount="0.5e0"`)), true},
	{"escaped and unicode values", txnBody(txnRec(`customer_id="c\u0031"`, `account_name="华为\"云\""`, `trade_id="T\/1"`, `region_code="\ud800"`)), true},
	{"enterprise project spellings", txnBody(txnRec(`enterprise_project_id="null"`), txnRec(`trade_id="T2"`, `enterprise_project_id=""`), txnRec(`trade_id="T3"`, `enterprise_project_id="0"`)), true},
	{"times", txnBody(txnRec(`consume_time="2024-05-10T09:15:02+08:00"`, `trade_time="2024-05-10 01:15:02"`)), true},
	{"null times", txnBody(txnRec(`consume_time=null`, `trade_time=""`)), true},
	{"whitespace", " \n{ \"total_count\" : 1 , \"records\" : [ " + txnRec() + " ] }\t", true},
	{"legacy success code", `{"error_code":"CBC.0000","error_msg":"success","total_count":1,"records":[` + txnRec() + `]}`, true},

	{"null provider_type", txnBody(txnRec("provider_type=null")), false},
	{"missing provider_type", txnBody(txnRec("provider_type=-")), false},
	{"null status", txnBody(txnRec("status=null")), false},
	{"missing status", txnBody(txnRec("status=-")), false},
	{"null bill_type", txnBody(txnRec("bill_type=null")), false},
	{"missing bill_type", txnBody(txnRec("bill_type=-")), false},
	{"status 0", txnBody(txnRec("status=0")), false},
	{"status 4", txnBody(txnRec("status=4")), false},
	{"provider 3", txnBody(txnRec("provider_type=3")), false},
	{"provider -1", txnBody(txnRec("provider_type=-1")), false},
	{"status text", txnBody(txnRec(`status="paid"`)), false},
	{"status empty string", txnBody(txnRec(`status=""`)), false},
	{"status fraction", txnBody(txnRec(`status=1.5`)), false},
	{"status bool", txnBody(txnRec(`status=true`)), false},
	{"status object", txnBody(txnRec(`status={}`)), false},
	{"status overflow", txnBody(txnRec(`status=18446744073709551617`)), false},
	{"duplicate status", txnBody(strings.TrimSuffix(txnRec(), "}") + `,"status":2}`), false},
	{"duplicate status null", txnBody(strings.TrimSuffix(txnRec(), "}") + `,"status":null}`), false},
	{"duplicate provider", txnBody(strings.TrimSuffix(txnRec(), "}") + `,"provider_type":1}`), false},
	{"case variant status", txnBody(txnRec("status=-", "Status=1")), false},
	{"case variant both", txnBody(txnRec("STATUS=2")), false},
	{"case variant provider", txnBody(txnRec("provider_type=-", "PROVIDER_TYPE=1")), false},
	{"case variant amount", txnBody(txnRec("Cash_Amount=1.5")), false},
	{"case variant records", `{"total_count":1,"Records":[` + txnRec() + `]}`, false},
	{"kelvin sign", txnBody(txnRec("trade_id=-", "tra\u212ade_id=\"T\"")), false},
	{"escaped key", txnBody(txnRec("status=-", `\u0073tatus=1`)), false},
	{"invalid utf8 name", txnBody(txnRec("account_name=\"a\xffb\"")), false},
	{"invalid utf8 trade", txnBody(txnRec("trade_id=\"\xc3\"")), false},
	{"invalid utf8 currency", "{\"total_count\":1,\"currency\":\"\xff\",\"records\":[" + txnRec() + "]}", false},
	{"bad amount text", txnBody(txnRec(`cash_amount="ten"`)), false},
	{"bad amount exponent", txnBody(txnRec(`cash_amount=1e65`)), false},
	{"bad amount bool", txnBody(txnRec(`official_amount=false`)), false},
	{"empty amount string", txnBody(txnRec(`debt_amount=""`)), false},
	{"split off by a cent", txnBody(txnRec(`cash_amount=1.49`)), false},
	{"official off", txnBody(txnRec(`official_amount=2.51`)), false},
	{"missing consume", txnBody(txnRec(`consume_amount=-`)), false},
	{"null consume", txnBody(txnRec(`consume_amount=null`)), false},
	{"missing official", txnBody(txnRec(`official_amount=-`)), false},
	{"other month", txnBody(txnRec(`bill_cycle="2024-06"`)), false},
	{"bad month", txnBody(txnRec(`bill_cycle="2024-13"`)), false},
	{"missing month", txnBody(txnRec(`bill_cycle=-`)), false},
	{"null customer", txnBody(txnRec(`customer_id=null`)), false},
	{"missing trade", txnBody(txnRec(`trade_id=-`)), false},
	{"number trade", txnBody(txnRec(`trade_id=17`)), false},
	{"bad time", txnBody(txnRec(`consume_time="soon"`)), false},
	{"second record bad", txnBody(txnRec(), txnRec(`trade_id="T2"`, "status=9")), false},
	{"error code", `{"error_code":"CBC.0999","error_msg":"busy","total_count":1,"records":[]}`, false},
	{"no total", `{"records":[]}`, false},
	{"null total", `{"total_count":null,"records":[]}`, false},
	{"null records", `{"total_count":0,"records":null}`, false},
	{"null element", `{"total_count":1,"records":[null]}`, false},
	{"fee_records key", `{"total_count":1,"fee_records":[` + txnRec() + `]}`, true},
	{"duplicate records", `{"total_count":1,"records":[],"records":[` + txnRec() + `]}`, false},
	{"trailing garbage", txnBody(txnRec()) + "x", false},
	{"truncated", txnBody(txnRec())[:40], false},
	{"trailing comma", `{"total_count":0,"records":[],}`, false},
	{"trailing comma in record", txnBody(strings.TrimSuffix(txnRec(), "}") + `,}`), false},
}

func TestFastTransactionsTricky(t *testing.T) {
	for _, tc := range trickyTxnPages {
		t.Run(tc.name, func(t *testing.T) {
			got := checkSameTxn(t, []byte(tc.body))
			if got != tc.want {
				_, _, _, err := decodeTransactionPageSlow([]byte(tc.body), fuzzCycle, fuzzSite)
				t.Errorf("fast path answered=%v, want %v (reference: %v)", got, tc.want, err)
			}
			// Whatever the path, the public decoder is the reference.
			fr, ft, fc, ferr := decodeTransactionPage([]byte(tc.body), fuzzCycle, fuzzSite)
			sr, st, sc, serr := decodeTransactionPageSlow([]byte(tc.body), fuzzCycle, fuzzSite)
			if fmt.Sprint(ferr) != fmt.Sprint(serr) || reflect.TypeOf(ferr) != reflect.TypeOf(serr) || ft != st || fc != sc || !reflect.DeepEqual(fr, sr) {
				t.Errorf("decodeTransactionPage = (%d records, %d, %q, %v), reference (%d, %d, %q, %v)", len(fr), ft, fc, ferr, len(sr), st, sc, serr)
			}
		})
	}
}

// genTxnPage writes a random fee-records body. Its records start from a
// well-formed one with coherent amounts (so the fast path answers often)
// and get fields replaced by tokens of the field's kind, removed,
// duplicated or case-varied; nasty pages mix in bad tokens.
func genTxnPage(r *rand.Rand) []byte {
	nasty := r.IntN(2) == 0
	bad := func() bool { return nasty && r.IntN(6) == 0 }
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	either := func(good, worse []string) string {
		if bad() {
			return pick(worse...)
		}
		return pick(good...)
	}
	ws := func() string {
		if r.IntN(8) == 0 {
			return pick(" ", "\n", "\t ", "\r\n  ")
		}
		return ""
	}
	// One amount in several spellings of the same value: consume, cash
	// and official share it, so the identities hold.
	amounts := [][]string{
		{`0`, `-0`, `0.00`, `"0"`, `0E-8`, `"0.000"`},
		{`12.30`, `"12.3"`, `1.23E+1`, `"123e-1"`, `12.3`},
		{`0.01`, `"0.010"`, `1E-2`},
		{`123456789012345678901234567890.5`, `"123456789012345678901234567890.50"`},
	}
	amt := amounts[r.IntN(len(amounts))]
	tab := &transactionKind.rec
	value := func(key string) string {
		switch key {
		case "official_amount", "consume_amount", "cash_amount":
			return either(amt, []string{`1e65`, `"x"`, `true`, `""`, `null`, `12.31`})
		case "status":
			return either([]string{`1`, `2`, `3`, `"1"`, `3.0`, `1E+0`}, []string{`null`, `0`, `4`, `"x"`, `1.5`, `""`, `-1`})
		case "bill_type":
			return either([]string{`0`, `1`, `"5"`, `1E+1`, `-1`, `"12345678901234567"`}, []string{`null`, `1.5`, `"x"`, `12345678901234567890`})
		case "provider_type":
			return either([]string{`1`, `2`, `"2"`, `2.0`}, []string{`null`, `3`, `0`, `"1 "`, `{}`})
		case "bill_cycle":
			return either([]string{`"2024-05"`}, []string{`"2024-06"`, `""`, `null`, `"2024-5"`, `5`})
		case "customer_id", "trade_id":
			return either([]string{`"c1"`, `"T\u0031"`, `"交易"`, `"x\/y"`}, []string{`""`, `null`, "\"\xff\"", `7`})
		}
		i, ok := tab.index[key]
		if !ok {
			return either([]string{`null`, `true`, `{}`, `[1,{"a":null},"x"]`, `"x"`, `-1.5e-3`}, []string{`nul`, `01`, `[1,]`})
		}
		switch tab.fields[i].kind {
		case kindDec: // the other amounts: zero in every spelling
			return either(amounts[0], []string{`"abc"`, `1e65`, `0.01`, `false`})
		case kindInt, kindIntPtr:
			return either([]string{`0`, `1`, `-1`, `"5"`, `1E+1`, `3.0`, `null`, `"12345678901234567"`}, []string{`1.5`, `"x"`, `12345678901234567890`, `""`})
		case kindTime:
			return either([]string{`"2024-05-14T02:00:00Z"`, `"2024-05-14T02:00:00.5+08:00"`, `"2024-05-14 02:00:00"`, `""`, `null`},
				[]string{`"2023-02-29T00:00:00Z"`, `"soon"`, `12`})
		}
		return either([]string{`""`, `"a"`, `"华北-北京四"`, `"a\"b"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `null`, `"null"`, `"-1"`},
			[]string{"\"\xff\"", "\"a\x01\"", `"\x"`, `1`})
	}
	record := func(b *bytes.Buffer) {
		if bad() && r.IntN(4) == 0 {
			b.WriteString(pick(`null`, `1`, `[]`))
			return
		}
		var keys []string
		for _, f := range tab.fields {
			switch f.key {
			case "bill_cycle", "customer_id", "trade_id", "consume_amount", "official_amount", "cash_amount":
				keys = append(keys, f.key) // required (as the *wInt fields)
				continue
			}
			if r.IntN(6) != 0 || f.kind == kindIntPtr {
				keys = append(keys, f.key)
			}
		}
		if r.IntN(3) == 0 {
			keys = append(keys, pick("id", "brand_new", "x"))
		}
		if bad() {
			keys = append(keys, pick("status", "provider_type", "Status", "TRADE_ID", "Cash_Amount", `\u0073tatus`, "tra\u212ade_id"))
		}
		if bad() {
			keys = keys[:r.IntN(len(keys))] // drops a required key
		}
		if r.IntN(3) == 0 {
			r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(ws() + `"` + k + `"` + ws() + ":" + ws() + value(k) + ws())
		}
		b.WriteByte('}')
	}
	var b bytes.Buffer
	b.WriteString(ws() + "{")
	keys := []string{"currency", "error_code", "request_id", "x"}
	keys = keys[:r.IntN(len(keys)+1)]
	if !bad() {
		keys = append(keys, "total_count")
	}
	if !bad() {
		keys = append(keys, "records")
	}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	if len(keys) == 0 {
		keys = append(keys, "x")
	}
	if bad() {
		keys = append(keys, pick(keys[0], "Currency", "TOTAL_COUNT", "Records"))
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s%q%s:%s", ws(), k, ws(), ws())
		switch k {
		case "total_count", "TOTAL_COUNT":
			b.WriteString(either([]string{`3`, `0`, `"7"`, `1E+1`, `1000000`}, []string{`null`, `-1`, `"x"`}))
		case "currency", "request_id", "Currency":
			b.WriteString(either([]string{`"CNY"`, `""`, `null`, `"人民币"`, `"\u0055SD"`}, []string{`1`, "\"\xc3\""}))
		case "error_code":
			b.WriteString(either([]string{`null`, `""`, `"CBC.0000"`}, []string{`"CBC.0999"`}))
		case "records", "Records":
			if bad() && r.IntN(4) == 0 {
				b.WriteString(pick(`null`, `{}`, `"x"`))
				break
			}
			b.WriteByte('[')
			for j := range r.IntN(4) {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(ws())
				record(&b)
			}
			b.WriteByte(']')
		default:
			b.WriteString(value(k))
		}
		b.WriteString(ws())
	}
	b.WriteByte('}')
	if bad() {
		b.WriteString(pick(`x`, `{}`, "\x00"))
	}
	return b.Bytes()
}

// TestFastTransactionsGeneratedPages runs the differential check over
// generated bodies; FAST_DECODE_PAGES and FAST_DECODE_SEED set up a longer
// hunt.
func TestFastTransactionsGeneratedPages(t *testing.T) {
	n, seed := 3000, uint64(1)
	if v, err := strconv.Atoi(os.Getenv("FAST_DECODE_PAGES")); err == nil {
		n = v
	}
	if v, err := strconv.ParseUint(os.Getenv("FAST_DECODE_SEED"), 10, 64); err == nil {
		seed = v
	}
	r := rand.New(rand.NewPCG(seed, 5))
	answered, withRecords := 0, 0
	for i := 0; i < n; i++ {
		b := genTxnPage(r)
		if checkSameTxn(t, b) {
			answered++
			if bills, _, _, _ := fastTransactionPage(b, fuzzCycle, fuzzSite); len(bills) > 0 {
				withRecords++
			}
		}
	}
	// The generator must reach the fast path often, with records, or it
	// proves little.
	if answered < n/10 || withRecords < n/20 {
		t.Errorf("fast path answered %d of %d generated pages, %d with records", answered, n, withRecords)
	}
	t.Logf("fast path answered %d of %d generated pages, %d with records", answered, n, withRecords)
}

// FuzzFastTransactionsMatchSlow is the proof of the fast path for
// fee-records pages: whenever it answers, the encoding/json reference
// decodes the same body without error to the same bills, total and
// currency.
func FuzzFastTransactionsMatchSlow(f *testing.F) {
	f.Add(fixture(f, "fee_records.json"))
	f.Add(benchTxnPage(f, 0, 3, 10))
	for _, body := range simTxnPages(f, 2) {
		f.Add(body)
	}
	for _, tc := range trickyTxnPages {
		f.Add([]byte(tc.body))
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 40; i++ {
		f.Add(genTxnPage(r))
	}
	f.Fuzz(txnDecoders.fuzz)
}

// TestSumEquals checks the int64 shortcut of the amount identities against
// decimal arithmetic, on amounts of every size and scale.
func TestSumEquals(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	coef := func() int64 {
		switch r.IntN(5) {
		case 0:
			return 0
		case 1:
			return r.Int64N(1000) - 500
		case 2:
			return r.Int64N(1<<62) - 1<<61
		case 3:
			return (1<<58)/int64(pow10[r.IntN(18)]) + r.Int64N(3) - 1 // at the int64 path's limits
		}
		return r.Int64N(1e12) - 5e11
	}
	dec := func() decimal.Decimal {
		d := decimal.New(coef(), int32(r.IntN(24)-16))
		if r.IntN(8) == 0 { // a coefficient beyond int64
			d = d.Mul(decimal.New(1, 0).Shift(int32(r.IntN(30))).Add(decimal.New(int64(r.IntN(3)), 0)))
		}
		return d
	}
	equalCases := 0
	for i := 0; i < 200000; i++ {
		terms := make([]decimal.Decimal, 1+r.IntN(8))
		for j := range terms {
			terms[j] = dec()
		}
		want := sum(terms)
		if r.IntN(2) == 0 {
			// A near miss: one unit of some exponent off, or a
			// different spelling of the same sum.
			switch r.IntN(3) {
			case 0:
				want = want.Add(decimal.New(int64(r.IntN(3)-1), int32(r.IntN(24)-16)))
			case 1:
				want = decimal.NewFromBigInt(want.Coefficient().Mul(want.Coefficient(), big.NewInt(int64(pow10[r.IntN(5)]))), want.Exponent()-int32(r.IntN(5)))
			default:
				want = dec()
			}
		}
		wantEq := sum(terms).Equal(want)
		if wantEq {
			equalCases++
		}
		if got := sumEquals(want, terms); got != wantEq {
			t.Fatalf("sumEquals(%s, %v) = %v, decimal arithmetic says %v", want, terms, got, wantEq)
		}
	}
	if equalCases < 50000 {
		t.Errorf("only %d equal cases", equalCases)
	}
}

// TestIsMonth checks the shortcut of ParseMonth in bill.
func TestIsMonth(t *testing.T) {
	for _, s := range []string{"2024-05", "2024-5", "2024-06", "2024/05", "02024-05", "2024-05 ", "2024-0x", "2024+05", "", "0000-00", "9999-12", "2023-05"} {
		for _, m := range []Month{fuzzCycle, {9999, 12}, {0, 0}, {2024, 13}} {
			p, err := ParseMonth(s)
			want := err == nil && p == m
			if got := isMonth(s, m); got && !want {
				t.Errorf("isMonth(%q, %v) = true, ParseMonth = %v, %v", s, m, p, err)
			} else if !got && want && m.Valid() {
				t.Errorf("isMonth(%q, %v) = false, ParseMonth agrees", s, m)
			}
		}
	}
}
