package modelserver

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// importance ranks a sentence for a summary: problems, asks and specifics
// first, pleasantries last.
func importance(s string, pos int) int {
	l := strings.ToLower(s)
	score := min(wordCount(s), 12) / 4
	for _, k := range []string{"error", "cannot", "can't", "unable", "fail", "broken", "crash", "refund", "charged", "urgent", "since", "need", "please",
		"order", "invoice", "account", "login", "password", "down", "missing", "wrong", "twice", "deadline", "blocked", "customers"} {
		if strings.Contains(l, k) {
			score += 2
		}
	}
	if reHashNo.MatchString(s) || reOrderNo.MatchString(s) {
		score += 2
	}
	for _, k := range []string{"hi ", "hello", "thanks", "thank you", "regards", "cheers", "hope you"} {
		if strings.HasPrefix(l, k) || l == strings.TrimSpace(k) {
			score -= 4
		}
	}
	return score*10 - pos
}

func topSentences(text string, n int) []string {
	sents := sentences(text)
	type ranked struct {
		s        string
		pos, imp int
	}
	rs := make([]ranked, len(sents))
	for i, s := range sents {
		rs[i] = ranked{s, i, importance(s, i)}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].imp > rs[j].imp })
	if n > 0 && len(rs) > n {
		rs = rs[:n]
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].pos < rs[j].pos })
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.s
	}
	return out
}

// thirdPerson turns a customer's first-person sentence into a summary line.
func thirdPerson(s string) string {
	s = stripGreeting(s)
	r := strings.NewReplacer("I'm ", "The customer is ", "I am ", "The customer is ", "I've ", "The customer has ", "I have ", "The customer has ",
		"I was ", "The customer was ", "I ", "The customer ", " my ", " their ", " me ", " them ", "My ", "Their ", " me.", " them.")
	return r.Replace(s)
}

// summary summarises the input, honouring length, bullet and field
// instructions.
func (t *task) summary() string {
	n := 4
	if sl := t.sentenceLimit(); sl > 0 {
		n = sl
	}
	if ok, nb := t.bullets(); ok && nb > 0 {
		n = nb
	}
	sents := topSentences(t.input, n)
	for i, s := range sents {
		sents[i] = thirdPerson(s)
	}
	body := strings.Join(sents, " ")
	var extra []string
	if t.has("priority", "urgency") {
		extra = append(extra, "Priority: "+priority(t.input))
	}
	if t.has("next step", "action item", "suggested action") {
		extra = append(extra, "Next step: "+nextStep(t.input))
	}
	if isBullets, _ := t.bullets(); isBullets {
		var b strings.Builder
		for i, s := range sents {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString("- " + strings.TrimSuffix(s, "."))
		}
		body = b.String()
	} else if len(sents) > 0 && !t.noPreamble() && t.wordLimit() == 0 && t.sentenceLimit() == 0 {
		// A chatty model pads its summary.
		body += " Overall, the customer would like this resolved as soon as possible and is waiting for a response from the team."
	}
	if wl := t.wordLimit(); wl > 0 {
		body = limitWords(body, max(1, wl-4*len(extra)))
	}
	if len(extra) > 0 {
		body += "\n" + strings.Join(extra, "\n")
	}
	if t.noPreamble() || t.wordLimit() > 0 || t.sentenceLimit() > 0 {
		return body
	}
	if ok, _ := t.bullets(); ok && t.large {
		return body
	}
	return t.preamble("a summary of the ticket") + body + t.closing()
}

func nextStep(text string) string {
	l := strings.ToLower(text)
	switch {
	case containsAny(l, "refund", "charged", "charge", "invoice", "billing"):
		return "check the billing record and issue a refund if the charge is a duplicate."
	case containsAny(l, "login", "password", "locked", "sign in", "2fa"):
		return "verify the account owner and reset their login."
	case containsAny(l, "crash", "error", "bug", "broken", "fail"):
		return "reproduce the error and escalate to engineering with the details."
	case containsAny(l, "delivery", "package", "shipping", "tracking"):
		return "contact the carrier and share the tracking status."
	}
	return "reply to the customer with an update."
}

var (
	rePRRef   = regexp.MustCompile(`\s*\(#\d+\)$|\s*#\d+$`)
	reVersion = regexp.MustCompile(`(?i)(?:version|release)\s+v?(\d+\.\d+(?:\.\d+)?)`)
)

