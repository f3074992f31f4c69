package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// corrupting is a fake upstream: the real simulator, except that the first
// page of one month's itemised records is rewritten by a mutation.
type corrupting struct {
	sim    *bsssim.Simulator
	cycle  string
	mu     sync.Mutex
	mutate func(body []byte) []byte
}

func (c *corrupting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	mutate := c.mutate
	c.mu.Unlock()
	q := r.URL.Query()
	if mutate == nil || !strings.HasSuffix(r.URL.Path, "/res-fee-records") || q.Get("cycle") != c.cycle || q.Get("offset") != "0" {
		c.sim.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	c.sim.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	_, _ = w.Write(mutate(rec.Body.Bytes()))
}

func (c *corrupting) set(f func([]byte) []byte) {
	c.mu.Lock()
	c.mutate = f
	c.mu.Unlock()
}

// editRecord returns a mutation that sets field of fee_records[i] to v
// (any JSON value, given as raw JSON).
func editRecord(i int, field, raw string) func([]byte) []byte {
	return func(body []byte) []byte {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return body
		}
		recs, _ := m["fee_records"].([]any)
		if i < len(recs) {
			recs[i].(map[string]any)[field] = json.RawMessage(raw)
		}
		out, _ := json.Marshal(m)
		return out
	}
}

// TestBadInputKeepsStoredMonth serves broken answers for one month after a
// good sync: malformed JSON, wrong types, absurd amounts and a page longer
// than the limit. Each gives a clear error naming the endpoint (and the field
// where there is one), the run fails, and the stored month is intact.
func TestBadInputKeepsStoredMonth(t *testing.T) {
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		want   []string // substrings of the client's (or, with client false, the job's) error
		decode bool     // the client must fail with a *bss.DecodeError
	}{
		{"malformed JSON", func([]byte) []byte { return []byte(`{"total_count":3,"fee_records":[{"id":"a",,}]}`) }, []string{"ListCustomerselfResourceRecords"}, true},
		{"amount of wrong type", editRecord(3, "amount", `true`), []string{"fee_records[3].amount"}, true},
		{"amount as object", editRecord(5, "official_amount", `{"value":1}`), []string{"fee_records[5].official_amount"}, true},
		{"total_count as text", editRecord(0, "id", `"x"`), nil, false}, // placeholder replaced below
		// 1e45 is a valid decimal; it cannot be stored in Decimal(38, 8),
		// so the job must fail at the insert and keep the stored month.
		{"absurd amount", editRecord(7, "amount", `"1e45"`), nil, false},
		{"non-numeric amount", editRecord(2, "cash_amount", `"12,5"`), []string{"fee_records[2].cash_amount"}, true},
		{"huge page", func(body []byte) []byte {
			var m map[string]any
			d := json.NewDecoder(bytes.NewReader(body))
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				return body
			}
			recs, _ := m["fee_records"].([]any)
			for len(recs) < 1500 {
				recs = append(recs, recs...)
			}
			// 1,500 rows for limit=1000: more than asked for, fewer than
			// total_count, half of them repeated.
			m["fee_records"] = recs[:1500]
			out, _ := json.Marshal(m)
			return out
		}, []string{"fee_records", "page has 1500 rows, more than the limit 1000"}, true},
	}
	cases[3] = struct {
		name   string
		mutate func([]byte) []byte
		want   []string
		decode bool
	}{"total_count as text", func(body []byte) []byte {
		return bytes.Replace(body, []byte(`"total_count":`), []byte(`"total_count":"many","x":`), 1)
	}, []string{"total_count"}, true}

	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			sim := bsssim.New(bsssim.Config{Seed: 51, Now: func() time.Time { return fixedNow }, Scale: testScale})
			cycle := sim.Months()[1]
			up := &corrupting{sim: sim, cycle: cycle}
			ts := httptest.NewServer(up)
			t.Cleanup(ts.Close)
			s := sinktest.Open(t, engine)
			m, _ := bss.ParseMonth(cycle)
			b, c := proxiedBills(t, ts.URL, s, 2)
			ctx := context.Background()
			// Recheck syncs exactly the closed month of the window (Run would
			// add the open month).
			w := jobs.Window{From: m, To: m}
			if err := b.Recheck(ctx, w); err != nil {
				t.Fatalf("good sync: %v", err)
			}
			good, err := storedMonth(ctx, s, testScope, cycle)
			if err != nil {
				t.Fatal(err)
			}
			if d := truthState(sim, cycle).diff(good); d != "" {
				t.Fatalf("good sync differs from truth: %s", d)
			}
			for _, tc := range cases {
				up.set(tc.mutate)
				// The client alone: a typed, clear error.
				_, rerr := collectRecords(ctx, c, m)
				var de *bss.DecodeError
				if rerr == nil && tc.decode {
					t.Errorf("%s: client read succeeded", tc.name)
				} else if rerr != nil {
					if tc.decode && !errors.As(rerr, &de) {
						t.Errorf("%s: client error %T %v, want a *bss.DecodeError", tc.name, rerr, rerr)
					}
					for _, sub := range tc.want {
						if !strings.Contains(rerr.Error(), sub) {
							t.Errorf("%s: client error %q does not mention %q", tc.name, rerr, sub)
						}
					}
				}
				// The job: the run fails and the stored month is intact.
				jerr := b.Recheck(ctx, w)
				if jerr == nil {
					t.Errorf("%s: bills run succeeded over a broken answer", tc.name)
				}

				t.Logf("%s: client: %v; job: %v", tc.name, rerr, jerr)
				got, err := storedMonth(ctx, s, testScope, cycle)
				if err != nil {
					t.Fatal(err)
				}
				if d := good.diff(got); d != "" {
					t.Errorf("%s: stored month changed: %s", tc.name, d)
				}
			}
			up.set(nil)
			if err := b.Recheck(ctx, w); err != nil {
				t.Fatalf("sync after the upstream recovered: %v", err)
			}
		})
	}
}

