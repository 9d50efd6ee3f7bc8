package offiaccount

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules of subscribe-notification values. WeChat names each key of a template by the
// kind of its value followed by a number ("thing1", "character_string3") and refuses a
// value that breaks the kind's rule with 47003. Lengths count characters, not bytes.

// subscribeRule checks a value of one kind; it returns the rule broken, or "".
type subscribeRule func(v string, n int) string

var subscribeRules = map[string]subscribeRule{
	// thing: up to 20 characters; Chinese, digits, letters and symbols.
	"thing": func(_ string, n int) string { return maxChars(n, 20) },
	// number: up to 32 digits, with an optional decimal part.
	"number": func(v string, n int) string {
		if !numberValue.MatchString(v) {
			return "digits only, with an optional decimal part"
		}
		return maxChars(n, 32)
	},
	// letter: up to 32 letters.
	"letter": func(v string, n int) string {
		if !onlyRunes(v, isASCIILetter) {
			return "letters only"
		}
		return maxChars(n, 32)
	},
	// symbol: up to 5 common symbols, not Chinese, letters or digits.
	"symbol": func(v string, n int) string {
		if !onlyRunes(v, isSymbol) {
			return "symbols only, no Chinese, letters or digits"
		}
		return maxChars(n, 5)
	},
	// character_string: up to 32 digits, letters and symbols.
	"character_string": func(v string, n int) string {
		if !onlyRunes(v, func(r rune) bool { return r < utf8.RuneSelf || isSymbol(r) }) {
			return "digits, letters and symbols only, no Chinese"
		}
		return maxChars(n, 32)
	},
	// time: a 24-hour time, optionally after a date, or two of them joined by "~". A date
	// alone passes too: bizsend's own example sends "2019年8月8日" as a time.
	"time": func(v string, _ int) string {
		if !eachOfRange(v, func(p string) bool { return clockTime.MatchString(p) || dateTimeValue(p) }) {
			return `a 24-hour time like "15:01" or "2019年10月1日 15:01", or two joined by "~"`
		}
		return ""
	},
	// date: a date, optionally with a 24-hour time, or two of them joined by "~".
	"date": func(v string, _ int) string {
		if !eachOfRange(v, dateTimeValue) {
			return `a date like "2019年10月1日", "2019-10-01" or "10月1日", optionally with a time, or two joined by "~"`
		}
		return ""
	},
	// amount: an optional currency symbol, up to 10 digits, decimals, an optional "元".
	"amount": func(v string, _ int) string {
		if !amountValue.MatchString(v) {
			return `an optional currency symbol, up to 10 digits with optional decimals, and an optional "元", like "¥100.50"`
		}
		return ""
	},
	// phone_number: up to 17 digits and symbols, like "+86-0766-66888866".
	"phone_number": func(v string, n int) string {
		if !onlyRunes(v, func(r rune) bool { return isDigit(r) || isSymbol(r) }) {
			return "digits and symbols only"
		}
		return maxChars(n, 17)
	},
	// car_number: up to 8 characters: letters and digits, Chinese only first and last.
	"car_number": func(v string, n int) string {
		if r := maxChars(n, 8); r != "" {
			return r
		}
		rs := []rune(v)
		for i, r := range rs {
			ok := isASCIILetter(r) || isDigit(r) || ((i == 0 || i == len(rs)-1) && unicode.Is(unicode.Han, r))
			if !ok {
				return "letters and digits, with a Chinese character only first or last, like \"粤A8Z888挂\""
			}
		}
		return ""
	},
	// name: up to 10 Chinese characters, or up to 20 letters and symbols; a mix counts as
	// Chinese.
	"name": func(v string, n int) string {
		if !onlyRunes(v, func(r rune) bool { return unicode.Is(unicode.Han, r) || isASCIILetter(r) || isSymbol(r) || r == ' ' }) {
			return "Chinese characters, letters and symbols only"
		}
		if strings.IndexFunc(v, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
			return maxChars(n, 10)
		}
		return maxChars(n, 20)
	},
	// phrase: up to 5 Chinese characters.
	"phrase": func(v string, n int) string {
		if !onlyRunes(v, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			return "Chinese characters only"
		}
		return maxChars(n, 5)
	},
}

