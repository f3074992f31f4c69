package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
)

// TestCheckTransactions runs the transaction bills line of syncd check with
// real clients against the simulator: usable for a China-site master and
// member, not usable (a note, not a failure) on the international site
// without a request, and a failure when the credentials are wrong.
func TestCheckTransactions(t *testing.T) {
	cn, intl := newCheckSims(t)
	cnCfg, intlCfg := cn.Config(), intl.Config()
	p := &Program{accounts: []jobs.Account{
		{Scope: "master", CustomerID: cnCfg.DomainID, Source: checkClient(t, cn, bss.SiteChina, simMaster(cnCfg))},
		{Scope: "member", CustomerID: cn.Accounts()[1].ID, Source: checkClient(t, cn, bss.SiteChina, cn.Accounts()[1])},
		{Scope: "intl", CustomerID: intlCfg.DomainID, Source: checkClient(t, intl, bss.SiteInternational, simMaster(intlCfg))},
	}}
	var out bytes.Buffer
	if failed := p.checkTransactions(context.Background(), &out); failed {
		t.Errorf("checkTransactions failed:\n%s", out.String())
	}
	for _, want := range []string{
		"bss account master: transaction bills: usable (China site)\n",
		"bss account member: transaction bills: usable (China site)\n",
		"bss account intl: transaction bills: not usable: the international site offers no transaction bills API",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
	if n := intl.RequestCount(bsssim.OpFeeRecords); n != 0 {
		t.Errorf("%d requests to the international site", n)
	}
	bad := simMaster(cnCfg)
	bad.SK = "wrong-secret"
	p.accounts = []jobs.Account{{Scope: "bad", CustomerID: cnCfg.DomainID, Source: checkClient(t, cn, bss.SiteChina, bad)}}
	out.Reset()
	if failed := p.checkTransactions(context.Background(), &out); !failed || !strings.Contains(out.String(), "bss account bad: transaction bills: FAILED") {
		t.Errorf("wrong credentials: failed=%v\n%s", failed, out.String())
	}
}
