package modelserver

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// The brain: a small rule-based responder. It reads the rendered messages,
// finds the task (grading, JSON extraction, SQL, classification, summary,
// release notes, a reply or an email) and the explicit instructions it
// recognises (only the label, no prose, under N words, bullet points, an
// apology, a sign-off...), and obeys them. Without an instruction it behaves
// like a chatty model: a preamble, JSON wrapped in prose, answers too long.
// That is what lets improved prompt versions pass more test cases than old
// ones. "demo-large" recognises more phrasings than "demo-small" and handles
// negation, so the two models differ a little, as real ones do.

// Message is one chat message given to the brain.
type Message struct {
	Role    string
	Content string
}

// Input is what the brain answers: the request's model, messages and the
// parameters that change a reply.
type Input struct {
	Model       string
	Messages    []Message
	JSON        bool            // response_format json_object or json_schema
	Schema      json.RawMessage // response_format's JSON schema, if any
	Temperature float64
	Seed        int64
}

// Reply is the brain's deterministic answer to in.
func Reply(in Input) string {
	t := newTask(in)
	switch {
	case t.isComparer():
		return t.choose()
	case t.isGrader():
		return t.grade()
	case t.isQA():
		return t.qa()
	case t.in.JSON || t.has("json"):
		return t.jsonReply()
	case t.has("sql"):
		return t.sqlReply()
	}
	if labels := t.labels(); len(labels) > 0 {
		return t.classify(labels)
	}
	switch {
	case t.has("toxic", "offensive", "abusive"):
		return t.toxicVerdict()
	case t.has("sentiment"):
		return t.classify([]string{"positive", "negative", "neutral"})
	case t.has("release notes", "changelog"):
		return t.releaseNotes()
	case t.has("summar", "tl;dr", "tldr"):
		return t.summary()
	case t.has("email", "reply", "respond to", "response to", "support agent", "customer"):
		return t.compose()
	}
	return t.generic()
}

// task is one request, pre-digested.
type task struct {
	in     Input
	large  bool
	sys    string // system messages
	ins    string // instructions, lower case (system + the instruction part of the user message)
	insRaw string // instructions as written
	input  string // the text to work on (the user's input)
	h      uint64 // request hash: picks among equivalent phrasings
}

// inputMarker finds where the input starts in a user message that holds both
// instructions and input ("Review: ...", "Ticket:\n...").
var inputMarker = regexp.MustCompile(`(?im)^[ \t#*]*(review|ticket|text|input|message|customer message|customer email|invoice|question|changes|commits|commit log|email|comment|content|document|conversation|transcript|customer|pull requests|notes|post|user message|details)[ \t]*:[ \t]*`)

func newTask(in Input) *task {
	t := &task{in: in, large: strings.Contains(strings.ToLower(in.Model), "large")}
	var sys []string
	lastUser := ""
	for _, m := range in.Messages {
		switch m.Role {
		case "system", "developer":
			sys = append(sys, m.Content)
		case "user":
			lastUser = m.Content
		}
	}
	t.sys = strings.Join(sys, "\n")
	instr := t.sys
	input := lastUser
	if loc := inputMarker.FindStringSubmatchIndex(lastUser); loc != nil {
		instr += "\n" + lastUser[:loc[0]]
		input = lastUser[loc[1]:]
		// Keep the later labelled sections' text (a schema before a question
		// stays an instruction; a second marker's text stays input).
	} else if i := strings.Index(lastUser, `"""`); i >= 0 {
		rest := lastUser[i+3:]
		instr += "\n" + lastUser[:i]
		if j := strings.Index(rest, `"""`); j >= 0 {
			input = rest[:j]
			instr += "\n" + rest[j+3:]
		} else {
			input = rest
		}
	} else if t.sys == "" {
		// "Do this.\n\n{{input}}": the first paragraph is the instruction.
		instr = lastUser
		if head, rest, ok := strings.Cut(strings.TrimSpace(lastUser), "\n\n"); ok && strings.TrimSpace(rest) != "" && len(head) < 600 {
			input = rest
		}
	}
	t.insRaw = instr
	t.ins = strings.ToLower(instr)
	t.input = strings.TrimSpace(input)
	h := hashBytes(uint64(in.Seed), []byte(in.Model))
	for _, m := range in.Messages {
		h = hashBytes(h, []byte(m.Content))
	}
	h ^= uint64(in.Temperature * 1000)
	t.h = mix(h)
	return t
}

