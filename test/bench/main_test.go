package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestUtilisationSmoke runs the utilisation case for one second, so the
// bench command is compiled and exercised in CI; the ratios of so short a
// run are not meaningful and are not checked, failed calls are.
func TestUtilisationSmoke(t *testing.T) {
	var out bytes.Buffer
	if err := utilisation(context.Background(), &out, time.Second, 2); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	if !strings.Contains(out.String(), "failed calls 0 ") {
		t.Errorf("failed calls in the smoke run:\n%s", out.String())
	}
}

// TestPagingSmoke runs the paging case on a small month: every setting must
// read the whole month without a throttle; rates are not checked.
func TestPagingSmoke(t *testing.T) {
	var out bytes.Buffer
	if err := paging(context.Background(), &out, 20*time.Millisecond, 2000, []int{-1, 4}); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 2 result lines:\n%s", out.String())
	}
	for _, l := range lines[2:] {
		if f := strings.Fields(l); len(f) != 7 || f[6] != "0" || f[1] == "0" {
			t.Errorf("result line %q: want records read and 0 throttles", l)
		}
	}
}

// TestEndToEndSmoke runs the e2e case on a small month: syncd and the raw
// insert must store the same rows (the case fails otherwise); rates are
// not checked.
func TestEndToEndSmoke(t *testing.T) {
	var out bytes.Buffer
	if err := endToEnd(context.Background(), &out, 3000); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	if !strings.Contains(out.String(), "throughput of syncd sync") {
		t.Errorf("no throughput line:\n%s", out.String())
	}
}
