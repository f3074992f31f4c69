package dashboards

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Plugin IDs of the data sources the dashboards use.
const (
	clickHousePlugin = "grafana-clickhouse-datasource"
	prometheusPlugin = "prometheus"
)

// dashboard is the part of Grafana's dashboard model the tests inspect.
type dashboard struct {
	file       string
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []templateVar `json:"list"`
	} `json:"templating"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	// currencyTitled is set when the title ended in currencySuffix, which loadDashboards cuts
	// off (tests name panels without it).
	currencyTitled bool
	ID             int            `json:"id"`
	Type           string         `json:"type"`
	Title          string         `json:"title"`
	Datasource     *datasourceRef `json:"datasource"`
	Targets        []target       `json:"targets"`
	Panels         []panel        `json:"panels"` // collapsed rows
	GridPos        struct {
		X, Y, W, H int
	} `json:"gridPos"`
}

type target struct {
	RefID      string         `json:"refId"`
	Datasource *datasourceRef `json:"datasource"`
	RawSQL     string         `json:"rawSql"`
	Expr       string         `json:"expr"`
	Format     any            `json:"format"` // a number for ClickHouse, a string for Prometheus
	QueryType  string         `json:"queryType"`
}

type templateVar struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasourceRef  `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

// queryString returns the variable's query: a string for ClickHouse, textbox and datasource
// variables, an object with a "query" field for Prometheus ones.
func (v templateVar) queryString() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var obj struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &obj)
	return obj.Query
}

func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	names, err := fs.Glob(Files, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 6 {
		t.Fatalf("found %d dashboards %v, want 6", len(names), names)
	}
	var out []dashboard
	for _, name := range names {
		b, err := Files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		dec := json.NewDecoder(strings.NewReader(string(b)))
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: invalid dashboard JSON: %v", name, err)
		}
		d.file = name
		cutCurrencySuffix(d.Panels)
		out = append(out, d)
	}
	return out
}

// allPanels flattens rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

var dsVarRef = regexp.MustCompile(`^\$\{(\w+)\}$`)

func TestDashboardStructure(t *testing.T) {
	uids := map[string]string{}
	for _, d := range loadDashboards(t) {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: missing uid or title", d.file)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s: uid %q already used by %s", d.file, d.UID, other)
		}
		uids[d.UID] = d.file

		dsVars := map[string]string{} // variable name -> plugin
		names := map[string]bool{}
		for _, v := range d.Templating.List {
			if names[v.Name] {
				t.Errorf("%s: variable %s defined twice", d.file, v.Name)
			}
			names[v.Name] = true
			if v.Type == "datasource" {
				dsVars[v.Name] = v.queryString()
			}
			if v.Type == "query" {
				checkDatasourceRef(t, d.file, "variable "+v.Name, v.Datasource, dsVars)
			}
		}

		checkLayout(t, d)
		ids := map[int]bool{}
		panels := allPanels(d.Panels)
		if len(panels) == 0 {
			t.Errorf("%s: no panels", d.file)
		}
		for _, p := range panels {
			if p.Type == "row" {
				continue
			}
			where := "panel " + p.Title
			if p.ID <= 0 || ids[p.ID] {
				t.Errorf("%s: %s: id %d missing or not unique", d.file, where, p.ID)
			}
			ids[p.ID] = true
			checkDatasourceRef(t, d.file, where, p.Datasource, dsVars)
			if len(p.Targets) == 0 {
				t.Errorf("%s: %s has no query", d.file, where)
			}
			refIDs := map[string]bool{}
			for _, tg := range p.Targets {
				if refIDs[tg.RefID] {
					t.Errorf("%s: %s: refId %q twice", d.file, where, tg.RefID)
				}
				refIDs[tg.RefID] = true
				ds := tg.Datasource
				if ds == nil {
					ds = p.Datasource
				}
				checkDatasourceRef(t, d.file, where+" target "+tg.RefID, ds, dsVars)
				switch ds.Type {
				case clickHousePlugin:
					if strings.TrimSpace(tg.RawSQL) == "" {
						t.Errorf("%s: %s: ClickHouse target %s has no rawSql", d.file, where, tg.RefID)
					}
					if f, ok := tg.Format.(float64); !ok || (f != 0 && f != 1) {
						t.Errorf("%s: %s: ClickHouse target needs format 0 (time series) or 1 (table)", d.file, where)
					}
				case prometheusPlugin:
					if strings.TrimSpace(tg.Expr) == "" {
						t.Errorf("%s: %s: Prometheus target %s has no expr", d.file, where, tg.RefID)
					}
				}
			}
		}
	}
}