var (
	subscribeKey = regexp.MustCompile(`^([a-z_]+?)(\d+)$`)
	numberValue  = regexp.MustCompile(`^\d+(\.\d+)?$`)
	amountValue  = regexp.MustCompile(`^\p{Sc}?\d{1,10}(\.\d{1,10})?元?$`)
	clockTime    = regexp.MustCompile(`^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$`)
)

// SubscribeValueKind returns the kind of the data key key ("thing" for "thing1",
// "character_string" for "character_string12"), or "" when the key has no number.
func SubscribeValueKind(key string) string {
	m := subscribeKey.FindStringSubmatch(key)
	if m == nil {
		return ""
	}
	return m[1]
}

// ValidateSubscribeValue checks value against the rule of its key's kind (thing, number,
// letter, symbol, character_string, time, date, amount, phone_number, car_number, name,
// phrase), as WeChat's table states it. Every value must be non-empty UTF-8 without control
// characters; a key of a kind this package does not know gets only that check. The error
// matches ErrInvalidRequest and names the key, the kind and the rule.
func ValidateSubscribeValue(key, value string) error {
	kind := SubscribeValueKind(key)
	fail := func(rule string) error {
		if kind == "" {
			return invalidf(pathSubscribeSend, "data %q: %s", key, rule)
		}
		return invalidf(pathSubscribeSend, "data %q (kind %s): %s", key, kind, rule)
	}
	switch {
	case key == "":
		return invalidf(pathSubscribeSend, "data has an empty key")
	case value == "":
		return fail("empty value")
	case !utf8.ValidString(value):
		return fail("value is not valid UTF-8")
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		return fail("value holds a control character such as a line break")
	}
	rule, ok := subscribeRules[kind]
	if !ok {
		return nil
	}
	if broken := rule(value, utf8.RuneCountInString(value)); broken != "" {
		return fail(broken)
	}
	return nil
}

func maxChars(n, limit int) string {
	if n > limit {
		return "at most " + strconv.Itoa(limit) + " characters, got " + strconv.Itoa(n)
	}
	return ""
}

func onlyRunes(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

func isDigit(r rune) bool       { return r >= '0' && r <= '9' }
func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isSymbol: a printable character that is not a letter, a digit or Chinese (WeChat's
// "除中文、英文、数字外的常见符号").
func isSymbol(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsControl(r) && unicode.IsPrint(r)
}

// eachOfRange applies ok to v, or to both ends of a range "a~b".
func eachOfRange(v string, ok func(string) bool) bool {
	parts := strings.Split(v, "~")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if !ok(strings.TrimSpace(p)) {
			return false
		}
	}
	return true
}

// datePatterns are the date forms of WeChat's table: 年月日, 年月, 月日, and the same joined
// by '-', '/' or '.'. Groups are year, month, day; a missing part is "".
var datePatterns = []*regexp.Regexp{
	regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})日`),
	regexp.MustCompile(`^(\d{4})年(\d{1,2})月()`),
	regexp.MustCompile(`^()(\d{1,2})月(\d{1,2})日`),
	regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})`),
	regexp.MustCompile(`^(\d{4})/(\d{1,2})/(\d{1,2})`),
	regexp.MustCompile(`^(\d{4})\.(\d{1,2})\.(\d{1,2})`),
	regexp.MustCompile(`^(\d{4})-(\d{1,2})()`),
	regexp.MustCompile(`^()(\d{1,2})-(\d{1,2})`),
	regexp.MustCompile(`^(\d{4})/(\d{1,2})()`),
	regexp.MustCompile(`^()(\d{1,2})/(\d{1,2})`),
}

// dateTimeValue reports whether s is a date with an optional 24-hour time.
func dateTimeValue(s string) bool {
	for _, re := range datePatterns {
		m := re.FindStringSubmatch(s)
		if m == nil || !validMonthDay(m[2], m[3]) {
			continue
		}
		rest := s[len(m[0]):]
		if rest == "" {
			return true
		}
		trimmed := strings.TrimLeft(rest, " ")
		if len(trimmed) == len(rest) && !strings.HasSuffix(m[0], "日") {
			continue // a numeric date needs a space before its time
		}
		if clockTime.MatchString(trimmed) {
			return true
		}
	}
	return false
}

func validMonthDay(month, day string) bool {
	if mo, _ := strconv.Atoi(month); mo < 1 || mo > 12 {
		return false
	}
	if day == "" {
		return true
	}
	d, _ := strconv.Atoi(day)
	return d >= 1 && d <= 31
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
