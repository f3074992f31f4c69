package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
)

// TestCheckFunds checks the member funds line of syncd check on the real
// client and simulator: usable for the enterprise master on the China site,
// not usable (with the reason, and no failure) for a member account and on
// the international site.
func TestCheckFunds(t *testing.T) {
	cn, intl := newCheckSims(t)
	cnCfg, intlCfg := cn.Config(), intl.Config()
	p := &Program{accounts: []jobs.Account{
		{Scope: "master", CustomerID: cnCfg.DomainID, Source: checkClient(t, cn, bss.SiteChina, simMaster(cnCfg))},
		{Scope: "member", CustomerID: cn.Accounts()[1].ID, Source: checkClient(t, cn, bss.SiteChina, cn.Accounts()[1])},
		{Scope: "intl", CustomerID: intlCfg.DomainID, Source: checkClient(t, intl, bss.SiteInternational, simMaster(intlCfg))},
	}}
	var out bytes.Buffer
	if failed := p.checkFunds(context.Background(), &out); failed {
		t.Errorf("checkFunds failed:\n%s", out.String())
	}
	for _, want := range []string{
		"bss account master: member funds: usable (enterprise master, China site)\n",
		"bss account member: member funds: not usable: not an enterprise master (a member or standalone account, or no permission: CBC.0151)",
		"bss account intl: member funds: not usable: the international site offers no member funds API",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestCheckDeductions runs syncd check's package deduction line with real
// clients against the simulator: usable on the China site, for a member
// account too (its own packages), and on the international site; revoked
// credentials fail it.
func TestCheckDeductions(t *testing.T) {
	cn, intl := newCheckSims(t)
	cnCfg, intlCfg := cn.Config(), intl.Config()
	revoked := simMaster(cnCfg)
	revoked.SK = "revoked-secret-key"
	p := &Program{accounts: []jobs.Account{
		{Scope: "master", Source: checkClient(t, cn, bss.SiteChina, simMaster(cnCfg))},
		{Scope: "member", Source: checkClient(t, cn, bss.SiteChina, cn.Accounts()[1])},
		{Scope: "intl", Source: checkClient(t, intl, bss.SiteInternational, simMaster(intlCfg))},
	}}
	var out bytes.Buffer
	if failed := p.checkDeductions(context.Background(), &out); failed {
		t.Errorf("checkDeductions failed:\n%s", out.String())
	}
	for _, scope := range []string{"master", "member", "intl"} {
		if want := "bss account " + scope + ": package deductions: usable (the account's own packages; China and international sites)\n"; !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
	p.accounts = []jobs.Account{{Scope: "revoked", Source: checkClient(t, cn, bss.SiteChina, revoked)}}
	out.Reset()
	if failed := p.checkDeductions(context.Background(), &out); !failed || !strings.Contains(out.String(), "bss account revoked: package deductions: FAILED: ") {
		t.Errorf("revoked credentials: failed = %v, output:\n%s", failed, out.String())
	}
}
