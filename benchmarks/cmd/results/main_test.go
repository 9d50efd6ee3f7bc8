package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/wxgo/offiaccount/benchmarks
cpu: Test CPU
BenchmarkHandler/case=safe/sdk=floor-2      	  1000	      1000 ns/op	     100 B/op	       3 allocs/op
BenchmarkHandler/case=safe/sdk=floor-2      	  1000	      3000 ns/op	     100 B/op	       3 allocs/op
BenchmarkHandler/case=safe/sdk=floor-2      	  1000	      2000 ns/op	     100 B/op	       3 allocs/op
BenchmarkHandler/case=safe/sdk=ours-2       	  1000	      6000 ns/op	     900 B/op	      19 allocs/op
BenchmarkHandler/case=safe/sdk=silenceper-2 	  1000	     48000 ns/op	   36000 B/op	     353 allocs/op
BenchmarkStampede/sdk=ours-2                	     1	  22000000 ns/op	         1.000 upstream/op
BenchmarkLoopback/case=plain/sdk=ours-2     	  1000	     30000 ns/op	    250000 p50-ns	    900000 p99-ns	     30000 req/s
BenchmarkLoopback/case=plain/sdk=silenceper-2	  1000	     40000 ns/op	    450000 p50-ns	   2000000 p99-ns	     25000 req/s
PASS
`

func TestParseMedians(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.header["cpu"]; got != "Test CPU" {
		t.Errorf("cpu = %q", got)
	}
	if v, ok := r.median("Handler", "safe", "floor", "ns/op"); !ok || v != 2000 {
		t.Errorf("median floor = %v, %v; want 2000 (middle of 1000, 3000, 2000)", v, ok)
	}
	if v, ok := r.median("Loopback", "plain", "silenceper", "p99-ns"); !ok || v != 2e6 {
		t.Errorf("median p99 = %v, %v", v, ok)
	}
	if _, ok := r.median("Handler", "plain", "ours", "ns/op"); ok {
		t.Error("a series that did not run has a median")
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
		measured    string
		missSnippet string
	}{
		{"safe mode vs floor", true, false, "3.00×", "20% over the limit"}, // 6000/2000 vs 2.5
		{"safe mode vs silenceper", true, true, "8.00×", ""},
		{"plaintext vs floor", false, false, "", ""},
		{"stampede, 1000 callers", true, true, "max 1 over 1 runs", ""},
		{"loopback plain, throughput", true, false, "1.20×", "20% short of the goal"},
		{"loopback plain, p99", true, true, "900.00 µs vs 2.00 ms", ""},
	}
	for _, tt := range tests {
		tg, found := byName[tt.name]
		if !found {
			t.Errorf("no target %q", tt.name)
			continue
		}
		if tg.known != tt.known || tg.ok != tt.ok || tg.measured != tt.measured || !strings.Contains(tg.miss, tt.missSnippet) {
			t.Errorf("%s: got known=%v ok=%v measured=%q miss=%q; want %v %v %q %q",
				tt.name, tg.known, tg.ok, tg.measured, tg.miss, tt.known, tt.ok, tt.measured, tt.missSnippet)
		}
	}
}

func TestWriteMarksSmokeRuns(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var smoke, real bytes.Buffer
	write(&smoke, options{count: 1, benchtime: "100x"}, r)
	write(&real, options{count: 10, benchtime: "1s"}, r)
	if !strings.Contains(smoke.String(), "Smoke run") || strings.Contains(real.String(), "Smoke run") {
		t.Error("only runs with fewer than 10 counts are marked as smoke runs")
	}
	for _, want := range []string{"| safe | 2.00 µs | 6.00 µs | 48.00 µs | 3.00× | 24.00× | 8.00× |", "**missed** 20% over the limit", "Test CPU"} {
		if !strings.Contains(real.String(), want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
}