// checkLayout requires every panel to have a size, to fit the 24-column grid and not to overlap
// another panel.
func checkLayout(t *testing.T, d dashboard) {
	t.Helper()
	ps := allPanels(d.Panels)
	for i, p := range ps {
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: panel %q: bad gridPos %+v", d.file, p.Title, g)
		}
		for _, q := range ps[:i] {
			h := q.GridPos
			if g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
				t.Errorf("%s: panels %q and %q overlap", d.file, q.Title, p.Title)
			}
		}
	}
}

// checkDatasourceRef requires a reference by a datasource variable of the dashboard whose plugin
// matches the reference's type: a hard-coded UID would break on every other Grafana.
func checkDatasourceRef(t *testing.T, file, where string, ds *datasourceRef, dsVars map[string]string) {
	t.Helper()
	if ds == nil {
		t.Errorf("%s: %s: no datasource", file, where)
		return
	}
	m := dsVarRef.FindStringSubmatch(ds.UID)
	if m == nil {
		t.Errorf("%s: %s: datasource uid %q is not a ${variable}", file, where, ds.UID)
		return
	}
	plugin, ok := dsVars[m[1]]
	if !ok {
		t.Errorf("%s: %s: datasource variable %s is not defined (before use)", file, where, m[1])
		return
	}
	if plugin != ds.Type {
		t.Errorf("%s: %s: datasource type %s, but variable %s selects %s", file, where, ds.Type, m[1], plugin)
	}
}

// TestNoHardcodedUIDs scans the raw JSON: the only literal uid is the dashboard's own.
func TestNoHardcodedUIDs(t *testing.T) {
	uidField := regexp.MustCompile(`"uid":\s*"([^"]*)"`)
	for _, d := range loadDashboards(t) {
		b, _ := Files.ReadFile(d.file)
		for _, m := range uidField.FindAllStringSubmatch(string(b), -1) {
			if m[1] != d.UID && !dsVarRef.MatchString(m[1]) {
				t.Errorf("%s: hard-coded uid %q", d.file, m[1])
			}
		}
	}
}

var promMetric = regexp.MustCompile(`\b(syncd_[a-z0-9_]+)`)

// jobLabel is the label of the job metrics that names the syncd job; it matches promMetric.
const jobLabel = "syncd_job"

