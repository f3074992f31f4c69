package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// FundsSource reads an enterprise master's member funds.
type FundsSource interface {
	TransferAmount(ctx context.Context, bt bss.BalanceType) ([]bss.Funds, error)
	RetrieveAmount(ctx context.Context, memberID string, bt bss.BalanceType) ([]bss.Funds, error)
}

// FundsStore writes the member-funds snapshots and reads the stored costs
// per customer that a member's burn is computed from; *sink.Sink has it.
type FundsStore interface {
	WriteMemberFunds(ctx context.Context, rows []sink.MemberFunds) error
	CustomerCosts(ctx context.Context, from, to time.Time) ([]sink.CustomerCost, error)
}

// Reasons of syncd_member_funds_unavailable.
const (
	FundsNotMaster   = "not_master"
	FundsUnsupported = "unsupported"
)

// memberBurnDays is the window of a member's daily burn.
const memberBurnDays = 7

var secondsPerDay = decimal.NewFromInt(86400)

// Funds snapshots, for every configured enterprise master, what it can
// still allocate to its members and what it can take back from each of them
// (cash and credit), and exports each member's runway: its retrievable cash
// over its daily burn of the last 7 complete days (from the stored bills).
// An account that is no master, or a site without these operations, is
// reported once in the log and in syncd_member_funds_unavailable; its runs
// succeed.
type Funds struct {
	Accounts []Account
	Store    FundsStore
	Runs     RunStore
	Metrics  *Metrics
	Logger   *slog.Logger
	Now      func() time.Time
	// Members lists the member account IDs of a master's scope (normally
	// (*Org).MemberIDs, which the org job keeps).
	Members func(ctx context.Context, scope string) ([]string, error)

	mu          sync.Mutex
	unavailable map[string]string // scope → reason, for logging changes only
}

// Run takes one snapshot per scope; the window is ignored.
func (j *Funds) Run(ctx context.Context, _ Window) error {
	now := clock(j.Now)
	return forEachScope(ctx, JobFunds, j.Accounts, j.Runs, j.Metrics, j.Logger, now, func(ctx context.Context, a Account, logger *slog.Logger) (int, error) {
		at := now().UTC().Truncate(time.Second)
		master, err := readFunds(ctx, a.Source, "")
		if reason := fundsUnavailable(err); reason != "" {
			j.setUnavailable(a.Scope, reason, logger, err)
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("master funds: %w", err)
		}
		j.setUnavailable(a.Scope, "", logger, nil)
		var members []string
		if j.Members != nil {
			if members, err = j.Members(ctx, a.Scope); err != nil {
				return 0, fmt.Errorf("member list: %w", err)
			}
		}
		rows := fundsRows(a.Scope, a.CustomerID, "master", at, master)
		var errs []error
		for _, id := range members {
			f, err := readFunds(ctx, a.Source, id)
			if err != nil {
				errs = append(errs, fmt.Errorf("member %s: %w", id, err))
				continue
			}
			rows = append(rows, fundsRows(a.Scope, id, "member", at, f)...)
		}
		if len(rows) > 0 {
			if err := j.Store.WriteMemberFunds(ctx, rows); err != nil {
				return 0, fmt.Errorf("write member funds: %w", err)
			}
		}
		if err := j.setGauges(ctx, a.Scope, rows, at); err != nil {
			errs = append(errs, err)
		}
		return len(rows), errors.Join(errs...)
	})
}

// readFunds reads the debit and credit funds of the master (member "") or
// of one member.
func readFunds(ctx context.Context, src FundsSource, member string) ([]bss.Funds, error) {
	var out []bss.Funds
	for _, bt := range []bss.BalanceType{bss.BalanceDebit, bss.BalanceCredit} {
		var (
			f   []bss.Funds
			err error
		)
		if member == "" {
			f, err = src.TransferAmount(ctx, bt)
		} else {
			f, err = src.RetrieveAmount(ctx, member, bt)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", balanceTypeName(bt), err)
		}
		out = append(out, f...)
	}
	return out, nil
}

// fundsUnavailable says why an error of the master's query means "this
// account has no member funds to read" rather than a failure.
func fundsUnavailable(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errors.ErrUnsupported):
		return FundsUnsupported
	case bss.HasCode(err, bss.CodeAccessDenied):
		return FundsNotMaster
	}
	return ""
}

func balanceTypeName(bt bss.BalanceType) string {
	if bt == bss.BalanceCredit {
		return "credit"
	}
	return "debit"
}

