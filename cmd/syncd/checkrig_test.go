package main

import (
	"testing"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// newCheckSims starts the China-site and the international-site simulators
// the feed lines of syncd check are tested against (a master with two
// members each, one small month), closed when the test ends.
func newCheckSims(t *testing.T) (cn, intl *bsssim.Server) {
	t.Helper()
	scale := bsssim.Scale{Members: 2, Months: 1, RecordsPerMonth: 10}
	cn, err := bsssim.NewServer(bsssim.Config{Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cn.Close)
	intl, err = bsssim.NewServer(bsssim.Config{Site: bsssim.SiteIntl, Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(intl.Close)
	return cn, intl
}

// checkClient is a real BSS client of account a on srv, with one retry.
func checkClient(t *testing.T, srv *bsssim.Server, site bss.Site, a bsssim.Account) *bss.Client {
	t.Helper()
	c, err := bss.NewClient(bss.Config{Endpoint: srv.URL + "/", Site: site, MaxRetries: 1},
		bss.Credentials{AK: bss.Secret(a.AK), SK: bss.Secret(a.SK), DomainID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// simMaster is the enterprise master of a simulator configuration.
func simMaster(cfg bsssim.Config) bsssim.Account {
	return bsssim.Account{ID: cfg.DomainID, AK: cfg.AK, SK: cfg.SK}
}