var reChangePrefix = regexp.MustCompile(`^(?i)(feat|feature|fix|bugfix|perf|docs|chore|refactor|ci|test|tests|build|style|revert)(\([^)]*\))?!?:\s*`)

// releaseNotes turns a list of changes into release notes.
func (t *task) releaseNotes() string {
	type change struct{ kind, text string }
	var changes []change
	for _, line := range strings.Split(t.input, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "-*•"))
		if line == "" {
			continue
		}
		kind := "other"
		if m := reChangePrefix.FindStringSubmatch(line); m != nil {
			kind = strings.ToLower(m[1])
		}
		changes = append(changes, change{kind, line})
	}
	userFacing := t.has("user-facing", "user facing", "non-technical", "plain language", "customers", "customer-facing", "end users", "end-users")
	skipInternal := userFacing || t.has("internal", "chore", "exclude")
	grouped := t.has("group", "section", "heading", "categor")
	clean := func(s string) string {
		s = reChangePrefix.ReplaceAllString(s, "")
		s = rePRRef.ReplaceAllString(s, "")
		if userFacing {
			s = titleCase(s)
		}
		return strings.TrimSuffix(s, ".")
	}
	sections := map[string][]string{}
	var order []string
	var flat []string
	for _, c := range changes {
		if skipInternal && (c.kind == "chore" || c.kind == "refactor" || c.kind == "ci" || c.kind == "test" || c.kind == "tests" || c.kind == "build" || c.kind == "style") {
			continue
		}
		text := c.text
		if userFacing || grouped {
			text = clean(text)
		}
		sec := "Other"
		switch c.kind {
		case "feat", "feature":
			sec = "New"
		case "fix", "bugfix":
			sec = "Fixed"
		case "perf":
			sec = "Faster"
		case "docs":
			sec = "Docs"
		}
		if _, ok := sections[sec]; !ok {
			order = append(order, sec)
		}
		sections[sec] = append(sections[sec], text)
		flat = append(flat, text)
	}
	var b strings.Builder
	version := ""
	if m := reVersion.FindStringSubmatch(t.insRaw); m != nil {
		version = m[1]
	}
	if t.has("title", "heading", "markdown") {
		if version != "" {
			b.WriteString("## What's new in " + version + "\n\n")
		} else {
			b.WriteString("## What's new\n\n")
		}
	}
	if grouped {
		sort.SliceStable(order, func(i, j int) bool { return sectionRank(order[i]) < sectionRank(order[j]) })
		for i, sec := range order {
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString("### " + sec + "\n")
			for _, x := range sections[sec] {
				b.WriteString("- " + x + "\n")
			}
		}
	} else {
		for _, x := range flat {
			b.WriteString("- " + x + "\n")
		}
	}
	body := strings.TrimRight(b.String(), "\n")
	if wl := t.wordLimit(); wl > 0 {
		body = limitWords(body, wl)
	}
	if t.noPreamble() || t.has("markdown") && t.large {
		return body
	}
	return t.pick("Here are the release notes for this update! 🎉\n\n", "Sure! Here are the release notes:\n\n") + body +
		"\n\nThanks to everyone who contributed to this release! Let me know if you'd like a different tone."
}

func sectionRank(s string) int {
	switch s {
	case "New":
		return 0
	case "Faster":
		return 1
	case "Fixed":
		return 2
	case "Docs":
		return 3
	}
	return 4
}

