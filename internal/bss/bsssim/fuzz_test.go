package bsssim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzQueries sends arbitrary query strings and bodies to every endpoint:
// the simulator must answer 200, 400 or 403 with a valid JSON body, never
// panic or fail internally.
func FuzzQueries(f *testing.F) {
	cfg := testConfig()
	cfg.DisableAuth = true
	cfg.Scale = Scale{Members: 3, RecordsPerMonth: 50}
	s := New(cfg)
	paths := []string{}
	for k := range routes {
		paths = append(paths, k)
	}
	f.Add(uint8(0), "cycle=2024-05&limit=10&offset=3", []byte(nil))
	f.Add(uint8(1), "bill_cycle=2024-05&enterprise_project_id", []byte(nil))
	f.Add(uint8(2), "cycle=2024-05&bill_date_begin=2024-05-01&bill_date_end=2024-05-02&statistic_type=1", []byte(`{"limit":5}`))
	f.Add(uint8(3), "", []byte(`{"free_resource_ids":["x"]}`))
	f.Add(uint8(4), "method=sub_customer&sub_customer_id=&cycle=2024-05", []byte(`{"offset":-1}`))
	f.Fuzz(func(t *testing.T, which uint8, rawQuery string, body []byte) {
		key := paths[int(which)%len(paths)]
		var method, path string
		for i := 0; i < len(key); i++ {
			if key[i] == ' ' {
				method, path = key[:i], key[i+1:]
				break
			}
		}
		req := httptest.NewRequest(method, "http://sim"+path, bytes.NewReader(body))
		req.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden:
		default:
			t.Fatalf("%s?%s: status %d %s", key, rawQuery, w.Code, w.Body.String())
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s?%s: invalid JSON %q", key, rawQuery, w.Body.String())
		}
	})
}
