package bss

import (
	"errors"
	"testing"
)

// requireTypedError fails the fuzz input when err is neither a decode error
// nor an API error: a malformed body must always be reported as one of the
// two, naming the operation and field.
func requireTypedError(t *testing.T, err error) {
	t.Helper()
	var de *DecodeError
	var e *Error
	if !errors.As(err, &de) && !errors.As(err, &e) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

// FuzzBalances checks the balance decoder never panics, reports malformed
// bodies as typed errors, and never returns an account without a type.
func FuzzBalances(f *testing.F) {
	f.Add(fixture(f, "balances.json"))
	f.Add([]byte(`{"account_balances":[{"account_id":"a","account_type":1,"amount":"1.5"}],"currency":"CNY","measure_id":1}`))
	f.Add([]byte(`{"account_balances":[{"account_type":"x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		bal, err := decodeBalances(b, "CNY")
		if err != nil {
			requireTypedError(t, err)
			return
		}
		if bal == nil {
			t.Fatal("nil balances without an error")
		}
	})
}

// FuzzPackagePage checks the v3 resource package decoder (string quotas)
// never panics and reports malformed bodies as typed errors.
func FuzzPackagePage(f *testing.F) {
	f.Add(fixture(f, "free_resource_infos.json"))
	f.Add([]byte(`{"total_count":1,"free_resource_packages":[{"order_instance_id":"o","free_resources":[{"amount":"12.5","original_amount":20}]}]}`))
	f.Add([]byte(`{"total_count":"1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, total, err := decodePackagePage(b)
		if err != nil {
			requireTypedError(t, err)
			return
		}
		if total < 0 {
			t.Fatalf("negative total %d with %d packages", total, len(pkgs))
		}
	})
}