func collectRecords(ctx context.Context, c *bss.Client, m bss.Month) (int, error) {
	n := 0
	for _, err := range c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: m, IncludeZero: true}) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// TestBadCLIAndConfig runs the syncd binary with bad months and bad
// configuration: each exits 2 with a message naming the flag or variable,
// and a configuration with several problems reports all of them at once.
func TestBadCLIAndConfig(t *testing.T) {
	open := bss.MonthOf(time.Now()).String()
	good := syncdEnv("http://127.0.0.1:1", "clickhouse://default:pw@127.0.0.1:1/default", "billing")
	cases := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"month 13", good, []string{"sync", "--job", "bills", "--from", "2024-13"}, []string{"--from"}},
		{"month without zero", good, []string{"sync", "--job", "bills", "--from", "2024-5", "--to", "2024-06"}, []string{"--from"}},
		{"garbage month", good, []string{"sync", "--job", "bills", "--from", "may"}, []string{"--from"}},
		{"to without from", good, []string{"sync", "--job", "bills", "--to", "2024-05"}, []string{"--to"}},
		{"reversed window", good, []string{"sync", "--job", "bills", "--from", "2024-05", "--to", "2024-01"}, nil},
		{"future month", good, []string{"sync", "--job", "bills", "--from", "2999-01", "--to", "2999-02"}, nil},
		{"beyond 36 months", good, []string{"sync", "--job", "bills", "--from", "2001-01", "--to", "2001-02"}, nil},
		{"unknown job", good, []string{"sync", "--job", "bils"}, []string{"bils"}},
		{"unknown command", good, []string{"synk"}, []string{"synk"}},
		{"bad site", append(good[:len(good):len(good)], "SYNCD_BSS_SITE=mars"), []string{"sync", "--job", "bills"}, []string{"SYNCD_BSS_SITE"}},
		{"bad batch rows", append(good[:len(good):len(good)], "SYNCD_CLICKHOUSE_BATCH_ROWS=5"), []string{"sync", "--job", "bills"}, []string{"SYNCD_CLICKHOUSE_BATCH_ROWS"}},
		{"bad schedule", append(good[:len(good):len(good)], "SYNCD_SCHEDULE_BILLS=every now and then"), []string{"sync", "--job", "bills"}, []string{"SYNCD_SCHEDULE_BILLS"}},
		{"database injection", append(good[:len(good):len(good)], "SYNCD_CLICKHOUSE_DATABASE=billing; DROP TABLE x"), []string{"sync", "--job", "bills"}, []string{"SYNCD_CLICKHOUSE_DATABASE"}},
		{"database backquote", append(good[:len(good):len(good)], "SYNCD_CLICKHOUSE_DATABASE=bill`ing"), []string{"sync", "--job", "bills"}, []string{"SYNCD_CLICKHOUSE_DATABASE"}},
		{"several problems", append(withoutVar(good, "HUAWEICLOUD_SDK_SK"), "SYNCD_BSS_SITE=mars", "SYNCD_LOG_LEVEL=loud"),
			[]string{"sync", "--job", "bills"}, []string{"SYNCD_BSS_SITE", "SYNCD_LOG_LEVEL", "HUAWEICLOUD_SDK_SK"}},
		// A stray word used to end flag parsing silently: the flags after
		// it were dropped and the run reported success.
		{"stray job name", good, []string{"sync", "bills", "--from", "2024-01", "--to", "2024-01"},
			[]string{`unexpected argument "bills"`, "--job bills", "usage: syncd sync [--job"}},
		{"from for balances", good, []string{"sync", "--job", "balances", "--from", open},
			[]string{"--from and --to", "not to balances"}},
		{"recheck of an open month", good, []string{"sync", "--job", "recheck", "--from", open},
			[]string{"re-syncs closed months only", open + " is still open", "--job bills --from " + open}},
	}
	for _, args := range [][]string{{"sync", "extra-arg"}, {"run", "now"}, {"migrate", "x"}, {"check", "x"},
		{"verify", "x"}, {"demo", "once"}, {"version", "x"}, {"sync", "--job", "bills", "--from", open, "x"}} {
		cases = append(cases, struct {
			name string
			env  []string
			args []string
			want []string
		}{"stray argument to " + strings.Join(args, " "), good, args,
			[]string{fmt.Sprintf("unexpected argument %q", args[len(args)-1]), "usage: syncd " + args[0]}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runSyncd(t, tc.env, tc.args...)
			recordOutput(tc.name, out)
			t.Logf("exit %d: %s", code, strings.TrimSpace(tail(out, 600)))
			if code != 2 {
				t.Errorf("exit %d, want 2 (usage/configuration)", code)
			}
			for _, sub := range tc.want {
				if !strings.Contains(out, sub) {
					t.Errorf("output does not mention %q", sub)
				}
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Errorf("output looks like a crash")
			}
		})
	}
}

