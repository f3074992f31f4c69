package dashboards

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Variable is the current value of a dashboard template variable, as Grafana's template service
// sees it when a panel query is sent.
type Variable struct {
	// Values are the selected values. A single-value variable has exactly one.
	Values []string
	// Multi reports whether the variable allows several values; Grafana then passes an array,
	// which the ClickHouse plugin formats as a quoted list even when one value is selected.
	Multi bool
	// All reports whether "All" is selected. Values then holds every option, unless AllValue is
	// set, which Grafana substitutes verbatim instead.
	All      bool
	AllValue string
}

// Query is a panel query about to be sent: its SQL, the dashboard time range, the panel's
// interval and the template variables.
type Query struct {
	SQL       string
	From, To  time.Time
	Interval  time.Duration
	Variables map[string]Variable
}

// Expand returns the SQL the ClickHouse server receives for q, applying the same three steps, in
// the same order, as Grafana with the grafana-clickhouse-datasource plugin (v4):
//
//  1. $__conditionalAll(condition, $var) becomes 1=1 when var has All selected or is empty, and
//     condition otherwise (frontend, CHDatasource.applyConditionalAll).
//  2. Template variables ($var, ${var}, ${var:format}, [[var]]) are replaced; an array value is
//     formatted as 'a','b', a single value verbatim (frontend, templateSrv with the plugin's
//     format function).
//  3. The backend macros are expanded (pkg/macros): $__timeFilter(col), $__timeFilter_ms(col),
//     $__dateFilter(col), $__dateTimeFilter(date, time) and $__dt, $__fromTime, $__toTime,
//     $__fromTime_ms, $__toTime_ms, $__timeInterval(col), $__timeInterval_ms(col), $__interval_s.
//
// Unknown $__ macros are an error, as they are in the plugin.
func Expand(q Query) (string, error) {
	sql, err := expandConditionalAll(q.SQL, q.Variables)
	if err != nil {
		return "", err
	}
	sql = interpolate(sql, q.Variables)
	return expandMacros(sql, q)
}

const conditionalAll = "$__conditionalAll("

func expandConditionalAll(sql string, vars map[string]Variable) (string, error) {
	for {
		i := strings.LastIndex(sql, conditionalAll)
		if i < 0 {
			return sql, nil
		}
		args, end, err := macroArgs(sql, i+len(conditionalAll)-1)
		if err != nil {
			return "", fmt.Errorf("$__conditionalAll at offset %d: %w", i, err)
		}
		if len(args) != 2 {
			return "", fmt.Errorf("$__conditionalAll at offset %d: %d arguments, want 2", i, len(args))
		}
		phrase := args[0]
		if m := varRef.FindStringSubmatch(strings.TrimSpace(args[1])); m != nil {
			name := firstNonEmpty(m[1:]...)
			if v, ok := vars[name]; ok && (v.All || len(v.Values) == 0 || (len(v.Values) == 1 && v.Values[0] == "")) {
				phrase = "1=1"
			}
		}
		sql = sql[:i] + phrase + sql[end:]
	}
}

// macroArgs splits the comma-separated arguments of the parenthesised list that opens at
// sql[open], honouring nested parentheses and quoted strings. It returns the arguments and the
// offset just past the closing parenthesis.
func macroArgs(sql string, open int) ([]string, int, error) {
	if open >= len(sql) || sql[open] != '(' {
		return nil, 0, fmt.Errorf("no argument list")
	}
	var (
		args  []string
		depth int
		start = open + 1
		quote byte
	)
	for i := open; i < len(sql); i++ {
		c := sql[i]
		if quote != 0 {
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"', '`':
			quote = c
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return append(args, sql[start:i]), i + 1, nil
			}
		case ',':
			if depth == 1 {
				args = append(args, sql[start:i])
				start = i + 1
			}
		}
	}
	return nil, 0, fmt.Errorf("unbalanced parentheses")
}

