package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtract(t *testing.T) {
	md := "# T\n\n```sh\nls\n```\n<!-- go-check: var x int -->\n```go\nfmt.Println(x)\n```\n\n" +
		"<!-- go-check main -->\n```go\nlog.Print(1)\n```\n<!-- go-check skip: pseudo-code -->\n```go\n…\n```\n"
	blocks, err := extract(md)
	require.NoError(t, err)
	require.Len(t, blocks, 3)
	assert.Equal(t, block{line: 7, code: "fmt.Println(x)", preamble: "var x int"}, blocks[0])
	assert.Equal(t, block{line: 12, code: "log.Print(1)", main: true}, blocks[1])
	assert.Equal(t, "pseudo-code", blocks[2].skip)

	_, err = extract("```go\nx := 1\n")
	assert.ErrorContains(t, err, "not closed")
	_, err = extract("<!-- go-check skip -->\n```go\nx\n```\n")
	assert.ErrorContains(t, err, "reason")
}

// A broken block is reported at its line in the Markdown file; fragments may leave top-level
// variables unused, a main block may not.
func TestRunReportsMarkdownLines(t *testing.T) {
	if os.Getenv("OFFIACCOUNT_LONG") != "1" {
		t.Skip("builds a scratch module (about 20 s): set OFFIACCOUNT_LONG=1")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	md := strings.Join([]string{
		"# Example",              // 1
		"```go",                  // 2
		"n := len(openIDs)",      // 3: unused, but a fragment
		"fmt.Println(ctx)",       // 4
		"```",                    // 5
		"<!-- go-check main -->", // 6
		"```go",                  // 7
		"x := 1",                 // 8: unused in a program
		"```",                    // 9
		"```go",                  // 10
		"undefinedThing()",       // 11
		"```",                    // 12
		"",
	}, "\n")
	file := filepath.Join(t.TempDir(), "R.md")
	require.NoError(t, os.WriteFile(file, []byte(md), 0o644))
	var stderr bytes.Buffer
	err = run(file, root, false, &stderr)
	require.Error(t, err)
	out := stderr.String()
	assert.Contains(t, out, "R.md:8: declared and not used: x")
	assert.Contains(t, out, "R.md:11: undefined: undefinedThing")
	assert.NotContains(t, out, "R.md:3:")

	good := filepath.Join(t.TempDir(), "G.md")
	require.NoError(t, os.WriteFile(good, []byte(strings.Join(strings.Split(md, "\n")[:5], "\n")+"\n"), 0o644))
	stderr.Reset()
	require.NoError(t, run(good, root, false, &stderr), stderr.String())
}

// FuzzExtract: any Markdown gives blocks or an error, never a panic, and each block's code is
// the text right after its opening fence.
func FuzzExtract(f *testing.F) {
	f.Add("<!-- go-check: var x int -->\n```go\nfmt.Println(x)\n```\n")
	f.Add("<!--\ngo-check main\n-->\n``` go\nx := 1\n```\n```sh\nls\n```")
	f.Add("<!-- go-check skip -->\n```go\n```")
	f.Fuzz(func(t *testing.T, md string) {
		blocks, err := extract(md)
		if err != nil {
			return
		}
		lines := strings.Split(md, "\n")
		for _, b := range blocks {
			require.Less(t, b.line, len(lines))
			require.True(t, strings.HasPrefix(strings.TrimSpace(lines[b.line-1]), "```"), "line %d is a fence", b.line)
			require.True(t, strings.HasPrefix(strings.Join(lines[b.line:], "\n"), b.code))
		}
	})
}
