// Command results turns the raw output of benchmarks/run.sh (go test -bench, one pass over
// every benchmark per round, rounds marked "# round N") into RESULTS.md: per case the median
// over rounds and, for every ratio, the median and 10th–90th percentile of the per-round
// ratios, the issues' targets met or missed and by how much, the machine and the date.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.raw, "raw", "", "raw output of the rounds")
	flag.StringVar(&o.benchstat, "benchstat", "", "benchstat output to include verbatim")
	flag.StringVar(&o.pprof, "pprof", "", "profile summaries to include verbatim")
	flag.StringVar(&o.benchtime, "benchtime", "", "-benchtime of the run")
	flag.IntVar(&o.conc, "conc", 0, "-loopback.conc of the run")
	flag.StringVar(&o.peer, "peer", "", "module version of silenceper/wechat")
	flag.StringVar(&o.commit, "commit", "", "offiaccount commit")
	flag.StringVar(&o.kernel, "kernel", "", "uname -srm")
	flag.StringVar(&o.note, "note", "", "a sentence about the conditions of the run")
	flag.StringVar(&o.wall, "wall", "", "wall time of the rounds")
	flag.StringVar(&o.notes, "notes", "", "markdown explaining the misses, included verbatim")
	flag.Parse()
	f, err := os.Open(o.raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "results:", err)
		os.Exit(2)
	}
	defer f.Close()
	res, err := parse(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "results:", err)
		os.Exit(2)
	}
	write(os.Stdout, o, res)
}

type options struct {
	raw, benchstat, pprof, benchtime, peer, commit, kernel, note, wall, notes string
	conc                                                                      int
}

// key names one measured series: BenchmarkGroup/row…/sdk=… and a unit.
type key struct{ group, row, sdk, unit string }

type results struct {
	header map[string]string // goos, goarch, cpu, pkg
	rounds int
	vals   map[key]map[int]float64 // per round
}

var procs = regexp.MustCompile(`-\d+$`)

// parse reads the standard benchmark format, "BenchmarkName-P  N  v unit  v unit ...", with
// "# round N" lines between rounds. Output without round markers is one round per
// repetition of a benchmark.
func parse(r io.Reader) (*results, error) {
	res := &results{header: map[string]string{}, vals: map[key]map[int]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	round, marked := 0, false
	seen := map[key]int{}
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# round "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				return nil, fmt.Errorf("%q: %w", line, err)
			}
			round, marked = n, true
			continue
		}
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "Benchmark") && !strings.Contains(k, " ") {
			res.header[k] = strings.TrimSpace(v)
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue
		}
		name := procs.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), "")
		parts := strings.Split(name, "/")
		k := key{group: parts[0]}
		var rows []string
		for _, p := range parts[1:] {
			name, v, _ := strings.Cut(p, "=")
			if name == "sdk" {
				k.sdk = v
			} else {
				rows = append(rows, v)
			}
		}
		k.row = strings.Join(rows, "/")
		rd := round
		if !marked {
			rd = seen[k]
			seen[k]++
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", line, err)
			}
			kk := k
			kk.unit = fields[i+1]
			if res.vals[kk] == nil {
				res.vals[kk] = map[int]float64{}
			}
			res.vals[kk][rd] = v
			res.rounds = max(res.rounds, len(res.vals[kk]))
		}
	}
	return res, sc.Err()
}

// Quantile returns the q-quantile (0..1) of vs by linear interpolation between the closest
// ranks of the sorted values (R's type 7), or NaN for no values.
func Quantile(vs []float64, q float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// stat is the median and 10th–90th percentile of a series, over rounds.
type stat struct {
	med, p10, p90 float64
	n             int
}

func statOf(vs []float64) stat {
	return stat{Quantile(vs, 0.5), Quantile(vs, 0.1), Quantile(vs, 0.9), len(vs)}
}

func (s stat) ok() bool { return s.n > 0 }

func (r *results) series(group, row, sdk, unit string) []float64 {
	m := r.vals[key{group, row, sdk, unit}]
	var vs []float64
	for _, rd := range sortedRounds(m) {
		vs = append(vs, m[rd])
	}
	return vs
}

func sortedRounds(m map[int]float64) []int {
	var rs []int
	for rd := range m {
		rs = append(rs, rd)
	}
	slices.Sort(rs)
	return rs
}

// value is the median over rounds of one series.
func (r *results) value(group, row, sdk, unit string) stat {
	return statOf(r.series(group, row, sdk, unit))
}

// ratio is num/den per round, over the rounds that measured both.
func (r *results) ratio(num, den key) stat {
	a, b := r.vals[num], r.vals[den]
	var vs []float64
	for _, rd := range sortedRounds(a) {
		if d, ok := b[rd]; ok && d > 0 {
			vs = append(vs, a[rd]/d)
		}
	}
	return statOf(vs)
}

func ns(group, row, sdk string) key { return key{group, row, sdk, "ns/op"} }

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	case ns >= 10:
		return fmt.Sprintf("%.0f ns", ns)
	}
	return fmt.Sprintf("%.2f ns", ns)
}