func withoutVar(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// TestSinkRejectsBadIdentifiers opens the sink directly with database names
// that would inject SQL: Open or Migrate must refuse them before any
// statement runs.
func TestSinkRejectsBadIdentifiers(t *testing.T) {
	for _, db := range []string{"billing; DROP DATABASE default", "bill`ing", "a b", "x'y", "default.cost_records"} {
		cfg := sink.Config{DSN: sinktest.DSN(t), Database: db, BatchRows: sink.MinBatchRows}
		err := cfg.Validate()
		if err == nil {
			s, oerr := sink.Open(context.Background(), cfg, testLogger(t))
			if oerr == nil {
				oerr = s.Migrate(context.Background())
				_ = s.Close()
			}
			err = oerr
		}
		if err == nil {
			t.Errorf("database %q accepted", db)
			continue
		}
		t.Logf("database %q: %v", db, err)
	}
}

// TestUnknownEnumValues serves a charge_mode and a bill_type the reference
// does not list. They are not errors (Huawei adds values); they must be
// stored verbatim, not mapped to a default, and the month stays exact.
func TestUnknownEnumValues(t *testing.T) {
	sim := bsssim.New(bsssim.Config{Seed: 52, Now: func() time.Time { return fixedNow }, Scale: testScale})
	cycle := sim.Months()[1]
	up := &corrupting{sim: sim, cycle: cycle}
	up.set(func(body []byte) []byte {
		return editRecord(4, "bill_type", `99`)(editRecord(4, "charge_mode", `"77"`)(body))
	})
	ts := httptest.NewServer(up)
	t.Cleanup(ts.Close)
	s := sinktest.Open(t, sink.EngineServer)
	m, _ := bss.ParseMonth(cycle)
	b, _ := proxiedBills(t, ts.URL, s, 0)
	ctx := context.Background()
	if err := b.Recheck(ctx, jobs.Window{From: m, To: m}); err != nil {
		t.Fatalf("unknown enum values refused: %v", err)
	}
	got, err := storedMonth(ctx, s, testScope, cycle)
	if err != nil {
		t.Fatal(err)
	}
	if d := truthState(sim, cycle).diff(got); d != "" {
		t.Errorf("month differs from truth: %s", d)
	}
	res, err := s.Query(ctx, "SELECT charge_mode, bill_type FROM "+s.Database()+".cost_records WHERE charge_mode = '77'")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][1] != "99" {
		t.Errorf("rows with charge_mode 77: %v, want one with bill_type 99", res.Rows)
	}
}

// proxiedBills is the bills job of the demo master reading through the test
// server at url (a proxy that alters the simulator's answers) into s, with
// fast retries (maxRetries 0: the default count) and no pacing, and its
// client.
func proxiedBills(t *testing.T, url string, s *sink.Sink, maxRetries int) (*jobs.Bills, *bss.Client) {
	t.Helper()
	c, err := bss.NewClient(fastRetries(bss.Config{Endpoint: url + "/", RecordsRateLimit: -1, RateLimit: -1, MaxRetries: maxRetries}),
		bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID}, bss.WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	return &jobs.Bills{
		Accounts: []jobs.Account{{Scope: testScope, CustomerID: bsssim.DemoDomainID, Source: c, Members: jobs.MembersAll, FinalDay: 3}},
		Store:    jobs.SinkMonths{Sink: s}, Runs: s, Names: &jobs.Names{}, Metrics: jobs.NewMetrics(), Logger: testLogger(t),
		Now: func() time.Time { return fixedNow },
	}, c
}
