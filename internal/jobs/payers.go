package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
)

// memberProbe is what Coverage asks of a master's source to learn whether a
// member's bills are visible to it: one page of the member's monthly sums
// (*bss.Client has it). Sources without it count every listed member as
// visible.
type memberProbe interface {
	ListMonthlySums(ctx context.Context, opts bss.MonthlySumOptions, lo bss.ListOptions) ([]bss.MonthlySum, *bss.MonthlySumTotals, *bss.Response, error)
}

// Coverage decides which configured accounts' bills already arrive through
// another configured account's member fan-out, so that a customer's bills
// are stored once (docs/configuration.md explains who covers whom). Who
// pays a customer's costs is decided beside it, by Payer.
type Coverage struct {
	// Accounts are the configured accounts.
	Accounts []Account
	// Members lists the member IDs of a scope (normally (*Org).MemberIDs).
	Members func(ctx context.Context, scope string) ([]string, error)
	// Logger receives one line per change of an account's coverage.
	Logger *slog.Logger
	// Now is the clock (default time.Now), for the probed month.
	Now func() time.Time

	mu   sync.Mutex
	last map[string]string // scope -> covering scope, as last decided
	told map[string]string // what was last logged per scope
}

// CoveredBy returns, for every configured account whose own bills arrive
// through another configured account's fan-out, the scope of that account.
// When a master's member list or a visibility probe fails, the previous
// decision for the accounts concerned is kept (none before the first
// success) and the error is returned with the map.
func (c *Coverage) CoveredBy(ctx context.Context) (map[string]string, error) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	prev := c.last
	c.mu.Unlock()
	out := make(map[string]string)
	var errs []error
	byCustomer := make(map[string]Account)
	for _, a := range c.Accounts {
		if a.CustomerID != "" {
			byCustomer[a.CustomerID] = a
		}
	}
	for _, m := range c.Accounts {
		if m.Members == MembersNone || c.Members == nil {
			continue
		}
		// Only a configured account can be covered: ask only when one
		// could be.
		if len(byCustomer) < 2 {
			break
		}
		ids, err := c.Members(ctx, m.Scope)
		if err != nil {
			errs = append(errs, fmt.Errorf("member list of %s: %w", m.Scope, err))
			for s, by := range prev {
				if by == m.Scope {
					out[s] = by
				}
			}
			continue
		}
		for _, id := range ids {
			a, ok := byCustomer[id]
			if !ok || a.Scope == m.Scope || out[a.Scope] != "" {
				continue
			}
			visible, err := c.visible(ctx, m, id)
			if err != nil {
				errs = append(errs, fmt.Errorf("visibility of %s to %s: %w", a.Scope, m.Scope, err))
				if by := prev[a.Scope]; by == m.Scope {
					out[a.Scope] = by
				}
				continue
			}
			if visible {
				out[a.Scope] = m.Scope
			}
		}
	}
	c.mu.Lock()
	c.last = out
	if c.told == nil {
		c.told = make(map[string]string)
	}
	for _, a := range c.Accounts {
		if c.told[a.Scope] == out[a.Scope] {
			continue
		}
		c.told[a.Scope] = out[a.Scope]
		if by := out[a.Scope]; by != "" {
			c.logger().Info("bills of this account arrive through another configured account's member fan-out; "+
				"they are stored there only, balances and packages are still synced here", "scope", a.Scope, "covered_by", by)
		} else {
			c.logger().Info("bills of this account are synced under its own scope again", "scope", a.Scope)
		}
	}
	c.mu.Unlock()
	return out, errors.Join(errs...)
}

func (c *Coverage) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// visible reports whether master may read member's bills: one page of the
// member's monthly sums of the current month. CBC.0151 means an
// independent member that has not authorised the master, which method=all
// leaves out too.
func (c *Coverage) visible(ctx context.Context, master Account, member string) (bool, error) {
	p, ok := master.Source.(memberProbe)
	if !ok {
		return true, nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	_, _, _, err := p.ListMonthlySums(ctx, bss.MonthlySumOptions{Cycle: bss.MonthOf(now()), Method: bss.MethodSubCustomer, SubCustomerID: member},
		bss.ListOptions{Limit: 1})
	if bss.HasCode(err, bss.CodeAccessDenied) {
		return false, nil
	}
	return err == nil, err
}

// Payer returns the scope whose balance pays for the costs of customer as
// stored under scope source, or "" when no configured balance does: a
// customer that is a configured account pays for itself (its own balance is
// synced under its own scope); a member declared self-paying in the source
// account's configuration (SelfPayingMembers) pays from a balance syncd does
// not see; everything else in a scope is paid from that scope's balance.
// The API does not say which members use unified accounting, hence the
// declaration.
func Payer(accounts []Account, source, customer string) string {
	for _, a := range accounts {
		if a.CustomerID != "" && a.CustomerID == customer {
			return a.Scope
		}
	}
	for _, a := range accounts {
		if a.Scope == source {
			if slices.Contains(a.SelfPaying, customer) {
				return ""
			}
			return source
		}
	}
	return source
}