func (s stat) ns() string {
	if !s.ok() {
		return "—"
	}
	return fmtNs(s.med)
}

func (s stat) x() string {
	if !s.ok() {
		return "—"
	}
	if s.n < 3 {
		return fmt.Sprintf("%.2f×", s.med)
	}
	return fmt.Sprintf("%.2f× [%.2f–%.2f]", s.med, s.p10, s.p90)
}

func (s stat) count() string {
	if !s.ok() {
		return "—"
	}
	return strconv.FormatFloat(math.Round(s.med*10)/10, 'f', -1, 64)
}

func (s stat) bytes() string {
	if !s.ok() {
		return "—"
	}
	switch {
	case s.med >= 1<<20:
		return fmt.Sprintf("%.2f MiB", s.med/(1<<20))
	case s.med >= 1<<10:
		return fmt.Sprintf("%.1f KiB", s.med/(1<<10))
	}
	return fmt.Sprintf("%.0f B", s.med)
}

// target is one goal of the issues.
type target struct {
	name, goal, measured string
	known, ok            bool
	miss                 string
}

// atMost checks a measured median against an upper limit.
func atMost(name, goal string, s stat, limit float64, show string) target {
	t := target{name: name, goal: goal, known: s.ok(), measured: show}
	if t.known {
		t.ok = s.med <= limit
		if !t.ok {
			if limit == 0 {
				t.miss = "by " + s.count()
			} else {
				t.miss = fmt.Sprintf("%.0f%% over the limit", (s.med/limit-1)*100)
			}
		}
	}
	return t
}

func atLeast(name, goal string, s stat, limit float64, show string) target {
	t := target{name: name, goal: goal, known: s.ok(), measured: show}
	if t.known {
		t.ok = s.med >= limit
		if !t.ok {
			t.miss = fmt.Sprintf("%.0f%% short of the goal", (1-s.med/limit)*100)
		}
	}
	return t
}