// TestPrometheusMetricsExist checks that every metric a Prometheus panel or variable names is
// one syncd exposes (docs/metrics.txt, the contract list shared with alerts/).
func TestPrometheusMetricsExist(t *testing.T) {
	known := knownMetrics(t)
	n := 0
	for _, d := range loadDashboards(t) {
		var exprs []string
		for _, p := range allPanels(d.Panels) {
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
		for _, v := range d.Templating.List {
			if v.Datasource != nil && v.Datasource.Type == prometheusPlugin {
				exprs = append(exprs, v.queryString())
			}
		}
		for _, e := range exprs {
			for _, m := range promMetric.FindAllStringSubmatch(e, -1) {
				if m[1] == jobLabel {
					continue // the label naming the syncd job, not a metric
				}
				n++
				if !known[m[1]] {
					t.Errorf("%s: expression %q names unknown metric %s", d.file, e, m[1])
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no Prometheus metrics found in the dashboards")
	}
}

func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		known[line] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			known[line+suffix] = true
		}
	}
	return known
}

// TestProvisioning checks the provisioning files point at the dashboards and define both
// data source types the dashboards select.
func TestProvisioning(t *testing.T) {
	dash, err := Provisioning.ReadFile("provisioning/dashboards/syncd.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dash), "type: file") || !strings.Contains(string(dash), "path: /var/lib/grafana/dashboards/syncd") {
		t.Errorf("dashboard provider does not load files from /var/lib/grafana/dashboards/syncd:\n%s", dash)
	}
	ds, err := Provisioning.ReadFile("provisioning/datasources/syncd.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"type: " + clickHousePlugin, "type: " + prometheusPlugin, "protocol: native"} {
		if !strings.Contains(string(ds), want) {
			t.Errorf("datasource provisioning lacks %q", want)
		}
	}
}

// testRange is the dashboard time range used for expansion and engine tests.
var (
	testTo   = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	testFrom = testTo.AddDate(0, 0, -90)
)

func TestExpand(t *testing.T) {
	vars := map[string]Variable{
		"db":       {Values: []string{"billing"}},
		"scope":    {Values: []string{"acme", "beta"}, Multi: true, All: true},
		"one":      {Values: []string{"acme"}, Multi: true},
		"currency": {Values: []string{"CNY"}},
		"org":      {Values: []string{"x"}, All: true, AllValue: "*"},
		"empty":    {Values: []string{""}},
	}
	q := func(sql string) Query {
		return Query{SQL: sql, From: testFrom, To: testTo, Interval: 5 * time.Minute, Variables: vars}
	}
	from, to := "toDateTime(1787400000)", "toDateTime(1795176000)"
	tests := []struct {
		name, sql, want string
	}{
		{"timeFilter", "WHERE $__timeFilter(observed_at)", "WHERE observed_at >= " + from + " AND observed_at <= " + to},
		{"from and to", "SELECT $__fromTime, $__toTime", "SELECT " + from + ", " + to},
		{"from with parens", "SELECT $__fromTime()", "SELECT " + from},
		{"ms", "SELECT $__fromTime_ms, $__toTime_ms", "SELECT fromUnixTimestamp64Milli(1787400000000), fromUnixTimestamp64Milli(1795176000000)"},
		{"dateFilter", "$__dateFilter(d)", "d >= toDate('2026-08-22') AND d <= toDate('2026-11-20')"},
		{"dateTimeFilter", "$__dt(d, t)", "(d >= toDate('2026-08-22') AND d <= toDate('2026-11-20')) AND (t >= " + from + " AND t <= " + to + ")"},
		{"timeInterval", "$__timeInterval(ts)", "toStartOfInterval(toDateTime(ts), INTERVAL 300 second)"},
		{"timeInterval_ms", "$__timeInterval_ms(ts)", "toStartOfInterval(toDateTime64(ts, 3), INTERVAL 300000 millisecond)"},
		{"interval_s", "intDiv(x, $__interval_s)", "intDiv(x, 300)"},
		{"conditionalAll with All", "WHERE $__conditionalAll(scope IN (${scope}), $scope)", "WHERE 1=1"},
		{"conditionalAll with a value", "WHERE $__conditionalAll(scope IN (${one}), $one)", "WHERE scope IN ('acme')"},
		{"conditionalAll braces", "WHERE $__conditionalAll(f(a, (b)) = 1, ${one})", "WHERE f(a, (b)) = 1"},
		{"conditionalAll empty", "$__conditionalAll(x = '$empty', $empty)", "1=1"},
		{"nested conditionalAll", "$__conditionalAll(a IN ($one), $one) AND $__conditionalAll(b IN ($scope), $scope)", "a IN ('acme') AND 1=1"},
		{"single value verbatim", "currency = '${currency}' AND db = $db", "currency = 'CNY' AND db = billing"},
		{"all value", "('${org}' = '*')", "('*' = '*')"},
		{"multi without all macro", "scope IN (${scope})", "scope IN ('acme','beta')"},
		{"singlequote format", "${currency:singlequote}", "'CNY'"},
		{"brackets", "[[currency]]", "CNY"},
		{"unknown variable kept", "$nope", "$nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(q(tt.sql))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Expand(%q)\n got %q\nwant %q", tt.sql, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"$__timeFilter()", "$__timeFilter(a, b)", "$__nope", "$__conditionalAll(a)", "$__timeFilter(a"} {
		if got, err := Expand(q(bad)); err == nil {
			t.Errorf("Expand(%q) = %q, want an error", bad, got)
		}
	}
}

// TestDashboardQueriesExpand expands every ClickHouse query of every dashboard with All and with
// single selections, and checks nothing Grafana would substitute is left over.
func TestDashboardQueriesExpand(t *testing.T) {
	leftover := regexp.MustCompile(`\$\{?\w+|\[\[\w+`)
	for _, d := range loadDashboards(t) {
		for _, all := range []bool{true, false} {
			vars := exampleVariables(d, all)
			for _, sql := range clickHouseQueries(d) {
				got, err := Expand(Query{SQL: sql.sql, From: testFrom, To: testTo, Interval: time.Hour, Variables: vars})
				if err != nil {
					t.Errorf("%s: %s: %v", d.file, sql.where, err)
					continue
				}
				if m := leftover.FindString(got); m != "" {
					t.Errorf("%s: %s: %q left after expansion:\n%s", d.file, sql.where, m, got)
				}
				if strings.Contains(got, "toStartOfInterval") || strings.Contains(got, "64Milli") {
					t.Errorf("%s: %s: uses a function ClickHouse 18.16 lacks (toStartOfInterval / *64Milli):\n%s", d.file, sql.where, got)
				}
			}
		}
	}
}

// chQuery is one ClickHouse query of a dashboard: a panel target or a variable query.
type chQuery struct {
	where  string
	sql    string
	panel  *panel
	format int
}

func clickHouseQueries(d dashboard) []chQuery {
	var out []chQuery
	for _, v := range d.Templating.List {
		if v.Type == "query" && v.Datasource != nil && v.Datasource.Type == clickHousePlugin {
			out = append(out, chQuery{where: "variable " + v.Name, sql: v.queryString(), format: 1})
		}
	}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			ds := tg.Datasource
			if ds == nil {
				ds = p.Datasource
			}
			if ds != nil && ds.Type == clickHousePlugin {
				f, _ := tg.Format.(float64)
				out = append(out, chQuery{where: "panel " + p.Title, sql: tg.RawSQL, panel: &p, format: int(f)})
			}
		}
	}
	return out
}

