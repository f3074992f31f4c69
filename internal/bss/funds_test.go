package bss

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeFundsPage checks the answers a malformed service could send:
// each is refused with the field it lacks, never read as zero funds.
func TestDecodeFundsPage(t *testing.T) {
	ok := `{"total_count":1,"amount_infos":[{"avail_retrieve_amount":12.34,"measure_id":1,"currency":"CNY"}]}`
	rows, total, err := decodeFundsPage([]byte(ok), BalanceDebit, true, "CNY")
	if err != nil || total != 1 || len(rows) != 1 || rows[0].Available.String() != "12.34" {
		t.Fatalf("decode = %+v, %d, %v", rows, total, err)
	}
	for _, c := range []struct{ body, field string }{
		{`{"amount_infos":[]}`, "total_count"},
		{`{"total_count":1,"amount_infos":[{"avail_transfer_amount":1,"measure_id":1}]}`, "amount_infos[0].avail_retrieve_amount"},
		{`{"total_count":1,"amount_infos":[{"avail_retrieve_amount":1,"measure_id":9}]}`, "amount_infos[0].measure_id"},
		{`{"total_count":1,"amount_infos":[{"avail_retrieve_amount":"x","measure_id":1}]}`, "avail_retrieve_amount"},
	} {
		_, _, err := decodeFundsPage([]byte(c.body), BalanceDebit, true, "CNY")
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: got %v, want a decode error naming %s", c.body, err, c.field)
		}
	}
}
