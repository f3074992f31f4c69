package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// accessKey extracts the AK from an SDK-HMAC-SHA256 Authorization header.
var accessKey = regexp.MustCompile(`Access=([^,\s]+)`)

// TestAccountsSyncedInParallel: with SYNCD_BILLS_PARALLEL_ACCOUNTS ≥ 2 the
// bills of two accounts are read at the same time. A proxy in front of the
// simulator holds every resource-records request until both accounts have
// sent one (or 20 s have passed); sequential accounts would only get there
// by the timeout. Both scopes must still equal the simulator's truth.
func TestAccountsSyncedInParallel(t *testing.T) {
	e := newE2E(t, sink.EngineServer)
	var memberAK, memberSK, memberID string
	for _, a := range e.sim.Accounts() {
		if !a.Master && a.Independent {
			memberAK, memberSK, memberID = a.AK, a.SK, a.ID
			break
		}
	}
	if memberID == "" {
		t.Fatal("the simulator has no independent member")
	}
	var (
		mu      sync.Mutex
		seen    = map[string]bool{}
		both    = make(chan struct{})
		waited  time.Duration
		timeout = 20 * time.Second
	)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "res-fee-records") {
			m := accessKey.FindStringSubmatch(r.Header.Get("Authorization"))
			if m != nil {
				mu.Lock()
				if !seen[m[1]] {
					seen[m[1]] = true
					if len(seen) == 2 {
						close(both)
					}
				}
				mu.Unlock()
			}
			start := time.Now()
			select {
			case <-both:
			case <-time.After(timeout):
			}
			mu.Lock()
			waited = max(waited, time.Since(start))
			mu.Unlock()
		}
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	e.cfg.BSS.Endpoint = proxy.URL + "/"
	e.cfg.Jobs.BillsParallelAccounts = 2

	master := e.cfg.Accounts[0]
	master.Name, master.Members = "master", string(jobs.MembersNone)
	e.cfg.Accounts = []AccountConfig{master, {
		Name:           "member",
		Credentials:    bss.Credentials{AK: bss.Secret(memberAK), SK: bss.Secret(memberSK), DomainID: memberID},
		AccountOptions: AccountOptions{Members: string(jobs.MembersNone)},
	}}
	p := e.open(discardLogger())
	ctx := context.Background()
	cur := bss.MonthOf(e2eNow)
	if err := p.Sync(ctx, []string{jobs.JobBills}, jobs.Window{From: cur, To: cur}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-both:
	default:
		t.Fatal("the two accounts never read records at the same time")
	}
	if waited >= timeout {
		t.Fatalf("a request waited the full %s for the other account: accounts were synced one after the other", timeout)
	}
	for _, c := range []struct{ scope, truthScope string }{{"master", bssOwn(e)}, {"member", memberID}} {
		truth := e.sim.Truth(c.truthScope, cur.String())
		r := query(t, p.Sink, fmt.Sprintf(`SELECT count(), toString(sum(amount)) FROM DB.cost_records WHERE scope = '%s' AND bill_cycle = toDate('%s-01')`, c.scope, cur))[0]
		if r[0] != fmt.Sprint(truth.Records) || !mustDec(t, r[1]).Equal(truth.Amount) {
			t.Errorf("%s %s: %s records, amount %s; want %d, %s", c.scope, cur, r[0], r[1], truth.Records, truth.Amount)
		}
	}
}

// bssOwn is the truth scope of the master's own records (members=none).
func bssOwn(e *e2e) string { return e.sim.Master().ID }