// fundsRows maps one account's funds to member_funds rows; Ledger counts
// the elements of each balance type.
func fundsRows(scope, customerID, role string, at time.Time, fs []bss.Funds) []sink.MemberFunds {
	out := make([]sink.MemberFunds, 0, len(fs))
	ledger := map[bss.BalanceType]int32{}
	for _, f := range fs {
		out = append(out, sink.MemberFunds{Scope: scope, ObservedAt: at, CustomerID: customerID, Role: role,
			BalanceType: balanceTypeName(f.BalanceType), Ledger: ledger[f.BalanceType], Available: f.Available,
			Amount: f.Amount, CreditAmount: f.CreditAmount, Currency: f.Currency, ExpireTime: f.ExpireTime})
		ledger[f.BalanceType]++
	}
	return out
}

// setGauges exports one scope's snapshot, each member's daily burn over the
// last 7 complete days (UTC+8) and its runway.
func (j *Funds) setGauges(ctx context.Context, scope string, rows []sink.MemberFunds, at time.Time) error {
	type key struct{ customer, role, bt, currency string }
	sums := map[key]decimal.Decimal{}
	cash := map[[2]string]decimal.Decimal{} // member, currency → retrievable cash
	for _, r := range rows {
		k := key{r.CustomerID, r.Role, r.BalanceType, r.Currency}
		sums[k] = sums[k].Add(r.Available)
		if r.Role == "member" && r.BalanceType == "debit" {
			c := [2]string{r.CustomerID, r.Currency}
			cash[c] = cash[c].Add(r.Available)
		}
	}
	j.Metrics.fundsAvailable.DeletePartialMatch(prometheus.Labels{"scope": scope})
	for k, v := range sums {
		j.Metrics.fundsAvailable.WithLabelValues(scope, k.customer, k.role, k.bt, k.currency).Set(float(v))
	}
	j.Metrics.memberBurn.DeletePartialMatch(prometheus.Labels{"scope": scope})
	j.Metrics.memberRunway.DeletePartialMatch(prometheus.Labels{"scope": scope})
	if len(cash) == 0 {
		return nil
	}
	today := at.In(beijing)
	last := time.Date(today.Year(), today.Month(), today.Day()-1, 0, 0, 0, 0, time.UTC)
	first := last.AddDate(0, 0, 1-memberBurnDays)
	costs, err := j.Store.CustomerCosts(ctx, first, last)
	if err != nil {
		return fmt.Errorf("member burn: %w", err)
	}
	days := decimal.NewFromInt(memberBurnDays)
	for _, c := range costs {
		if c.Scope != scope {
			continue
		}
		avail, ok := cash[[2]string{c.CustomerID, c.Currency}]
		if !ok {
			continue
		}
		burn := c.Amount.Div(days)
		j.Metrics.memberBurn.WithLabelValues(scope, c.CustomerID, c.Currency).Set(float(burn))
		if burn.IsPositive() {
			j.Metrics.memberRunway.WithLabelValues(scope, c.CustomerID, c.Currency).Set(float(avail.Div(burn).Mul(secondsPerDay)))
		}
	}
	return nil
}

// setUnavailable records whether scope's member funds can be read (reason
// "" when they can), logging only changes.
func (j *Funds) setUnavailable(scope, reason string, logger *slog.Logger, cause error) {
	j.mu.Lock()
	if j.unavailable == nil {
		j.unavailable = make(map[string]string)
	}
	was, known := j.unavailable[scope]
	j.unavailable[scope] = reason
	j.mu.Unlock()
	j.Metrics.fundsUnavailable.DeletePartialMatch(prometheus.Labels{"scope": scope})
	for _, r := range []string{FundsNotMaster, FundsUnsupported} {
		v := 0.0
		if r == reason {
			v = 1
		}
		j.Metrics.fundsUnavailable.WithLabelValues(scope, r).Set(v)
	}
	if reason != "" {
		j.Metrics.fundsAvailable.DeletePartialMatch(prometheus.Labels{"scope": scope})
		j.Metrics.memberBurn.DeletePartialMatch(prometheus.Labels{"scope": scope})
		j.Metrics.memberRunway.DeletePartialMatch(prometheus.Labels{"scope": scope})
	}
	switch {
	case reason == FundsNotMaster && was != reason:
		logger.Info("member funds are read by an enterprise master only: this account is none (or lacks the permission), so the funds job does nothing for it", "reason", cause.Error())
	case reason == FundsUnsupported && was != reason:
		logger.Info("member funds are not offered on this site; the funds job does nothing for this account", "reason", cause.Error())
	case reason == "" && known && was != "":
		logger.Info("member funds are readable again for this account")
	}
}

// Unavailable returns why scope's member funds cannot be read, "" if they
// can (or the job has not run for it yet).
func (j *Funds) Unavailable(scope string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.unavailable[scope]
}
