// Command readme-check builds and vets every ```go block of README.md, so that the README's
// code stays code. Run it from the repository root (CI does, in .ci/run):
//
//	go run ./scripts/readme-check            # README.md
//	go run ./scripts/readme-check -v -root . FILE.md
//	go run ./scripts/readme-check -fmt       # gofmt the blocks in place
//
// Each block becomes a package main of its own, in a scratch module that uses this checkout
// of offiaccount and redisstore. A block that parses as declarations (types, funcs) is kept
// as it is; any other block is a fragment and becomes the body of func main. Blocks may use,
// without declaring them, the stub variables of [stubs] (ctx, client, h, mux, token, appID,
// …). The imports are added from the package names the block uses (see [knownImports]). In a
// fragment, a variable declared at the top level may be left unused, as a reader would go on
// to use it; nested ones may not.
//
// The HTML comment on the line right before the opening fence adjusts one block:
//
//	<!-- go-check: func welcome(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) -->
//	    Go declarations the block needs (stub functions, variables, types); a func without a
//	    body gets one that panics. Several may be separated by ";" or newlines.
//	<!-- go-check main -->
//	    a complete program body: it is checked as written, unused variables included.
//	<!-- go-check skip: why -->
//	    not checked (say why).
//
// Errors are reported as FILE.md:LINE, the line in the Markdown file.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// knownImports maps the package names README blocks use to their import paths.
var knownImports = map[string]string{
	"offiaccount":     "github.com/wxgo/offiaccount",
	"offiaccounttest": "github.com/wxgo/offiaccount/offiaccounttest",
	"component":       "github.com/wxgo/offiaccount/component",
	"storetest":       "github.com/wxgo/offiaccount/storetest",
	"redisstore":      "github.com/wxgo/offiaccount/redisstore",
	"redis":           "github.com/redis/go-redis/v9",
	"bytes":           "bytes",
	"context":         "context",
	"errors":          "errors",
	"fmt":             "fmt",
	"io":              "io",
	"json":            "encoding/json",
	"log":             "log",
	"netip":           "net/netip",
	"http":            "net/http",
	"httptest":        "net/http/httptest",
	"os":              "os",
	"slog":            "log/slog",
	"strconv":         "strconv",
	"strings":         "strings",
	"testing":         "testing",
	"time":            "time",
	"url":             "net/url",
}

// stubs are the variables every block may use without declaring them; a block or its
// go-check comment may declare one of these names itself.
var stubs = [][2]string{
	{"ctx", "= context.Background()"},
	{"err", "error"},
	{"client", "*offiaccount.Client"},
	{"h", "*offiaccount.Handler"},
	{"mux", "= http.NewServeMux()"},
	{"p", "*offiaccounttest.Platform"},
	{"appID", "string"},
	{"appSecret", "string"},
	{"token", "string"},
	{"encodingAESKey", "string"},
	{"openID", "string"},
	{"openIDs", "[]string"},
	{"w", "http.ResponseWriter"},
	{"r", "*http.Request"},
}

type block struct {
	line     int    // of the opening fence
	code     string // between the fences
	preamble string // Go declarations from the go-check comment
	main     bool   // checked as written, no unused variables allowed
	skip     string // reason, when not checked
}

var checkComment = regexp.MustCompile(`(?s)<!--\s*go-check(\s+main|\s+skip:?(.*?)|:(.*?))\s*-->\s*$`)