func (r *results) targets() []target {
	var ts []target
	for _, c := range []struct {
		name  string
		limit float64
	}{{"safe", 1.5}, {"plain", 1.8}} {
		s := r.ratio(ns("Held", "1M/"+c.name, "ours"), ns("Held", "1M/"+c.name, "floor"))
		ts = append(ts, atMost("defaults, 1M records held, "+c.name, fmt.Sprintf("ours/floor ≤ %.1f×", c.limit), s, c.limit, s.x()))
	}
	s := r.ratio(ns("Handler", "verify", "ours"), ns("Handler", "verify", "floor"))
	ts = append(ts, atMost("verification", "ours/floor ≤ 1.1×", s, 1.1, s.x()))
	for _, c := range []string{"safe", "plain"} {
		s := r.ratio(ns("Held", "1M/"+c, "ours"), ns("Held", "512/"+c, "ours"))
		ts = append(ts, atMost("1M records vs 512, "+c, "ours@1M / ours@512 ≤ 1.15×", s, 1.15, s.x()))
	}
	for _, c := range []struct {
		name  string
		limit float64
	}{{"safe", 8}, {"plain", 6}} {
		s := r.value("Handler", c.name, "ours", "allocs/op")
		ts = append(ts, atMost("allocations, "+c.name, fmt.Sprintf("≤ %.0f allocs/op (floor: %s)", c.limit,
			r.value("Handler", c.name, "floor", "allocs/op").count()), s, c.limit, s.count()))
	}
	for _, c := range []string{"safe", "plain"} {
		b := r.value("Size", "500KB/"+c, "ours", "B/op")
		body := r.value("Size", "500KB/"+c, "ours", "body-B")
		per := stat{}
		if b.ok() && body.ok() && body.med > 0 {
			per = stat{med: b.med / body.med, n: 1}
		}
		ts = append(ts, atMost("500 KB message, "+c+", memory", "B/op ≤ 3× body", per, 3,
			fmt.Sprintf("%s for a %s body: %.2f×", b.bytes(), body.bytes(), per.med)))
		t := r.ratio(ns("Size", "500KB/"+c, "ours"), ns("Size", "500KB/"+c, "floor"))
		ts = append(ts, atMost("500 KB message, "+c+", time", "ours/floor ≤ 1.5×", t, 1.5, t.x()))
	}
	m := r.value("RecordMemory", "100k", "ours", "B/record")
	ts = append(ts, atMost("memory per record (no reply kept)", "≤ 150 B", m, 150, m.count()+" B"))
	for _, md := range []string{"serial", "parallel"} {
		a := r.value("AccessTokenWarm", md, "ours", "allocs/op")
		ts = append(ts, atMost("warm token read, "+md+", allocations", "0 allocs/op", a, 0, a.count()))
	}
	if vs := r.series("Stampede", "", "ours", "upstream/op"); len(vs) > 0 {
		worst := slices.Max(vs)
		t := target{name: "stampede, 1000 callers", goal: "exactly 1 upstream request", known: true,
			ok: worst == 1 && slices.Min(vs) == 1, measured: fmt.Sprintf("max %g over %d rounds", worst, len(vs))}
		if !t.ok {
			t.miss = fmt.Sprintf("by %g requests", worst-1)
		}
		ts = append(ts, t)
	} else {
		ts = append(ts, target{name: "stampede, 1000 callers", goal: "exactly 1 upstream request"})
	}
	// Issue 9's goals, kept.
	s = r.ratio(ns("Handler", "safe", "ours"), ns("Handler", "safe", "floor"))
	ts = append(ts, atMost("safe mode vs floor (issue 9)", "ours/floor ≤ 2.5×", s, 2.5, s.x()))
	s = r.ratio(ns("Handler", "plain", "ours"), ns("Handler", "plain", "floor"))
	ts = append(ts, atMost("plaintext vs floor (issue 9)", "ours/floor ≤ 3×", s, 3, s.x()))
	s = r.ratio(ns("Handler", "safe", "silenceper"), ns("Handler", "safe", "ours"))
	ts = append(ts, atLeast("safe mode vs silenceper at Info (issue 9)", "silenceper/ours ≥ 4×", s, 4, s.x()))
	return ts
}

var handlerSDKs = []string{"floor", "ours", "silenceper", "silenceper-debug"}