// has reports whether the instructions mention any of the phrases.
// indexFold is the byte offset in s of the first case-insensitive match of
// the lower-case ASCII word sub, or -1. Unlike an index into
// strings.ToLower(s) it is an offset into s itself: lower-casing changes the
// byte length of some letters, so such an offset can fall outside s.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func (t *task) has(phrases ...string) bool {
	for _, p := range phrases {
		if strings.Contains(t.ins, p) {
			return true
		}
	}
	return false
}

// only reports whether the model recognises an instruction to answer with
// nothing but the requested thing.
func (t *task) only() bool {
	if t.has("respond with only", "reply with only", "answer with only", "return only", "output only", "only the", "only output", "only return", "only respond", "nothing else", "only json", "only sql") {
		return true
	}
	return t.large && t.has("no explanation", "no prose", "do not explain", "don't explain", "without explanation",
		"single word", "one word", "just the", "no preamble", "without any preamble", "no other text", "do not add any", "no commentary")
}

// noPreamble: told not to chat around the answer.
func (t *task) noPreamble() bool {
	return t.only() || t.has("no preamble", "without preamble", "do not include a preamble", "start directly", "skip the preamble", "no intro")
}

var wordNums = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a single": 1, "a": 1}

var (
	reWordLimit = regexp.MustCompile(`(?:under|fewer than|less than|at most|no more than|maximum of|max(?:imum)?|up to|within|limit(?:ed)? to)\s+(\d+)\s+words|(\d+)\s+words\s+or\s+(?:fewer|less)|(\d+)\s*-\s*word`)
	reSentLimit = regexp.MustCompile(`\b(\d+|one|two|three|four|five|a single)\s+(?:short\s+)?sentences?\b`)
	reBulletN   = regexp.MustCompile(`(\d+|one|two|three|four|five|six|seven)\s+(?:short\s+)?bullet`)
)

// wordLimit is the recognised "under N words" bound (0 = none). "under N"
// means strictly fewer.
func (t *task) wordLimit() int {
	m := reWordLimit.FindStringSubmatch(t.ins)
	if m == nil {
		return 0
	}
	for _, g := range m[1:] {
		if n, err := strconv.Atoi(g); err == nil && n > 0 {
			if strings.Contains(m[0], "under") || strings.Contains(m[0], "fewer than") || strings.Contains(m[0], "less than") {
				return n - 1
			}
			return n
		}
	}
	return 0
}

// sentenceLimit is the recognised "in N sentences" bound (0 = none);
// demo-small only reads digits.
func (t *task) sentenceLimit() int {
	for _, m := range reSentLimit.FindAllStringSubmatch(t.ins, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return n
		}
		if t.large {
			if n, ok := wordNums[m[1]]; ok {
				return n
			}
		}
	}
	return 0
}

func (t *task) bullets() (bool, int) {
	if !t.has("bullet", "bulleted", "as a list", "list of points") {
		return false, 0
	}
	if m := reBulletN.FindStringSubmatch(t.ins); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return true, n
		}
		return true, wordNums[m[1]]
	}
	return true, 0
}

// pick chooses one of equivalent phrasings from the request hash.
func (t *task) pick(options ...string) string {
	return options[t.h%uint64(len(options))]
}

func (t *task) preamble(what string) string {
	return t.pick("Sure! Here is "+what+":\n\n", "Certainly! Here's "+what+":\n\n", "Of course! Below is "+what+".\n\n")
}

func (t *task) closing() string {
	return t.pick("\n\nLet me know if you'd like me to adjust anything!", "\n\nI hope this helps! Feel free to ask if you need anything else.", "\n\nLet me know if there's anything else I can help with.")
}

