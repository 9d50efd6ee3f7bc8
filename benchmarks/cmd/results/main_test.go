package main

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
)

// Three rounds; the floor and ours move together, so the per-round ratio is steadier than
// the ratio of medians would suggest.
const sample = `goos: linux
goarch: amd64
pkg: github.com/wxgo/offiaccount/benchmarks
cpu: Test CPU
# round 1
BenchmarkHandler/case=safe/sdk=floor-2      	  1000	      1000 ns/op	     100 B/op	       3 allocs/op
BenchmarkHandler/case=safe/sdk=ours-2       	  1000	      1500 ns/op	     900 B/op	       9 allocs/op
BenchmarkHandler/case=verify/sdk=floor-2    	  1000	       100 ns/op	       0 B/op	       1 allocs/op
BenchmarkHandler/case=verify/sdk=ours-2     	  1000	       120 ns/op	       0 B/op	       1 allocs/op
BenchmarkSize/size=500KB/case=safe/sdk=floor-2	  10	   1000000 ns/op	   600000 body-B	  100000 B/op	       3 allocs/op
BenchmarkSize/size=500KB/case=safe/sdk=ours-2	  10	   1400000 ns/op	   600000 body-B	 1200000 B/op	       9 allocs/op
BenchmarkStampede/sdk=ours-2                	     1	  22000000 ns/op	         1.000 upstream/op
# round 2
BenchmarkHandler/case=safe/sdk=floor-2      	  1000	      3000 ns/op	     100 B/op	       3 allocs/op
BenchmarkHandler/case=safe/sdk=ours-2       	  1000	      4200 ns/op	     900 B/op	       9 allocs/op
BenchmarkHandler/case=verify/sdk=floor-2    	  1000	       100 ns/op	       0 B/op	       1 allocs/op
BenchmarkHandler/case=verify/sdk=ours-2     	  1000	       100 ns/op	       0 B/op	       1 allocs/op
BenchmarkStampede/sdk=ours-2                	     1	  22000000 ns/op	         1.000 upstream/op
# round 3
BenchmarkHandler/case=safe/sdk=floor-2      	  1000	      2000 ns/op	     100 B/op	       3 allocs/op
BenchmarkHandler/case=safe/sdk=ours-2       	  1000	      3200 ns/op	     900 B/op	       9 allocs/op
BenchmarkHandler/case=verify/sdk=floor-2    	  1000	       100 ns/op	       0 B/op	       1 allocs/op
BenchmarkHandler/case=verify/sdk=ours-2     	  1000	       130 ns/op	       0 B/op	       1 allocs/op
BenchmarkStampede/sdk=ours-2                	     1	  22000000 ns/op	         2.000 upstream/op
PASS
`

func TestQuantile(t *testing.T) {
	tests := []struct {
		vs   []float64
		q    float64
		want float64
	}{
		{[]float64{3, 1, 2}, 0.5, 2},
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.1, 2},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.9, 10},
		{[]float64{10, 20}, 0.1, 11},
		{[]float64{7}, 0.9, 7},
	}
	for _, tt := range tests {
		if got := Quantile(tt.vs, tt.q); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Quantile(%v, %v) = %v, want %v", tt.vs, tt.q, got, tt.want)
		}
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("Quantile of nothing is a number")
	}
}

func TestRatiosPerRound(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if r.rounds != 3 || r.header["cpu"] != "Test CPU" {
		t.Fatalf("rounds = %d, cpu = %q", r.rounds, r.header["cpu"])
	}
	// Per round 1.5, 1.4, 1.6: the median is 1.5 and the 10th-90th percentiles 1.42 and 1.58.
	s := r.ratio(ns("Handler", "safe", "ours"), ns("Handler", "safe", "floor"))
	if math.Abs(s.med-1.5) > 1e-9 || math.Abs(s.p10-1.42) > 1e-9 || math.Abs(s.p90-1.58) > 1e-9 || s.n != 3 {
		t.Errorf("ratio = %+v", s)
	}
	// The ratio of the medians would be 3200/2000 = 1.6: the pairing is per round.
	if got := r.value("Handler", "safe", "ours", "ns/op").med; got != 3200 {
		t.Errorf("median ours = %v", got)
	}
	// A series measured in round 1 only pairs with round 1 only.
	if s := r.ratio(ns("Size", "500KB/safe", "ours"), ns("Size", "500KB/safe", "floor")); s.n != 1 || s.med != 1.4 {
		t.Errorf("size ratio = %+v", s)
	}
}

