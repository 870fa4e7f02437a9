package diffview

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// minShared is the share of a changed pair's bytes that must be unchanged
// for word highlights to be worth showing: below it the two lines are
// simply different and highlighting nearly everything is noise.
const minShared = 0.3

// maxWordDiffBytes caps the line length for word diffs so one giant line
// cannot stall a render.
const maxWordDiffBytes = 16 << 10

// wordSpans diffs two lines word by word (words, runs of spaces and single
// punctuation characters are the tokens), cleans the result up semantically
// and returns the changed byte ranges of each line.
func wordSpans(a, b string) (oldSpans, newSpans []Span) {
	if a == b || len(a)+len(b) > maxWordDiffBytes {
		return nil, nil
	}
	ta, tb := tokenize(a), tokenize(b)
	ids := make(map[string]rune, len(ta)+len(tb))
	next := rune(0xE000) // private use area: never a surrogate
	encode := func(toks []string) []rune {
		out := make([]rune, len(toks))
		for i, t := range toks {
			id, ok := ids[t]
			if !ok {
				id = next
				next++
				if next == 0xF900 {
					next = 0xF0000 // supplementary private use area
				}
				ids[t] = id
			}
			out[i] = id
		}
		return out
	}
	ra, rb := encode(ta), encode(tb)
	dmp := diffmatchpatch.New()
	diffs := dmp.DiffCleanupSemantic(dmp.DiffMainRunes(ra, rb, false))

	shared := 0
	ia, ib := 0, 0 // token indexes
	pa, pb := 0, 0 // byte offsets
	for _, df := range diffs {
		n := utf8.RuneCountInString(df.Text)
		switch df.Type {
		case diffmatchpatch.DiffEqual:
			for k := 0; k < n; k++ {
				if strings.TrimSpace(ta[ia]) != "" {
					shared += len(ta[ia])
				}
				pa += len(ta[ia])
				pb += len(tb[ib])
				ia++
				ib++
			}
		case diffmatchpatch.DiffDelete:
			start := pa
			for k := 0; k < n; k++ {
				pa += len(ta[ia])
				ia++
			}
			oldSpans = addSpan(oldSpans, Span{start, pa}, a)
		case diffmatchpatch.DiffInsert:
			start := pb
			for k := 0; k < n; k++ {
				pb += len(tb[ib])
				ib++
			}
			newSpans = addSpan(newSpans, Span{start, pb}, b)
		}
	}
	if float64(shared) < minShared*float64(max(len(strings.TrimSpace(a)), len(strings.TrimSpace(b)))) {
		return nil, nil
	}
	return oldSpans, newSpans
}

// addSpan appends s, merging it with the previous span when only spaces
// separate them so "a b" changing to "c d" highlights one run.
func addSpan(spans []Span, s Span, line string) []Span {
	if s.End <= s.Start {
		return spans
	}
	if n := len(spans); n > 0 && strings.TrimSpace(line[spans[n-1].End:s.Start]) == "" {
		spans[n-1].End = s.End
		return spans
	}
	return append(spans, s)
}

// tokenize splits s into words (letters, digits, underscore), runs of
// whitespace, and single other grapheme clusters (punctuation, emoji,
// ideographs). Tokens never split a grapheme cluster, so a highlight can
// never cut an emoji sequence or a combining mark in two. Concatenating the
// tokens gives s.
func tokenize(s string) []string {
	var toks []string
	class := func(r rune) int {
		switch {
		case r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			// CJK has no spaces between words: treat each ideograph as a word.
			if r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)) {
				return 3
			}
			return 1
		case unicode.IsSpace(r):
			return 2
		default:
			return 3 // punctuation, symbols, emoji: one token each
		}
	}
	start, prev := 0, -1
	for i := 0; i < len(s); {
		var n int
		var r rune
		if s[i] < utf8.RuneSelf && (i+1 == len(s) || s[i+1] < utf8.RuneSelf) {
			n, r = 1, rune(s[i]) // ASCII followed by ASCII: a cluster of one byte
		} else {
			g, _ := ansi.FirstGraphemeCluster(s[i:], ansi.GraphemeWidth)
			n = max(len(g), 1)
			r, _ = utf8.DecodeRuneInString(g)
		}
		c := class(r)
		if i > start && (c != prev || c == 3) {
			toks = append(toks, s[start:i])
			start = i
		}
		prev = c
		i += n
	}
	if start < len(s) {
		toks = append(toks, s[start:])
	}
	return toks
}
