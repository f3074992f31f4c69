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
