package bss_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// Reading a whole billing month of itemised records, as the bills job does:
// the iterator pages, paces, retries and re-signs by itself; a *DriftError
// at the end means the month changed while it was read.
func ExampleClient_ResourceRecords() {
	now := time.Date(2024, 6, 20, 4, 0, 0, 0, time.UTC)
	sim, err := bsssim.NewServer(bsssim.Config{Now: func() time.Time { return now }, Scale: bsssim.Scale{Months: 2, RecordsPerMonth: 300}})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	// In production: creds, err := bss.CredentialsFromEnv(os.LookupEnv)
	cfg := sim.Config()
	creds := bss.Credentials{AK: bss.Secret(cfg.AK), SK: bss.Secret(cfg.SK), DomainID: cfg.DomainID}
	c, err := bss.NewClient(bss.Config{Endpoint: sim.URL}, creds, bss.WithClock(func() time.Time { return now }))
	if err != nil {
		log.Fatal(err)
	}
	month, _ := bss.ParseMonth("2024-05")
	n, total := 0, decimal.Zero
	for rec, err := range c.ResourceRecords(context.Background(), bss.ResourceRecordOptions{Cycle: month, IncludeZero: true}) {
		var drift *bss.DriftError
		if errors.As(err, &drift) {
			log.Fatalf("month changed while reading it, read it again: %v", err)
		}
		if err != nil {
			log.Fatal(err)
		}
		n++
		total = total.Add(rec.Amount)
	}
	truth := sim.Truth("", "2024-05")
	fmt.Println(n == truth.Records, total.Equal(truth.Amount), fmt.Sprint(creds.SK))
	// Output: true true [REDACTED]
}