func main() {
	verbose := flag.Bool("v", false, "print the generated sources of failing blocks")
	root := flag.String("root", "", "the repository root (default: the Markdown file's directory)")
	fix := flag.Bool("fmt", false, "gofmt the go blocks in place (after a rename, say) instead of checking them")
	flag.Parse()
	file := "README.md"
	if flag.NArg() > 0 {
		file = flag.Arg(0)
	}
	if *root == "" {
		*root = filepath.Dir(file)
	}
	if *fix {
		if err := formatBlocks(file); err != nil {
			fmt.Fprintln(os.Stderr, "readme-check:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(file, *root, *verbose, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "readme-check:", err)
		os.Exit(1)
	}
}

func run(file, root string, verbose bool, stderr io.Writer) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	blocks, err := extract(string(src))
	if err != nil {
		return fmt.Errorf("%s:%w", file, err)
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "readme-check")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeModule(dir, root); err != nil {
		return err
	}
	blockOf := map[string]block{} // package dir -> block
	lineOf := map[string]int{}    // package dir -> generated line of the block's first line
	checked, skipped := 0, 0
	for _, b := range blocks {
		if b.skip != "" {
			skipped++
			continue
		}
		name := fmt.Sprintf("b%04d", b.line)
		gen, first := generate(b)
		pkg := filepath.Join(dir, name)
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(pkg, "block.go"), []byte(gen), 0o644); err != nil {
			return err
		}
		stubSrc, err := stubFile(gen)
		if err != nil {
			stubSrc, _ = stubFile("package main\n") // the block's syntax error is reported by the build
		}
		if err := os.WriteFile(filepath.Join(pkg, "stubs.go"), []byte(stubSrc), 0o644); err != nil {
			return err
		}
		blockOf[name], lineOf[name] = b, first
		checked++
	}
	if checked == 0 {
		return fmt.Errorf("%s: no go blocks found", file)
	}
	var failures []string
	for _, step := range [][]string{{"build", "-o", os.DevNull, "./..."}, {"vet", "./..."}} {
		out, err := goCmd(dir, step...)
		if err == nil {
			continue
		}
		failures = append(failures, mapErrors(out, file, blockOf, lineOf)...)
		if len(failures) == 0 {
			return fmt.Errorf("go %s: %v\n%s", step[0], err, out)
		}
		break // vet repeats what build found
	}
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Fprintln(stderr, f)
		}
		if verbose {
			for name := range blockOf {
				gen, _ := os.ReadFile(filepath.Join(dir, name, "block.go"))
				fmt.Fprintf(stderr, "--- %s (README line %d)\n%s\n", name, blockOf[name].line, gen)
			}
		}
		return fmt.Errorf("%d problem(s) in the go blocks of %s; a block's missing names go in a "+
			"<!-- go-check: … --> comment right before it (README, Contributing)", len(failures), file)
	}
	fmt.Printf("readme-check: %d go blocks of %s build and vet (%d skipped)\n", checked, file, skipped)
	return nil
}

// extract returns the ```go blocks of a Markdown text with their go-check comments.
func extract(md string) ([]block, error) {
	lines := strings.Split(md, "\n")
	var blocks []block
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		lang := strings.TrimSpace(strings.TrimPrefix(fence, "```"))
		start := i
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%d: code block not closed", start+1)
		}
		if lang != "go" {
			continue
		}
		b := block{line: start + 1, code: strings.Join(lines[start+1:i], "\n")}
		if err := b.readComment(lines[:start]); err != nil {
			return nil, fmt.Errorf("%d: %v", start+1, err)
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// readComment reads a go-check comment that ends on the line right before the fence.
func (b *block) readComment(before []string) error {
	if len(before) == 0 || !strings.HasSuffix(strings.TrimSpace(before[len(before)-1]), "-->") {
		return nil
	}
	from := len(before) - 1
	for from > 0 && !strings.Contains(before[from], "<!--") {
		from--
	}
	text := strings.Join(before[from:], "\n")
	m := checkComment.FindStringSubmatch(text)
	if m == nil {
		if strings.Contains(text, "go-check") {
			return fmt.Errorf("malformed go-check comment: %s", text)
		}
		return nil
	}
	switch {
	case strings.TrimSpace(m[1]) == "main":
		b.main = true
	case strings.HasPrefix(strings.TrimSpace(m[1]), "skip"):
		b.skip = strings.TrimSpace(m[2])
		if b.skip == "" {
			return fmt.Errorf("go-check skip needs a reason")
		}
	default:
		b.preamble = strings.TrimSpace(m[3])
	}
	return nil
}

// generate returns the source of the block's package main and the generated line where the
// block's first line is.
func generate(b block) (string, int) {
	preamble := stubBodies(b.preamble)
	fset := token.NewFileSet()
	asDecls := "package main\n\n" + preamble + "\n\n" + b.code + "\n"
	var body string
	var first int
	if f, err := parser.ParseFile(fset, "", asDecls, parser.SkipObjectResolution); err == nil && len(f.Decls) > 0 && !b.main {
		body, first = asDecls, strings.Count("package main\n\n"+preamble+"\n\n", "\n")+1
		if !hasMain(f) {
			body += "\nfunc main() {}\n"
		}
	} else {
		head := "package main\n\n" + preamble + "\n\nfunc main() {\n"
		body, first = head+b.code+"\n}\n", strings.Count(head, "\n")+1
		if !b.main {
			if kept, err := keepUnused(body); err == nil {
				body = kept
			}
		}
	}
	if withImports, err := addImports(body); err == nil {
		body = withImports
	} // else the build reports the syntax error, at its line
	return body, first
}

// stubFile declares the stubs the generated block does not declare at package level.
func stubFile(block string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "block.go", block, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				declared[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.ValueSpec:
					for _, id := range sp.Names {
						declared[id.Name] = true
					}
				case *ast.TypeSpec:
					declared[sp.Name.Name] = true
				}
			}
		}
	}
	src := "package main\n\n"
	for _, st := range stubs {
		if !declared[st[0]] {
			src += "var " + st[0] + " " + st[1] + "\n"
		}
	}
	return addImports(src)
}