var (
	reName       = regexp.MustCompile(`(?i)(?:my name is|i'm|i am|this is)\s+([A-Z][a-z]+)\b`)
	reSignature  = regexp.MustCompile(`(?m)^\s*(?:-|–|—|thanks,?|regards,?|best,?|cheers,?)?\s*([A-Z][a-z]+)\s*$`)
	reSignAs     = regexp.MustCompile(`(?i)sign(?:ed)?(?:\s+(?:it|off|the email|the reply))?\s+(?:off\s+)?as\s+["']?([A-Za-z][\w .'-]*?)["']?(?:[.,\n]|$)`)
	reNameVar    = regexp.MustCompile(`(?im)^\s*(?:customer name|name|first name|user)\s*:\s*([A-Z][\w-]*)`)
	reProduct    = regexp.MustCompile(`(?:new (?:user|customer)s? (?:of|to)|[Pp]roduct(?: name)?\s*:|joined|signed up for|[Ww]elcome to)\s+([A-Z]\w*(?: [A-Z]\w*)?)`)
	reWelcomeTo  = regexp.MustCompile(`(?:to|for)\s+([A-Z][a-z]+)\s*(?:who|that|,|\.)`)
	reGreeting   = regexp.MustCompile(`^(?i)(?:hi|hello|hey|dear|good (?:morning|afternoon))(?: [A-Z][a-z]+| team| there| all)?[,!.]*\s+`)
	rePlan       = regexp.MustCompile(`(?i)(?:plan|tier)\s*:\s*(\w+)|\bthe\s+(\w+)\s+plan\b|\bon\s+(?:the\s+)?(\w+)\s+plan\b`)
	reWhoName    = regexp.MustCompile(`(?im)(?:named|called|user is|customer is)\s+([A-Z][a-z]+)`)
	reFeatureNum = regexp.MustCompile(`(?i)(?:mention|highlight|list|include)\s+(\d+|one|two|three|four|five)\s+(?:key\s+)?features`)
)

// customerName finds who the reply goes to.
func (t *task) customerName() string {
	for _, src := range []string{t.input, t.insRaw} {
		if m := reNameVar.FindStringSubmatch(src); m != nil {
			return m[1]
		}
	}
	if m := reName.FindStringSubmatch(t.input); m != nil && !stopWords[strings.ToLower(m[1])] {
		return m[1]
	}
	lines := strings.Split(strings.TrimSpace(t.input), "\n")
	if n := len(lines); n > 1 {
		if m := reSignature.FindStringSubmatch(lines[n-1]); m != nil && !stopWords[strings.ToLower(m[1])] {
			return m[1]
		}
	}
	if m := reWelcomeTo.FindStringSubmatch(t.insRaw); m != nil && !stopWords[strings.ToLower(m[1])] {
		return m[1]
	}
	if m := reWhoName.FindStringSubmatch(t.insRaw); m != nil {
		return m[1]
	}
	return ""
}

// issue names what the customer wrote about, for "thanks for reaching out
// about ...".
func (t *task) issue() string {
	top := topSentences(t.input, 1)
	if len(top) == 0 {
		return "your request"
	}
	s := stripGreeting(strings.TrimSpace(top[0]))
	question := strings.HasSuffix(s, "?")
	s = strings.TrimRight(s, ".!?")
	// Restate the problem, not the request ("..., please refund me").
	if i := indexFold(s, "please"); i > 12 {
		s = strings.TrimRight(s[:i], " ,;-")
	}
	s = strings.NewReplacer("I'm ", "you're ", "I am ", "you are ", "I've ", "you've ", "I have ", "you have ", "I was ", "you were ", "I ", "you ", " my ", " your ", " me", " you", "My ", "Your ").Replace(s)
	if len(s) > 1 && unicode.IsUpper(rune(s[0])) && unicode.IsLower(rune(s[1])) && !strings.HasPrefix(s, "I ") {
		s = strings.ToLower(s[:1]) + s[1:]
	}
	if question {
		return "your question, " + s + "?"
	}
	return s
}