func write(w io.Writer, o options, r *results) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# Benchmark results\n\n")
	p("Generated by `benchmarks/run.sh` on %s: %d interleaved rounds (every benchmark once per round,\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), r.rounds)
	p("`-benchtime %s`). Times are the median over rounds; a ratio is computed per round (both sides\n", orDash(o.benchtime))
	p("measured minutes apart at most) and shown as median [10th–90th percentile]. Allocation counts are\n")
	p("deterministic; times depend on the machine's load.")
	if o.wall != "" {
		p(" The rounds took %s.", o.wall)
	}
	p("\n\n")
	if o.note != "" {
		p("> %s\n\n", o.note)
	}
	if r.rounds < 10 {
		p("> **%d rounds** (fewer than 10): the intervals are rough. `ROUNDS=10 ./run.sh` for the real table.\n\n", r.rounds)
	}
	p("- Machine: %s/%s, %s, %d logical CPUs, %s", r.header["goos"], r.header["goarch"], r.header["cpu"], runtime.NumCPU(), runtime.Version())
	if o.kernel != "" {
		p(", %s", o.kernel)
	}
	p(".\n- ours: offiaccount at %s, built as the README shows (`NewHandler` with the key, default\n", orDash(o.commit))
	p("  dedupe store, timestamp window and body cap); every message has a MsgId never sent before.\n")
	p("- silenceper: %s, built as its README shows (`wechat.NewWechat()`, in-memory cache).\n", orDash(o.peer))
	p("  Its package init sets logrus' global level to Debug (its comment says it means Warn). `silenceper`\n")
	p("  runs at logrus' default level, Info, as a server that sets its own level does; `silenceper-debug`\n")
	p("  at the Debug level the init leaves, which formats a log entry per message. Both discard the output.\n")
	p("- floor: `floor.go`, hand-written with the standard library (signature, base64, AES-CBC, minimal\n")
	p("  parse, reply, encrypt, sign; no routing, dedupe or timestamp window).\n")
	p("- Inputs: byte-identical requests from `NewFixture`, one text message in, one text reply out; replies\n")
	p("  checked by `Fixture.Check`, so a wrong answer fails the run.\n\n")

	p("## Targets (issues 18 and 9)\n\n| target | goal | measured | status |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		status := "not measured"
		if t.known {
			status = "met"
			if !t.ok {
				status = "**missed** " + t.miss
			}
		}
		p("| %s | %s | %s | %s |\n", t.name, t.goal, orDash(t.measured), status)
	}

	if b := readFile(o.notes); b != "" {
		p("\n%s", b)
	}

	p("\n## Callback handler in process (`BenchmarkHandler`)\n\n")
	p("One request through `ServeHTTP` into a reused ResponseWriter. retry: WeChat's retry of a\n")
	p("safe-mode message already answered (ours answers from its dedupe store; the others handle it again).\n\n")
	p("| case | floor | ours | silenceper | silenceper-debug | ours/floor | silenceper/ours | silenceper-debug/ours |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range []string{"verify", "plain", "safe", "retry"} {
		p("| %s", c)
		for _, sdk := range handlerSDKs {
			p(" | %s", r.value("Handler", c, sdk, "ns/op").ns())
		}
		p(" | %s | %s | %s |\n", r.ratio(ns("Handler", c, "ours"), ns("Handler", c, "floor")).x(),
			r.ratio(ns("Handler", c, "silenceper"), ns("Handler", c, "ours")).x(),
			r.ratio(ns("Handler", c, "silenceper-debug"), ns("Handler", c, "ours")).x())
	}
	p("\n| case | allocs/op floor | ours | silenceper | silenceper-debug | B/op floor | ours | silenceper | silenceper-debug |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range []string{"verify", "plain", "safe", "retry"} {
		p("| %s", c)
		for _, u := range []string{"allocs/op", "B/op"} {
			for _, sdk := range handlerSDKs {
				p(" | %s", r.value("Handler", c, sdk, u).count())
			}
		}
		p(" |\n")
	}

	p("\n## Message size (`BenchmarkSize`)\n\n")
	p("Text messages of 100 B, 10 KB and 500 KB echoed back. B/body: bytes allocated per byte of request body.\n\n")
	p("| size | case | body | floor | ours | silenceper | ours/floor | B/op ours | B/body ours | B/body floor | allocs/op ours |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, sz := range []string{"100B", "10KB", "500KB"} {
		for _, c := range []string{"plain", "safe"} {
			row := sz + "/" + c
			body := r.value("Size", row, "ours", "body-B")
			perBody := func(sdk string) string {
				b := r.value("Size", row, sdk, "B/op")
				if !b.ok() || !body.ok() || body.med == 0 {
					return "—"
				}
				return fmt.Sprintf("%.2f", b.med/body.med)
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sz, c, body.bytes(),
				r.value("Size", row, "floor", "ns/op").ns(), r.value("Size", row, "ours", "ns/op").ns(),
				r.value("Size", row, "silenceper", "ns/op").ns(),
				r.ratio(ns("Size", row, "ours"), ns("Size", row, "floor")).x(),
				r.value("Size", row, "ours", "B/op").bytes(), perBody("ours"), perBody("floor"),
				r.value("Size", row, "ours", "allocs/op").count())
		}
	}

	p("\n## Records held by the dedupe store (`BenchmarkHeld`)\n\n")
	p("ours with its default store (bounded at 2M records) already holding 512, 100k or 1M records of answered\n")
	p("messages (filled through the `DedupeStore` interface, outside the timer); the floor, which remembers nothing,\n")
	p("measured in the same round. Every measured message adds a record, as a live server's do (records live for\n")
	p("the timestamp window), so a store grows by the messages of its run (about 100k to 200k) in every row alike;\n")
	p("none is full, so no record is evicted. A full store also evicts one record per message: the root package's\n")
	p("`BenchmarkMemoryDedupeStoreHeld/held=full` measures that.\n\n")
	p("| held | case | floor | ours | ours/floor | ours/ours@512 | allocs/op ours |\n|---|---|---|---|---|---|---|\n")
	for _, h := range []string{"512", "100k", "1M"} {
		for _, c := range []string{"plain", "safe"} {
			row := h + "/" + c
			p("| %s | %s | %s | %s | %s | %s | %s |\n", h, c, r.value("Held", row, "floor", "ns/op").ns(),
				r.value("Held", row, "ours", "ns/op").ns(), r.ratio(ns("Held", row, "ours"), ns("Held", row, "floor")).x(),
				r.ratio(ns("Held", row, "ours"), ns("Held", "512/"+c, "ours")).x(), r.value("Held", row, "ours", "allocs/op").count())
		}
	}
	p("\nMemory per record (`BenchmarkRecordMemory`, 100k records, heap after GC): %s B.\n",
		r.value("RecordMemory", "100k", "ours", "B/record").count())

	p("\n## Warm access_token read (`BenchmarkAccessTokenWarm`)\n\n")
	p("floor: one `atomic.Pointer` load. parallel: `b.RunParallel` on every P.\n\n")
	p("| mode | floor | ours | silenceper | ours/floor | allocs/op ours | allocs/op silenceper |\n|---|---|---|---|---|---|---|\n")
	for _, m := range []string{"serial", "parallel"} {
		p("| %s | %s | %s | %s | %s | %s | %s |\n", m, r.value("AccessTokenWarm", m, "floor", "ns/op").ns(),
			r.value("AccessTokenWarm", m, "ours", "ns/op").ns(), r.value("AccessTokenWarm", m, "silenceper", "ns/op").ns(),
			r.ratio(ns("AccessTokenWarm", m, "ours"), ns("AccessTokenWarm", m, "floor")).x(),
			r.value("AccessTokenWarm", m, "ours", "allocs/op").count(), r.value("AccessTokenWarm", m, "silenceper", "allocs/op").count())
	}

	p("\n## Stampede (`BenchmarkStampede`, `TestStampede`)\n\n")
	p("1000 goroutines ask a cold cache at once; the fake token endpoint answers after 20 ms.\n\n")
	p("| sdk | upstream token requests per stampede | time per stampede |\n|---|---|---|\n")
	for _, sdk := range []string{"ours", "silenceper"} {
		p("| %s | %s | %s |\n", sdk, r.value("Stampede", "", sdk, "upstream/op").count(), r.value("Stampede", "", sdk, "ns/op").ns())
	}
	p("\nsilenceper's `cache.Memory` reads its map without the lock `Set` takes; under `-race` the\n")
	p("stampede reports a data race there, so its stampede is skipped in race builds.\n")

	conc := "?"
	if o.conc > 0 {
		conc = strconv.Itoa(o.conc)
	}
	p("\n## Over loopback HTTP (`BenchmarkLoopback`, concurrency %s)\n\n", conc)
	p("net/http server on 127.0.0.1, Go client with %s keep-alive connections on the same machine; the client\n", conc)
	p("and net/http share the cores with the handler, so HTTP bounds every ratio.\n\n")
	p("| case | req/s floor | ours | silenceper | silenceper-debug | ours/silenceper | p99 floor | ours | silenceper |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range []string{"verify", "plain", "safe"} {
		p("| %s", c)
		for _, sdk := range handlerSDKs {
			p(" | %s", r.value("Loopback", c, sdk, "req/s").count())
		}
		p(" | %s", r.ratio(key{"Loopback", c, "ours", "req/s"}, key{"Loopback", c, "silenceper", "req/s"}).x())
		for _, sdk := range []string{"floor", "ours", "silenceper"} {
			p(" | %s", r.value("Loopback", c, sdk, "p99-ns").ns())
		}
		p(" |\n")
	}

	if b := readFile(o.pprof); b != "" {
		p("\n## Profiles of ours (`go tool pprof -top`)\n\n```\n%s```\n", b)
	}
	if b := readFile(o.benchstat); b != "" {
		p("\n## benchstat (`-col /sdk`, base = first column; rounds as samples)\n\n```\n%s```\n", b)
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func readFile(name string) string {
	if name == "" {
		return ""
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	s := string(b)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}