// stubBodies gives a body to each func declared without one.
func stubBodies(preamble string) string {
	var out []string
	for _, d := range strings.FieldsFunc(preamble, func(r rune) bool { return r == ';' || r == '\n' }) {
		d = strings.TrimSpace(d)
		if strings.HasPrefix(d, "func ") && !strings.HasSuffix(d, "}") {
			d += ` { panic("stub") }`
		}
		out = append(out, d)
	}
	return strings.Join(out, "\n")
}

func hasMain(f *ast.File) bool {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			return true
		}
	}
	return false
}

// keepUnused adds "; _ = v" after each top-level statement of main that declares v, on the
// same line, so the line numbers stay.
func keepUnused(src string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "block.go", src, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	type insert struct {
		at   int
		text string
	}
	var inserts []insert
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "main" || fd.Body == nil {
			continue
		}
		for _, st := range fd.Body.List {
			var names []string
			switch s := st.(type) {
			case *ast.AssignStmt:
				if s.Tok == token.DEFINE {
					for _, e := range s.Lhs {
						if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
							names = append(names, id.Name)
						}
					}
				}
			case *ast.DeclStmt:
				if gd, ok := s.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
					for _, sp := range gd.Specs {
						for _, id := range sp.(*ast.ValueSpec).Names {
							if id.Name != "_" {
								names = append(names, id.Name)
							}
						}
					}
				}
			}
			if len(names) > 0 {
				text := "; " + strings.Join(blanks(len(names)), ", ") + " = " + strings.Join(names, ", ")
				inserts = append(inserts, insert{fset.Position(st.End()).Offset, text})
			}
		}
	}
	sort.Slice(inserts, func(i, j int) bool { return inserts[i].at > inserts[j].at })
	for _, in := range inserts {
		src = src[:in.at] + in.text + src[in.at:]
	}
	return src, nil
}

func blanks(n int) []string {
	b := make([]string, n)
	for i := range b {
		b[i] = "_"
	}
	return b
}

// addImports inserts an import of every known package the source names and does not declare.
func addImports(src string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "block.go", src, 0)
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, id := range f.Unresolved {
		if _, ok := knownImports[id.Name]; ok {
			used[id.Name] = true
		}
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	var imports strings.Builder
	for _, n := range names {
		fmt.Fprintf(&imports, "import %q; ", knownImports[n])
	}
	// On the package line, so that no line number moves.
	return strings.Replace(src, "package main\n", "package main; "+imports.String()+"\n", 1), nil
}

func writeModule(dir, root string) error {
	gomod := fmt.Sprintf(`module readmecheck

go 1.22

require (
	github.com/wxgo/offiaccount v0.0.0
	github.com/wxgo/offiaccount/redisstore v0.0.0
)

replace (
	github.com/wxgo/offiaccount => %q
	github.com/wxgo/offiaccount/redisstore => %q
)
`, root, filepath.Join(root, "redisstore"))
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	var sum bytes.Buffer
	for _, f := range []string{filepath.Join(root, "go.sum"), filepath.Join(root, "redisstore", "go.sum")} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		sum.Write(b)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum.Bytes(), 0o644); err != nil {
		return err
	}
	if out, err := goCmd(dir, "mod", "tidy"); err != nil {
		return fmt.Errorf("go mod tidy in the scratch module: %v\n%s", err, out)
	}
	return nil
}

func goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var errLine = regexp.MustCompile(`(?m)^(?:vet: )?\.?/?(b\d{4})/block\.go:(\d+)(?::(\d+))?:\s*(.*)$`)

// mapErrors turns the compiler's and vet's positions in generated files into lines of the
// Markdown file.
func mapErrors(out, file string, blocks map[string]block, first map[string]int) []string {
	var res []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := errLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		b, ok := blocks[m[1]]
		if !ok {
			continue
		}
		var gen int
		fmt.Sscan(m[2], &gen)
		line := b.line + 1 + gen - first[m[1]]
		msg := fmt.Sprintf("%s:%d: %s (go block at line %d)", file, line, m[4], b.line)
		if !seen[msg] {
			seen[msg] = true
			res = append(res, msg)
		}
	}
	return res
}

// formatBlocks rewrites each go block of the file as gofmt would format it. Blocks that do not
// parse are left alone.
func formatBlocks(file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	blocks, err := extract(string(src))
	if err != nil {
		return fmt.Errorf("%s:%w", file, err)
	}
	lines := strings.Split(string(src), "\n")
	changed := 0
	for i := len(blocks) - 1; i >= 0; i-- { // from the end, so earlier line numbers hold
		b := blocks[i]
		out, err := format.Source([]byte(b.code))
		if err != nil || string(out) == b.code {
			continue
		}
		n := strings.Count(b.code, "\n") + 1
		repl := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		lines = append(lines[:b.line], append(repl, lines[b.line+n:]...)...)
		changed++
	}
	if changed == 0 {
		return nil
	}
	fmt.Printf("readme-check: formatted %d go block(s) of %s\n", changed, file)
	return os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644)
}
