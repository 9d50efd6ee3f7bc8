#!/usr/bin/env bash
# Applies the pure renames of the naming rule (doc.go, "Naming"; CHANGELOG.md) to every module
# of the repository: the root package, offiaccounttest, redisstore, benchmarks, examples.
#
#   scripts/rename-api.sh          # rename, then build and vet every module
#   CHECK=0 scripts/rename-api.sh  # rename only
#   TEST=1 scripts/rename-api.sh   # also run every module's tests
#
# How: each identifier is found by its declaration at run time (grep over the package's
# non-test files, so files may have moved and other branches may have added code) and renamed
# with `gopls rename`, which rewrites every reference in every module through a temporary
# go.work (the repository's own go.work, if any, is not used or changed). Example functions
# named after a renamed identifier (ExampleClient_CallbackIPs) follow. Then the mentions gopls
# cannot see are fixed with word-boundary substitutions: Markdown files (CHANGELOG.md
# excepted, it lists the old names on purpose) and // comment lines of Go files. Names that are
# common words (New, Option, Message, Tag, …) are only rewritten where qualified
# (offiaccount.New(, offiaccounttest.Message) or as doc links inside their own package
# ([New], [Message]).
#
# Idempotent: an identifier already renamed (new name declared, old one not) is skipped, so the
# script can run again after a merge brings in more callers.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)

gopls_version=v0.21.0
GOPLS="${GOPLS:-}"
if [ -z "$GOPLS" ]; then
	GOPLS="$(go env GOPATH)/bin/gopls"
	if ! [ -x "$GOPLS" ]; then
		echo "installing gopls $gopls_version"
		go install "golang.org/x/tools/gopls@$gopls_version"
	fi
fi

# Renames: package directory, old name (Type.Method for a method), new name.
renames='
.               New                      NewClient
.               Option                   ClientOption
.               WithBaseURL              WithClientBaseURL
.               WithHTTPClient           WithClientHTTPClient
.               WithLegacyTokenEndpoint  WithClientLegacyTokenEndpoint
.               WithLogger               WithClientLogger
.               WithTokenRefreshMargin   WithClientTokenRefreshMargin
.               WithTokenSource          WithClientTokenSource
.               WithTokenStore           WithClientTokenStore
.               WithCrypter              WithHandlerCrypter
.               WithDedupeStore          WithHandlerDedupeStore
.               WithDedupeTTL            WithHandlerDedupeTTL
.               WithEncodingAESKey       WithHandlerEncodingAESKey
.               WithMaxBodyBytes         WithHandlerMaxBodyBytes
.               WithRetryTiming          WithHandlerRetryTiming
.               WithSafeModeOnly         WithHandlerSafeModeOnly
.               WithSourceIPFilter       WithHandlerSourceIPFilter
.               WithTimestampWindow      WithHandlerTimestampWindow
.               ForcePopup               WithAuthCodeForcePopup
.               MemoryStore              MemoryTokenStore
.               NewMemoryStore           NewMemoryTokenStore
.               Client.UserTags          ListUserTagIDs
.               Client.TagMembers        ListTagUsers
.               Client.APIQuota          GetAPIQuota
.               Client.CallbackIPs       GetCallbackIPs
.               Client.APIDomainIPs      GetAPIDomainIPs
.               Client.LookupRID         GetRID
offiaccounttest Option                   PlatformOption
offiaccounttest WithAccount              WithPlatformAccount
offiaccounttest WithNow                  WithPlatformNow
offiaccounttest WithPageSize             WithPlatformPageSize
offiaccounttest Message                  UserMessage
offiaccounttest Reply                    ReceivedReply
offiaccounttest Button                   ButtonRecord
offiaccounttest ConditionalMenu          ConditionalMenuRecord
offiaccounttest MatchRule                MatchRuleRecord
offiaccounttest QRCode                   QRCodeRecord
offiaccounttest Tag                      TagRecord
offiaccounttest Template                 TemplateRecord
offiaccounttest User                     UserRecord
'
# Old names that are ordinary words or used by other packages: rewritten in text only where
# qualified or as a doc link in their own package.
common=' New Option Message Reply Button ConditionalMenu MatchRule QRCode Tag Template User WithAccount WithNow WithPageSize '

