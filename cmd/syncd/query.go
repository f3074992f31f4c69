package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sethvargo/go-envconfig"

	"github.com/syncd-io/syncd/internal/sink"
)

// cmdQuery runs one read-only SQL statement on the configured sink (the
// embedded engine or the server) and prints the result. Unqualified table
// names resolve to the configured database; ClickHouse's readonly setting
// refuses writes (see sink.ReadOnly). It needs no BSS credentials.
func cmdQuery(ctx context.Context, args []string, lookup envconfig.Lookuper, stdout, stderr io.Writer) int {
	fs := newFlags("query", stderr)
	format := fs.String("format", "table", "output format: table, csv, tsv or json (an array of objects; every value a string, so amounts stay exact)")
	// The SQL may come before or after the flags.
	if fs.Parse(args) != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "syncd query: the SQL is missing\nusage: %s\n", usageOf("query"))
		return exitUsage
	}
	query := fs.Arg(0)
	if !parseFlags(fs, "query", fs.Args()[1:], stderr) {
		return exitUsage
	}
	switch *format {
	case "table", "csv", "tsv", "json":
	default:
		fmt.Fprintf(stderr, "syncd query: --format %q: want table, csv, tsv or json\n", *format)
		return exitUsage
	}
	cfg, logger, ok := loadFor(ctx, lookup, loadOptions{noCredentials: true}, "text", stderr)
	if !ok {
		return exitUsage
	}
	cfg.Accounts = nil // no BSS client is needed
	p := &Program{Config: cfg, Logger: logger}
	defer closeLogged(p)
	if err := p.OpenReadOnly(ctx, sink.ReadOnly()); err != nil {
		if errors.Is(err, errNoData) {
			fmt.Fprintf(stderr, "syncd query: %v: sync first (`syncd sync`, or `syncd demo --once` with SYNCD_DATA_DIR set)\n", err)
			return exitFailed
		}
		fmt.Fprintf(stderr, "syncd query: %v\n", err)
		return exitFailed
	}
	res, err := p.Sink.Query(ctx, query)
	if err != nil {
		fmt.Fprintf(stderr, "syncd query: %v\n", err)
		return exitFailed
	}
	if err := writeResult(stdout, *format, res); err != nil {
		fmt.Fprintf(stderr, "syncd query: write: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// writeResult prints res in format.
func writeResult(w io.Writer, format string, res *sink.Result) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(res.Columns); err != nil {
			return err
		}
		if err := cw.WriteAll(res.Rows); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case "tsv":
		esc := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)
		for _, row := range append([][]string{res.Columns}, res.Rows...) {
			out := make([]string, len(row))
			for i, v := range row {
				out[i] = esc.Replace(v)
			}
			if _, err := fmt.Fprintln(w, strings.Join(out, "\t")); err != nil {
				return err
			}
		}
		return nil
	case "json":
		out := make([]map[string]string, 0, len(res.Rows))
		for _, row := range res.Rows {
			o := make(map[string]string, len(row))
			for i, v := range row {
				o[res.Columns[i]] = v
			}
			out = append(out, o)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(res.Columns, "\t"))
		for _, row := range res.Rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "(%d rows)\n", len(res.Rows))
		return err
	}
}