// endSentence ends s with a full stop unless it already has punctuation.
func endSentence(s string) string {
	if strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// stripGreeting drops a leading "Hi," or "Hello team," from a sentence.
func stripGreeting(s string) string {
	if loc := reGreeting.FindStringIndex(s); loc != nil && loc[1] < len(s) {
		return titleCase(s[loc[1]:])
	}
	return s
}

// compose writes a support reply or an email.
func (t *task) compose() string {
	if t.has("welcome", "onboarding") {
		return t.welcome()
	}
	name := t.customerName()
	greet := "Hi there,"
	if name != "" {
		greet = "Hi " + name + ","
	}
	var parts []string
	apology := t.has("apologi", "apology", "say sorry") || t.large && t.has("empath", "acknowledge", "frustration")
	lower := strings.ToLower(t.input)
	if apology {
		parts = append(parts, t.pick("I'm sorry for the trouble", "I'm so sorry about this", "We apologize for the inconvenience")+": "+endSentence(t.issue()))
	} else {
		parts = append(parts, "Thanks for reaching out about this: "+endSentence(t.issue()))
	}
	if m := reOrderNo.FindStringSubmatch(t.input); m != nil && (t.has("order number", "reference", "order id") || t.large) {
		parts = append(parts, "I've looked up order "+m[1]+".")
	}
	noPromise := t.has("do not promise", "don't promise", "never promise", "not promise", "no promises")
	switch {
	case containsAny(lower, "refund", "charged", "charge", "billing", "invoice"):
		if noPromise {
			parts = append(parts, "I've passed the details to our billing team, who will review the charge and reply within 2 business days.")
		} else {
			parts = append(parts, "We will refund you right away and make sure this never happens again.")
		}
	case containsAny(lower, "login", "password", "locked", "sign in", "2fa"):
		parts = append(parts, "You can reset your password from the sign-in page; if that link does not arrive, reply here and we will unlock the account.")
	case containsAny(lower, "crash", "error", "bug", "broken", "not working", "fails"):
		parts = append(parts, "Our engineers are looking into the error now, and I will update you as soon as a fix ships.")
	case containsAny(lower, "delivery", "package", "shipping", "tracking", "arrived"):
		parts = append(parts, "I've asked the carrier for an update and will share the tracking status as soon as I have it.")
	default:
		parts = append(parts, "I'm looking into it and will get back to you shortly.")
	}
	// Policy lines from the system prompt, when the topic matches.
	if t.large || t.has("policy:") {
		for _, s := range sentences(t.sys) {
			ls := strings.ToLower(s)
			if strings.Contains(ls, "policy") && strings.Contains(ls, "refund") && containsAny(lower, "refund", "charged") {
				line := strings.TrimPrefix(strings.TrimPrefix(s, "Refund policy: "), "Policy: ")
				// Told to mention the policy, the reply names it as such.
				if t.has("mention the refund policy", "mention our refund policy", "quote the refund policy") {
					line = "Our refund policy: " + line
				}
				parts = append(parts, line)
				break
			}
		}
	}
	concise := t.has("concise", "brief", "short") || t.wordLimit() > 0 || t.sentenceLimit() > 0
	if !concise {
		parts = append(parts, "I completely understand how frustrating this must be, and I want you to know that we truly value you as a customer.",
			"In the meantime, you may find our help center useful, as it covers many common questions.",
			"Please don't hesitate to reach out if there is anything else at all that I can do for you.")
	}
	sign := "Best regards,\nThe Support Team"
	if m := reSignAs.FindStringSubmatch(t.insRaw); m != nil {
		sign = "Best,\n" + strings.TrimSpace(m[1])
	}
	body := strings.Join(parts, " ")
	if wl := t.wordLimit(); wl > 0 {
		body = limitWords(body, max(5, wl-wordCount(greet)-wordCount(sign)))
	} else if sl := t.sentenceLimit(); sl > 0 {
		body = strings.Join(firstN(sentences(body), sl), " ")
	}
	return greet + "\n\n" + body + "\n\n" + sign
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// welcome writes an onboarding email.
func (t *task) welcome() string {
	name := t.customerName()
	product := "our product"
	if m := reProduct.FindStringSubmatch(t.insRaw + "\n" + t.input); m != nil {
		product = m[1]
	}
	plan := ""
	if m := rePlan.FindStringSubmatch(t.input + "\n" + t.insRaw); m != nil {
		for _, g := range m[1:] {
			if g != "" && g != "the" && g != "your" && g != "a" {
				plan = g
				break
			}
		}
	}
	var b strings.Builder
	if t.has("subject") {
		if name != "" {
			b.WriteString("Subject: Welcome to " + product + ", " + name + "!\n\n")
		} else {
			b.WriteString("Subject: Welcome to " + product + "!\n\n")
		}
	}
	if name != "" {
		b.WriteString("Hi " + name + ",\n\n")
	} else {
		b.WriteString("Hi there,\n\n")
	}
	b.WriteString("Welcome to " + product + "! We're thrilled to have you on board.")
	if plan != "" && (t.large || t.has("plan")) {
		b.WriteString(" Your " + titleCase(plan) + " plan is active and ready to use.")
	}
	features := []string{"Create your first project in under a minute.", "Invite your teammates and work together in real time.", "Connect the tools you already use with one-click integrations.", "Track progress on a dashboard that updates live."}
	n := 3
	if m := reFeatureNum.FindStringSubmatch(t.ins); m != nil {
		if v, ok := wordNums[m[1]]; ok {
			n = v
		} else if len(m[1]) == 1 {
			n = int(m[1][0] - '0')
		}
	}
	b.WriteString("\n\nHere's how to get started:\n")
	for _, f := range firstN(features, n) {
		b.WriteString("- " + f + "\n")
	}
	if t.has("call to action", "cta", "button", "link") {
		b.WriteString("\nGet started: https://app.example.com/start\n")
	}
	if !t.has("concise", "short", "brief") && t.wordLimit() == 0 {
		b.WriteString("\nWe can't wait to see what you build. Our team is always here to help, so if you ever have a question, just reply to this email and a real human will get back to you.\n")
	}
	sign := "The Team"
	if m := reSignAs.FindStringSubmatch(t.insRaw); m != nil {
		sign = strings.TrimSpace(m[1])
	}
	b.WriteString("\nCheers,\n" + sign)
	out := b.String()
	if wl := t.wordLimit(); wl > 0 {
		out = limitWords(out, wl)
	}
	if t.noPreamble() || t.has("subject") {
		return out
	}
	return "Here's a warm welcome email you can send:\n\n" + out
}

// reSectionLabel is a "Plans: " label at the start of a documentation line.
var reSectionLabel = regexp.MustCompile(`^[A-Z][A-Za-z ]{1,24}:\s+`)

// docsMarkers introduce reference material in a system prompt.
var docsMarkers = []string{"documentation:", "docs:", "context:", "knowledge base:", "reference:"}

func (t *task) isQA() bool {
	return t.sys != "" && t.has(docsMarkers...) && !t.in.JSON
}

// qa answers a question from the documentation in the system prompt: the
// sentences sharing the most word stems with the question.
func (t *task) qa() string {
	// Offsets come from the system prompt itself, not from a lower-cased
	// copy: lower-casing changes the byte length of some letters (Ⱥ -> ⱥ).
	at, first := -1, -1
	for _, m := range docsMarkers {
		if i := indexFold(t.sys, m); i >= 0 && (first < 0 || i < first) {
			first, at = i, i+len(m)
		}
	}
	docs := t.sys
	if at >= 0 {
		docs = t.sys[at:]
	}
	q := map[string]bool{}
	for _, w := range words(t.input) {
		if !stopWords[w] && len(w) > 2 {
			q[stem(w)] = true
		}
	}
	type scored struct {
		s     string
		pos   int
		score int
	}
	var best []scored
	for i, s := range sentences(docs) {
		// Count the question's distinct words the sentence shares.
		hit := map[string]bool{}
		for _, w := range words(s) {
			if st := stem(w); q[st] {
				hit[st] = true
			}
		}
		if len(hit) > 0 {
			if m := reSectionLabel.FindStringIndex(s); m != nil && m[1] < len(s) {
				s = titleCase(s[m[1]:])
			}
			best = append(best, scored{s, i, len(hit)})
		}
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].score > best[j].score })
	unknown := t.has("don't know", "do not know", "not covered", "not in the documentation", "say so")
	if len(best) == 0 || best[0].score < 2 && unknown {
		if unknown {
			return "I don't know: the documentation does not cover that."
		}
		return t.shape("Great question! This is usually possible: you can find the details in your account settings, or ask your workspace admin.", "an answer")
	}
	keep := 2
	if sl := t.sentenceLimit(); sl > 0 && sl < keep {
		keep = sl
	}
	if len(best) > keep {
		best = best[:keep]
	}
	// Drop weak matches: a sentence sharing one word with the question
	// next to one sharing three is noise.
	for len(best) > 1 && best[len(best)-1].score*2 < best[0].score {
		best = best[:len(best)-1]
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].pos < best[j].pos })
	var parts []string
	for _, b := range best {
		parts = append(parts, b.s)
	}
	body := strings.Join(parts, " ")
	if t.has("cite", "source", "section") {
		body += " (Source: documentation)"
	}
	if t.sentenceLimit() > 0 || t.wordLimit() > 0 || t.noPreamble() || t.has("concise", "brief") {
		return t.shape(body, "the answer")
	}
	return t.pick("Great question! ", "Happy to help! ") + body + " Is there anything else you'd like to know?"
}
