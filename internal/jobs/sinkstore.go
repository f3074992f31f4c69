package jobs

import (
	"context"
	"time"

	"github.com/syncd-io/syncd/internal/sink"
)

// SinkMonths is a *sink.Sink as a MonthStore. Go has no covariant results,
// so the sink's BeginMonth (returning *sink.MonthWriter) needs this wrapper
// to return the MonthWriter the bills job declares.
type SinkMonths struct{ *sink.Sink }

// BeginMonth starts replacing the month cycle of scope (see sink.Sink.BeginMonth).
func (s SinkMonths) BeginMonth(ctx context.Context, scope string, cycle time.Time) (MonthWriter, error) {
	w, err := s.Sink.BeginMonth(ctx, scope, cycle)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return w, nil
}

// BeginFeeMonth starts replacing the transaction bills of a month (see
// sink.Sink.BeginFeeMonth).
func (s SinkMonths) BeginFeeMonth(ctx context.Context, scope string, cycle time.Time) (FeeWriter, error) {
	w, err := s.Sink.BeginFeeMonth(ctx, scope, cycle)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// SinkAmortized is a *sink.Sink as an AmortizedStore, for the same reason
// as SinkMonths.
type SinkAmortized struct{ *sink.Sink }

// BeginAmortizedMonth starts replacing the shared month of scope (see
// sink.Sink.BeginAmortizedMonth).
func (s SinkAmortized) BeginAmortizedMonth(ctx context.Context, scope string, month time.Time) (AmortizedWriter, error) {
	w, err := s.Sink.BeginAmortizedMonth(ctx, scope, month)
	if err != nil {
		return nil, err
	}
	return w, nil
}

var (
	_ Store          = SinkMonths{}
	_ AmortizedStore = SinkAmortized{}
)