# A temporary workspace with every module, so gopls renames their callers too.
tmp=$(mktemp -d)
daemon=""
cleanup() {
	if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
mods=()
while read -r m; do mods+=("$root/${m%/go.mod}"); done < <(find . -name go.mod -not -path './.git/*' -not -path '*/testdata/*' | sed 's|^\./||; s|^go.mod$|./go.mod|' | sort)
(cd "$tmp" && go work init "${mods[@]}")
export GOWORK="$tmp/go.work"
echo "workspace: ${mods[*]#"$root/"}"

# One gopls daemon for all renames: each rename then takes seconds instead of reloading the
# workspace (about 25 s on 2 cores). Without a daemon every call loads on its own.
remote=()
sock="$tmp/gopls.sock"
"$GOPLS" serve -listen="unix;$sock" -listen.timeout=10m >"$tmp/gopls.log" 2>&1 &
daemon=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
if [ -S "$sock" ]; then remote=(-remote="unix;$sock"); else echo "gopls daemon did not start; renaming without it"; fi

# declared DIR NAME prints file:line:col of NAME's declaration among DIR's non-test Go files.
# NAME is Type.Method for a method. Top-level func, type, var and const declarations, alone or
# in a parenthesised group, are found.
declared() {
	local dir=$1 name=$2 recv=""
	if [[ $name == *.* ]]; then recv=${name%%.*}; name=${name#*.}; fi
	local files=()
	while IFS= read -r f; do files+=("$f"); done < <(find "$dir" -maxdepth 1 -name '*.go' -not -name '*_test.go' | sort)
	[ ${#files[@]} -gt 0 ] || return 0
	awk -v name="$name" -v recv="$recv" '
		FNR == 1 { group = 0 }
		/^(type|const|var) \($/ { group = 1; next }
		group && /^\)/ { group = 0; next }
		group {
			if (recv == "" && match($0, "^\t" name "([ \t,=\\[]|$)")) print FILENAME ":" FNR ":2"
			next
		}
		recv == "" && match($0, "^func " name "[(\\[]") { print FILENAME ":" FNR ":6"; next }
		recv == "" && match($0, "^(type|var|const) " name "([ \t=\\[]|$)") { print FILENAME ":" FNR ":" (index($0, " ") + 1); next }
		recv != "" && match($0, "^func \\([A-Za-z_0-9]* *\\*?" recv "(\\[[^]]*\\])?\\) " name "[(\\[]") {
			print FILENAME ":" FNR ":" (index($0, ") " name) + 2)
		}
	' "${files[@]}"
}

renamed=0
skipped=0
while read -r dir old new; do
	[ -n "$dir" ] || continue
	recv=""
	if [[ $old == *.* ]]; then recv=${old%%.*}; fi
	newq=$new
	if [ -n "$recv" ]; then newq="$recv.$new"; fi
	pos=$(declared "$dir" "$old")
	if [ -z "$pos" ]; then
		if [ -n "$(declared "$dir" "$newq")" ]; then
			skipped=$((skipped + 1))
		else
			echo "warning: $dir: neither $old nor $new is declared; skipped"
		fi
		continue
	fi
	if [ "$(wc -l <<<"$pos")" -ne 1 ]; then
		echo "error: $dir: $old is declared more than once:"; echo "$pos"; exit 1
	fi
	if [ -n "$(declared "$dir" "$newq")" ]; then
		echo "error: $dir: both $old and $new are declared; resolve by hand"; exit 1
	fi
	printf '%-16s %-24s -> %s\n' "$dir" "$old" "$new"
	if ! "$GOPLS" "${remote[@]}" rename -w "$pos" "$new" 2>"$tmp/rename.err"; then
		cat "$tmp/rename.err"; echo "error: gopls rename $pos $new failed"; exit 1
	fi
	renamed=$((renamed + 1))
	# Example functions are named after what they show: ExampleNew, ExampleClient_APIQuota,
	# ExampleMemoryStore_Get; go vet insists the name refers to a real identifier.
	oldex=${old/./_}
	newex=$new
	if [ -n "$recv" ]; then newex="${recv}_$new"; fi
	find "$dir" -maxdepth 1 -name '*_test.go' -print0 |
		xargs -0 -r perl -pi -e "s/\\bExample${oldex}(?=\\(|_)/Example${newex}/g"
done <<<"$renames"

# Text gopls does not touch. Markdown: every line. Go: comments (whole-line and trailing) and
# "string literals" (error texts and hints name identifiers: "offiaccount: New: …").
subst=""
errsubst=""
while read -r dir old new; do
	[ -n "$dir" ] || continue
	name=${old#*.}
	pkg=offiaccount
	if [ "$dir" = offiaccounttest ]; then pkg=offiaccounttest; fi
	errsubst+="s/\"${pkg}: ${name}: /\"${pkg}: ${new}: /g;"
	if [[ $common == *" $name "* ]]; then
		# qualified (offiaccount.New( keeps its parenthesis so offiaccount.NewHandler is safe)
		if [ "$name" = New ]; then
			subst+="s/\\b${pkg}\\.New\\(/${pkg}.${new}(/g;"
		else
			subst+="s/\\b${pkg}\\.${name}\\b/${pkg}.${new}/g;"
		fi
		# doc links in the package's own Go files
		if [ "$dir" = . ]; then own='^(\./)?[^/]+\.go$'; else own="^(\\./)?${dir}/[^/]+\\.go\$"; fi
		subst+="s/\\[${name}\\]/[${new}]/g if \$ARGV =~ m{${own}};"
	elif [ "$name" = WithLogger ]; then
		# redisstore has its own WithLogger, which keeps its name
		subst+="s/(?<!redisstore\\.)\\bWithLogger\\b/${new}/g unless \$ARGV =~ m{(^|/)redisstore/};"
	else
		subst+="s/\\b${name}\\b/${new}/g;"
	fi
done <<<"$renames"

cat >"$tmp/text.pl" <<PERL
# Markdown: the whole line.
if (\$ARGV =~ /\\.md\$/) { $subst; next LINE }
# Go: the comment part of the line, found outside string literals.
my \$at = -1;
if (m{^\\s*//}) { \$at = 0 }
elsif (m{\\s//}g) {
	\$at = pos() - 2;
	my \$before = substr(\$_, 0, \$at);
	\$at = -1 if ((\$before =~ tr/"//) % 2) || \$before =~ /\`/;
}
my \$head = \$at >= 0 ? substr(\$_, 0, \$at) : \$_;
my \$tail = \$at >= 0 ? substr(\$_, \$at) : "";
# Go: string literals in the code part (error texts and hints name options).
\$head =~ s{("(?:[^"\\\\]|\\\\.)*")}{ local \$_ = \$1; $subst; $errsubst; \$_ }ge;
{ local \$_ = \$tail; $subst; $errsubst; \$tail = \$_; }
\$_ = \$head . \$tail;
PERL

while IFS= read -r f; do
	perl -pi "$tmp/text.pl" "$f"
done < <(find . \( -name '*.md' -not -name CHANGELOG.md -o -name '*.go' \) -not -path './.git/*' | sort)

gofmt -l . | while read -r f; do gofmt -w "$f"; done
# Longer names shift the comments aligned in README's Go blocks: gofmt them too.
if [ -d scripts/readme-check ]; then GOWORK=off go run ./scripts/readme-check -fmt; fi
echo "renamed $renamed identifiers, $skipped already renamed, in $(($(date +%s) - start)) s"

# Option functions whose name does not say the type they configure (added by later work).
find . -name '*.go' -not -name '*_test.go' -not -path './.git/*' -not -path './redisstore/*' -print0 |
	xargs -0 grep -n -E '^func With[A-Za-z0-9]*\(.*\) \*?[A-Z][A-Za-z0-9]*Option \{' |
	perl -ne 'if (/func With(\w+)\(.*\) \*?(\w+)Option \{/ && index($1, $2) != 0) { print "note: option name does not start with With$2: $_" }' || true

if [ "${CHECK:-1}" != 0 ]; then
	for m in "${mods[@]}"; do
		echo "== build and vet ${m#"$root"/}"
		(cd "$m" && GOWORK=off go build ./... && GOWORK=off go vet ./...)
		if [ "${TEST:-0}" = 1 ]; then (cd "$m" && GOWORK=off go test -count=1 ./...); fi
	done
	if [ -d scripts/readme-check ]; then GOWORK=off go run ./scripts/readme-check; fi
	echo "all modules build and vet in $(($(date +%s) - start)) s"
fi