// varRef matches Grafana's variable syntaxes: $name, [[name]] or [[name:fmt]], ${name} or
// ${name:fmt}. Names starting with "__" are Grafana's or the plugin's own and are left alone.
var varRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}`)

func interpolate(sql string, vars map[string]Variable) string {
	return varRef.ReplaceAllStringFunc(sql, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		name := firstNonEmpty(m[1], m[2], m[4])
		format := firstNonEmpty(m[3], m[5])
		v, ok := vars[name]
		if !ok || strings.HasPrefix(name, "__") {
			return ref
		}
		return formatVariable(name, v, format)
	})
}

func formatVariable(name string, v Variable, format string) string {
	if v.All && v.AllValue != "" && format != "queryparam" {
		return v.AllValue
	}
	values := v.Values
	switch format {
	case "singlequote":
		quoted := make([]string, len(values))
		for i, s := range values {
			quoted[i] = "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
		}
		return strings.Join(quoted, ",")
	case "csv":
		return strings.Join(values, ",")
	case "queryparam":
		if v.All {
			return "var-" + name + "=$__all"
		}
		parts := make([]string, len(values))
		for i, s := range values {
			parts[i] = "var-" + name + "=" + url.QueryEscape(s)
		}
		return strings.Join(parts, "&")
	case "raw":
		return strings.Join(values, ",")
	}
	// The plugin's default format: arrays become 'a','b'; a single value is used verbatim.
	if v.Multi || v.All {
		return "'" + strings.Join(values, "','") + "'"
	}
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// macroRef finds the start of a backend macro call.
var macroRef = regexp.MustCompile(`\$__(\w+)`)

func expandMacros(sql string, q Query) (string, error) {
	var b strings.Builder
	for {
		loc := macroRef.FindStringSubmatchIndex(sql)
		if loc == nil {
			b.WriteString(sql)
			return b.String(), nil
		}
		name := sql[loc[2]:loc[3]]
		end := loc[1]
		var args []string
		if end < len(sql) && sql[end] == '(' {
			var err error
			args, end, err = macroArgs(sql, end)
			if err != nil {
				return "", fmt.Errorf("macro $__%s: %w", name, err)
			}
			for i := range args {
				args[i] = strings.TrimSpace(args[i])
			}
			if len(args) == 1 && args[0] == "" {
				args = nil
			}
		}
		out, err := macro(name, args, q)
		if err != nil {
			return "", err
		}
		b.WriteString(sql[:loc[0]])
		b.WriteString(out)
		sql = sql[end:]
	}
}

func macro(name string, args []string, q Query) (string, error) {
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("macro $__%s: %d arguments, want %d", name, len(args), n)
		}
		return nil
	}
	dateTime := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
	dateTime64 := func(t time.Time) string { return fmt.Sprintf("fromUnixTimestamp64Milli(%d)", t.UnixMilli()) }
	date := func(t time.Time) string { return fmt.Sprintf("toDate('%s')", t.Format("2006-01-02")) }
	switch name {
	case "fromTime":
		return dateTime(q.From), nil
	case "toTime":
		return dateTime(q.To), nil
	case "fromTime_ms":
		return dateTime64(q.From), nil
	case "toTime_ms":
		return dateTime64(q.To), nil
	case "timeFilter":
		if err := want(1); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s >= %s AND %s <= %s", args[0], dateTime(q.From), args[0], dateTime(q.To)), nil
	case "timeFilter_ms":
		if err := want(1); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s >= %s AND %s <= %s", args[0], dateTime64(q.From), args[0], dateTime64(q.To)), nil
	case "dateFilter":
		if err := want(1); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s >= %s AND %s <= %s", args[0], date(q.From), args[0], date(q.To)), nil
	case "dateTimeFilter", "dt":
		if err := want(2); err != nil {
			return "", err
		}
		return fmt.Sprintf("(%s >= %s AND %s <= %s) AND (%s >= %s AND %s <= %s)",
			args[0], date(q.From), args[0], date(q.To),
			args[1], dateTime(q.From), args[1], dateTime(q.To)), nil
	case "timeInterval":
		if err := want(1); err != nil {
			return "", err
		}
		return fmt.Sprintf("toStartOfInterval(toDateTime(%s), INTERVAL %d second)", args[0], intervalSeconds(q)), nil
	case "timeInterval_ms":
		if err := want(1); err != nil {
			return "", err
		}
		ms := int64(math.Max(float64(q.Interval.Milliseconds()), 1))
		return fmt.Sprintf("toStartOfInterval(toDateTime64(%s, 3), INTERVAL %d millisecond)", args[0], ms), nil
	case "interval_s":
		return fmt.Sprintf("%d", intervalSeconds(q)), nil
	}
	return "", fmt.Errorf("unknown macro $__%s", name)
}

func intervalSeconds(q Query) int64 {
	return int64(math.Max(q.Interval.Seconds(), 1))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
