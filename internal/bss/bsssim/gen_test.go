package bsssim

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestLocateIsABijection checks the O(1) position mapping of re-issued
// months against a brute-force enumeration.
func TestLocateIsABijection(t *testing.T) {
	s := New(testConfig())
	a := s.t.accounts[1]
	for _, n := range []int{1, 49, 50, 51, 99, 100, 101, 1234} {
		for _, ver := range []int{0, 1, 2, 7} {
			v := view{a: a, m: 24290, days: 30, n: n, version: ver}
			if ver > 0 {
				full := n / removalBlock
				v.removed = full
				if rem := n % removalBlock; rem > 0 && s.removalPos(&v, full) < rem {
					v.removed++
				}
			}
			v.late = 3
			var want []int
			for i := 0; i < n; i++ {
				b := i / removalBlock
				if ver > 0 && i%removalBlock == s.removalPos(&v, b) {
					continue
				}
				want = append(want, i)
			}
			if len(want) != n-v.removed {
				t.Fatalf("n=%d v=%d: %d survivors, view says %d", n, ver, len(want), n-v.removed)
			}
			for pos := 0; pos < v.count(); pos++ {
				idx, late := s.locate(&v, pos)
				if pos < len(want) {
					if late || idx != want[pos] {
						t.Fatalf("n=%d v=%d pos=%d: got %d/%v want %d", n, ver, pos, idx, late, want[pos])
					}
				} else if !late || idx != pos-len(want) {
					t.Fatalf("n=%d v=%d pos=%d: got late %d/%v", n, ver, pos, idx, late)
				}
			}
		}
	}
}

// TestGeneratorIdentities checks the amount identities on many generated
// lines, across versions, without HTTP.
func TestGeneratorIdentities(t *testing.T) {
	s := New(testConfig())
	snap := monthSnapshot{days: 30}
	for _, a := range s.t.accounts {
		for ver := 0; ver < 3; ver++ {
			snap.version = ver
			v := s.makeView(a, 24290, snap, 2)
			s.scan(&v, func(_ int, r *record) {
				var split int64
				for _, x := range r.split {
					split += x
				}
				if split != r.amount || r.official-r.discount != r.amount {
					t.Fatalf("identity broken: %+v", r)
				}
				if r.split[spBonus] != 0 || (r.amount > 0 && r.official < r.discount) {
					t.Fatalf("bad split: %+v", r)
				}
				if r.day < 1 || r.day > 30 {
					t.Fatalf("day %d", r.day)
				}
			})
		}
	}
}

// BenchmarkResFeeRecordsPage measures the serving rate of itemised records
// in pages of 1000 over HTTP on loopback (records/s is the figure the daemon
// benchmarks compare against).
func BenchmarkResFeeRecordsPage(b *testing.B) {
	cfg := testConfig()
	cfg.Scale = Scale{Members: -1, RecordsPerMonth: 1000000}
	srv := httptest.NewServer(New(cfg))
	defer srv.Close()
	c := &client{t: &testing.T{}, base: srv.URL, ak: DemoAK, sk: DemoSK, domain: DemoDomainID, now: cfg.Now}
	b.ReportAllocs()
	b.ResetTimer()
	var bytes int64
	for i := 0; i < b.N; i++ {
		r := c.get(resFee, "cycle=2024-04&limit=1000&offset="+itoa((i*1000)%700000))
		if r.status != http.StatusOK {
			b.Fatal(r.status)
		}
		bytes += int64(len(r.body))
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(bytes)/float64(b.N*1000), "bytes/record")
}

// BenchmarkResFeeRecordsHandler is the same without the network.
func BenchmarkResFeeRecordsHandler(b *testing.B) {
	cfg := testConfig()
	cfg.Scale = Scale{Members: -1, RecordsPerMonth: 1000000}
	cfg.DisableAuth = true
	s := New(cfg)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, resFee+"?cycle=2024-04&limit=1000&offset="+itoa((i*1000)%700000), nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkTruth measures the generator scan behind Truth (records/s).
func BenchmarkTruth(b *testing.B) {
	cfg := testConfig()
	cfg.Scale = Scale{Members: -1, RecordsPerMonth: 200000}
	s := New(cfg)
	n := 0
	for i := 0; i < b.N; i++ {
		s.cacheMu.Lock()
		clear(s.cache)
		s.cacheMu.Unlock()
		n += s.Truth("", "2024-04").Records
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
