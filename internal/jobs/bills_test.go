package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestBillsPanicReachesJobGoroutine: accounts are synced in goroutines of
// their own; a panic there must come out of Run in the job's goroutine,
// where the scheduler and `syncd sync` recover and count it, instead of
// killing the process (which would fail this test binary).
func TestBillsPanicReachesJobGoroutine(t *testing.T) {
	for _, parallel := range []int{1, 3} {
		t.Run(fmt.Sprintf("parallel=%d", parallel), func(t *testing.T) {
			b := &Bills{
				Accounts: []Account{
					{Scope: "a", Source: &fakeSource{}, Members: MembersEach},
					{Scope: "b", Source: &fakeSource{}, Members: MembersEach},
				},
				Members: func(_ context.Context, scope string) ([]string, error) {
					var m map[string]int
					m[scope]++ //nolint:staticcheck // SA5000: a bug deep in an account's sync, on purpose
					return nil, nil
				},
				Metrics:  NewMetrics(),
				Logger:   discard,
				Now:      func() time.Time { return time.Date(2024, 5, 15, 4, 0, 0, 0, time.UTC) },
				Parallel: parallel,
			}
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("Run returned without the panic")
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, "assignment to entry in nil map") || !strings.Contains(msg, "helper goroutine") {
					t.Errorf("panic value %q: want the original value and the helper goroutine's stack", msg)
				}
			}()
			_ = b.Run(context.Background(), Window{})
		})
	}
}