// exampleVariables returns a value for every variable of d without running queries: All where
// allowed (or a fixed value), for the structural expansion test.
func exampleVariables(d dashboard, all bool) map[string]Variable {
	vars := map[string]Variable{}
	for _, v := range d.Templating.List {
		switch v.Type {
		case "textbox", "constant":
			vars[v.Name] = Variable{Values: []string{v.queryString()}}
		case "query":
			val := Variable{Values: []string{"x"}, Multi: v.Multi}
			if all && v.IncludeAll {
				val.All, val.AllValue = true, v.AllValue
			}
			vars[v.Name] = val
		}
	}
	return vars
}

func TestDashboardVariablesSorted(t *testing.T) {
	// Datasource variables come first so every later variable can refer to them.
	for _, d := range loadDashboards(t) {
		seenOther := false
		for _, v := range d.Templating.List {
			if v.Type != "datasource" {
				seenOther = true
			} else if seenOther {
				t.Errorf("%s: datasource variable %s after other variables", d.file, v.Name)
			}
		}
		if !slices.ContainsFunc(d.Templating.List, func(v templateVar) bool { return v.Type == "datasource" }) {
			t.Errorf("%s: no datasource variable", d.file)
		}
	}
}

// currencySuffix ends the title of every panel that shows money: Grafana does not interpolate
// variables in units, so the currency a money panel is in is named in its title.
const currencySuffix = " (${currency})"

func cutCurrencySuffix(ps []panel) {
	for i := range ps {
		if t, ok := strings.CutSuffix(ps[i].Title, currencySuffix); ok {
			ps[i].Title, ps[i].currencyTitled = t, true
		}
		cutCurrencySuffix(ps[i].Panels)
	}
}

// notMoney lists the panels that filter by currency but show no amount.
var notMoney = map[string]bool{"Runway (days)": true, "Resources": true}

// TestMoneyPanelsCarryCurrency: every ClickHouse panel that shows amounts of the selected
// currency says which currency it is in (its title ends in "(${currency})"), and no panel that
// shows no money claims one.
func TestMoneyPanelsCarryCurrency(t *testing.T) {
	n := 0
	for _, d := range loadDashboards(t) {
		for _, p := range allPanels(d.Panels) {
			var sql string
			for _, tg := range p.Targets {
				sql += tg.RawSQL
			}
			money := strings.Contains(sql, "currency = '${currency}'") && !notMoney[p.Title]
			if money {
				n++
			}
			if money != p.currencyTitled {
				t.Errorf("%s: panel %q: shows money %v, title names the currency %v", d.file, p.Title, money, p.currencyTitled)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d money panels found", n)
	}
}