// generic answers anything the brain has no rule for: a plausible, chatty
// restatement that still honours length and format instructions.
func (t *task) generic() string {
	body := t.input
	if body == "" {
		body = t.insRaw
	}
	sents := sentences(body)
	if len(sents) == 0 {
		return "Sure! Could you share a bit more detail so I can help?"
	}
	if len(sents) == 1 && wordCount(body) <= 4 && reGreeting.MatchString(strings.TrimSpace(body)+" ") {
		return t.pick("Hello! How can I help you today?", "Hi there! What can I do for you?")
	}
	if len(sents) > 4 {
		sents = sents[:4]
	}
	out := strings.Join(sents, " ")
	if t.has("translate") {
		out = "[translated] " + out
	}
	return t.shape(out, "my answer")
}

// shape applies the recognised length and format instructions to a prose
// answer, or dresses it like a chatty model when there are none.
func (t *task) shape(body, what string) string {
	wl, sl := t.wordLimit(), t.sentenceLimit()
	isBullets, nb := t.bullets()
	constrained := wl > 0 || sl > 0 || isBullets
	if isBullets {
		sents := sentences(body)
		if nb > 0 && len(sents) > nb {
			sents = sents[:nb]
		}
		var b strings.Builder
		for i, s := range sents {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString("- ")
			b.WriteString(strings.TrimSuffix(s, "."))
		}
		body = b.String()
	} else if sl > 0 {
		sents := sentences(body)
		if len(sents) > sl {
			sents = sents[:sl]
		}
		body = strings.Join(sents, " ")
	}
	if wl > 0 {
		body = limitWords(body, wl)
	}
	if constrained || t.noPreamble() {
		return body
	}
	return t.preamble(what) + body + t.closing()
}

// splitSentences cuts at line breaks and at . ! ? followed by a space or
// the end, so "99.9%", "v2.4" and "e.g.x" stay whole.
func splitSentences(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			out = append(out, s[start:i])
			start = i + 1
		case c == '.' || c == '!' || c == '?':
			j := i + 1
			for j < len(s) && (s[j] == '.' || s[j] == '!' || s[j] == '?' || s[j] == '"' || s[j] == ')') {
				j++
			}
			if j == len(s) || s[j] == ' ' || s[j] == '\n' || s[j] == '\t' {
				out = append(out, s[start:j])
				start = j
				i = j - 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// sentences splits text into trimmed sentences (lines count as breaks).
func sentences(s string) []string {
	var out []string
	for _, m := range splitSentences(s) {
		m = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(m), "-*• "))
		if len(m) < 2 {
			continue
		}
		if !strings.ContainsAny(m[len(m)-1:], ".!?") {
			m += "."
		}
		out = append(out, m)
	}
	return out
}

// limitWords keeps at most n words, ending the text cleanly.
func limitWords(s string, n int) string {
	words := strings.Fields(s)
	if len(words) <= n {
		return s
	}
	// Keep line structure for lists: cut line by line.
	if strings.Contains(s, "\n") {
		var out []string
		count := 0
		for _, line := range strings.Split(s, "\n") {
			w := len(strings.Fields(line))
			if count+w > n {
				break
			}
			count += w
			out = append(out, line)
		}
		if len(out) > 0 {
			return strings.Join(out, "\n")
		}
	}
	out := strings.Join(words[:n], " ")
	out = strings.TrimRight(out, ",;:-")
	if !strings.HasSuffix(out, ".") && !strings.HasSuffix(out, "!") && !strings.HasSuffix(out, "?") {
		out += "."
	}
	return out
}

func wordCount(s string) int { return len(strings.Fields(s)) }

// words lower-cases and splits on anything but letters, digits and
// apostrophes.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// stem is a tiny suffix stripper: enough that "apologizes", "apologized"
// and "apology" meet, and "refunds" matches "refund".
func stem(w string) string {
	w = strings.ToLower(strings.Trim(w, "'"))
	for _, suf := range []string{"izing", "ising", "ized", "ised", "izes", "ises", "ize", "ise", "ies", "ing", "ed", "es", "ly", "y", "s"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for with from as is are was were be been being it its this that these those
		i me my we our you your he she they them their his her what which who whom whose when where why how all any both each few more most other some such
		no nor not only own same so than too very s t can will just don should now do does did has have had having would could may might must shall
		about above after again against before below between during into through under until up down out off over then once here there
		am im ive id youre dont doesnt didnt isnt wasnt arent cant wont also get got`) {
		stopWords[w] = true
	}
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