func TestParseWithoutRoundMarkers(t *testing.T) {
	raw := strings.Join([]string{
		"BenchmarkHandler/case=plain/sdk=floor-2 10 100 ns/op",
		"BenchmarkHandler/case=plain/sdk=ours-2 10 300 ns/op",
		"BenchmarkHandler/case=plain/sdk=floor-2 10 200 ns/op",
		"BenchmarkHandler/case=plain/sdk=ours-2 10 400 ns/op",
	}, "\n")
	r, err := parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if s := r.ratio(ns("Handler", "plain", "ours"), ns("Handler", "plain", "floor")); s.n != 2 || s.med != 2.5 {
		t.Errorf("ratio = %+v, want the median of 3 and 2", s)
	}
}

func TestTargets(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]target{}
	for _, tg := range r.targets() {
		byName[tg.name] = tg
	}
	tests := []struct {
		name        string
		known, ok   bool
		missSnippet string
	}{
		{"verification", true, false, "9% over the limit"},              // 1.2, 1.0, 1.3: median 1.2 vs 1.1
		{"allocations, safe", true, false, "12% over the limit"},        // 9 vs 8
		{"500 KB message, safe, memory", true, true, ""},                // 2× the body
		{"500 KB message, safe, time", true, true, ""},                  // 1.4×
		{"stampede, 1000 callers", true, false, "by 1 requests"},        // one round had 2
		{"defaults, 1M records held, safe", false, false, ""},           // not run
		{"safe mode vs floor (issue 9)", true, true, ""},                // 1.5×
		{"allocations, plain", false, false, ""},                        // not run
		{"memory per record (no reply kept)", false, false, ""},         // not run
		{"warm token read, serial, allocations", false, false, ""},      // not run
		{"safe mode vs silenceper at Info (issue 9)", false, false, ""}, // not run
	}
	for _, tt := range tests {
		tg, found := byName[tt.name]
		if !found {
			t.Errorf("no target %q", tt.name)
			continue
		}
		if tg.known != tt.known || tg.ok != tt.ok || !strings.Contains(tg.miss, tt.missSnippet) {
			t.Errorf("%s: got known=%v ok=%v miss=%q; want %v %v %q", tt.name, tg.known, tg.ok, tg.miss, tt.known, tt.ok, tt.missSnippet)
		}
	}
}

func TestWriteIsDeterministicAndMarksFewRounds(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	write(&a, options{benchtime: "1s", note: "shared machine"}, r)
	write(&b, options{benchtime: "1s", note: "shared machine"}, r)
	// The date line may differ across a minute boundary; the rest may not.
	cut := func(s string) string { return s[strings.Index(s, "\n\n"):] }
	if cut(a.String()) != cut(b.String()) {
		t.Error("two writes of the same input differ")
	}
	for _, want := range []string{"**3 rounds**", "> shared machine", "| safe | 2.00 µs | 3.20 µs |",
		"1.50× [1.42–1.58]", "**missed** 9% over the limit", "Test CPU"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
}

func TestWriteIncludesNotes(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	notes := t.TempDir() + "/notes.md"
	if err := os.WriteFile(notes, []byte("## Why targets are missed\n\nBecause."), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	write(&out, options{notes: notes}, r)
	s := out.String()
	i, j := strings.Index(s, "## Why targets are missed\n\nBecause.\n"), strings.Index(s, "## Callback handler")
	if i < 0 || j < i {
		t.Errorf("notes missing or not before the tables:\n%s", s)
	}
}

// A malformed round marker or value is an error naming the line, not a silent gap.
func TestParseErrors(t *testing.T) {
	for _, raw := range []string{
		"# round one\n",
		"BenchmarkHandler/sdk=ours-2  1000  fast ns/op\n",
	} {
		if _, err := parse(strings.NewReader(raw)); err == nil || !strings.Contains(err.Error(), strings.TrimSpace(raw)) {
			t.Errorf("parse(%q) = %v, want an error quoting the line", raw, err)
		}
	}
}

// FuzzParse: any input parses or fails, never panics, and what parses can be written.
func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("# round 2\nBenchmarkX/a=1/sdk=ours-8 5 NaN ns/op -1 B/op\n")
	f.Add("BenchmarkX 1 2 ns/op\nBenchmarkX 1 3 ns/op\n")
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := parse(strings.NewReader(raw))
		if err != nil {
			return
		}
		var out bytes.Buffer
		write(&out, options{}, r)
	})
}
