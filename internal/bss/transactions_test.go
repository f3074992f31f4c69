package bss

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeTransactionPage decodes the reference fixture (§16.1) and
// checks the answers a malformed service could send: each is refused with
// the field that is wrong, never read as a paid Huawei Cloud charge.
func TestDecodeTransactionPage(t *testing.T) {
	cycle := mustMonth(t, "2024-05")
	rows, total, cur, err := decodeTransactionPage(fixture(t, "fee_records.json"), cycle, "CNY")
	if err != nil || total != 2 || len(rows) != 2 || cur != "CNY" {
		t.Fatalf("decode = %+v, %d, %q, %v", rows, total, cur, err)
	}
	if r := rows[0]; r.TradeID != "CS2405100915ABCDE" || r.Status != TransactionPaid || r.ProviderType != ProviderHuaweiCloud ||
		r.ConsumeAmount.String() != "31.5" || r.OfficialDiscountAmount.String() != "3.5" || r.BillType != 1 || r.ChargingMode != 1 ||
		r.ConsumeTime.UTC().Format("2006-01-02T15:04:05Z") != "2024-05-10T01:15:02Z" || r.RegionCode != "cn-east-3" {
		t.Errorf("record 0 = %+v", r)
	}
	rec := func(fields string) string {
		base := map[string]string{"bill_cycle": `"2024-05"`, "customer_id": `"c1"`, "trade_id": `"T1"`, "bill_type": `5`, "status": `1`,
			"provider_type": `1`, "official_amount": `2`, "official_discount_amount": `1`, "consume_amount": `1`, "cash_amount": `1`}
		for _, kv := range strings.Split(fields, ";") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			if v == "-" {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
		var b []string
		for k, v := range base {
			b = append(b, `"`+k+`":`+v)
		}
		return `{"total_count":1,"currency":"CNY","records":[{` + strings.Join(b, ",") + `}]}`
	}
	if _, _, _, err := decodeTransactionPage([]byte(rec("")), cycle, "CNY"); err != nil {
		t.Fatalf("the well-formed record: %v", err)
	}
	for _, c := range []struct{ body, field, text string }{
		{`{"records":[]}`, "total_count", "missing"},
		{rec("status=4"), "records[0].status", "unknown status 4"},
		{rec("status=0"), "records[0].status", "unknown status 0"},
		{rec("status=-"), "records[0].status", "missing"},
		{rec("provider_type=3"), "records[0].provider_type", "unknown provider type 3"},
		{rec("provider_type=-"), "records[0].provider_type", "missing"},
		{rec("trade_id=-"), "records[0].trade_id", "missing"},
		{rec("customer_id=-"), "records[0].customer_id", "missing"},
		{rec("bill_type=-"), "records[0].bill_type", "missing"},
		{rec("bill_cycle=-"), "records[0].bill_cycle", "missing"},
		{rec(`bill_cycle="2024-06"`), "records[0].bill_cycle", "2024-06 in the answer for 2024-05"},
		{rec("consume_amount=-"), "records[0].consume_amount", "missing"},
		{rec("official_amount=-"), "records[0].official_amount", "missing"},
		{rec("cash_amount=0.99"), "records[0].consume_amount", "not the sum of the payment amounts"},
		{rec("official_discount_amount=0.5"), "records[0].official_amount", "not discount + erase + consume"},
		{rec(`status="x"`), "records[0].status", ""},
	} {
		_, _, _, err := decodeTransactionPage([]byte(c.body), cycle, "CNY")
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.field) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: got %v, want a decode error naming %s (%s)", c.body, err, c.field, c.text)
		}
	}
}

func TestTransactionBillOptionsValidate(t *testing.T) {
	m := mustMonth(t, "2024-05")
	for _, c := range []struct {
		o    TransactionBillOptions
		text string
	}{
		{TransactionBillOptions{}, "not a valid month"},
		{TransactionBillOptions{Cycle: m, ProviderType: 3}, "provider type 3"},
		{TransactionBillOptions{Cycle: m, Status: 4}, "status 4"},
		{TransactionBillOptions{Cycle: m, Method: MethodSubCustomer}, "needs a sub-customer ID"},
		{TransactionBillOptions{Cycle: m, Members: []string{"x"}}, "member list needs method"},
	} {
		if err := c.o.validate(); err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.text)
		}
	}
}
