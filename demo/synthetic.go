package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// Synthetic writes a registry of prompts x versions for performance work:
// names in folders, bodies of 200 to 4,000 characters with {{variables}},
// versions that edit their predecessor, and labels on some prompts. It is
// deterministic (fixed seed) apart from timestamps, which end now. progress,
// if set, is called with the number of prompts written so far.
func Synthetic(ctx context.Context, st *store.Store, prompts, versions int, progress func(done int)) error {
	if prompts < 1 || versions < 1 {
		return fmt.Errorf("synthetic registry: need at least 1 prompt and 1 version (got %d x %d): %w", prompts, versions, store.ErrInvalid)
	}
	rng := rand.New(rand.NewPCG(42, uint64(prompts)))
	now := time.Now().UTC()
	// Versions are spread over the last 90 days, oldest first.
	span := 90 * day
	step := span / time.Duration(prompts*versions+1)

	// One transaction per chunk of whole prompts: big enough to amortise
	// the commit, small enough to report progress and bound memory.
	const chunkVersions = 2000
	perChunk := max(1, chunkVersions/versions)
	batch := make([]store.CommitInput, 0, perChunk*versions)
	type labelPlan struct {
		name  string
		label string
		v     int
	}
	var plans []labelPlan
	seq := 0
	for start := 0; start < prompts; start += perChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch = batch[:0]
		end := min(prompts, start+perChunk)
		for i := start; i < end; i++ {
			g := newSynth(rng, i)
			for v := 1; v <= versions; v++ {
				in := store.CommitInput{
					Name: g.name, Config: g.config(),
					Message: g.message(v), Author: authors[rng.IntN(len(authors))],
					CreatedAt: now.Add(-span + time.Duration(seq)*step),
				}
				if g.chat {
					// The instructions as the system message, the input
					// block as the user message.
					n := len(g.parts) - 1
					in.Kind = store.KindChat
					in.Messages = []store.Message{
						{Role: "system", Content: strings.Join(g.parts[:n], "\n")},
						{Role: "user", Content: g.parts[n]},
					}
				} else {
					in.Kind, in.Template = store.KindText, g.body()
				}
				if v == 1 {
					in.Description, in.Tags = g.description, g.tags
				}
				batch = append(batch, in)
				seq++
				g.edit()
			}
			// Labels on half the prompts: every moved label is one store
			// transaction, the slowest part of the build.
			switch {
			case i%6 == 0 && versions > 1:
				plans = append(plans, labelPlan{g.name, "production", versions - 1})
				plans = append(plans, labelPlan{g.name, "staging", versions})
			case i%2 == 1:
				plans = append(plans, labelPlan{g.name, "production", versions})
			}
		}
		if _, err := st.CommitMany(ctx, batch); err != nil {
			return fmt.Errorf("synthetic registry: %w", err)
		}
		if progress != nil {
			progress(end)
		}
	}
	for _, p := range plans {
		if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: p.name, Label: p.label, Version: p.v, Actor: "synthetic", Reason: "synthetic registry"}); err != nil {
			return fmt.Errorf("synthetic registry: %w", err)
		}
	}
	return nil
}

var authors = []string{maya, devon, priya, sam, lena, "ari", "noah (growth)", "kim (ml)"}

var synthFolders = []struct {
	folder string
	nouns  []string
	vars   []string
}{
	{"support", []string{"reply", "triage", "escalation", "refund-check", "macro", "handoff"}, []string{"customer", "message", "order_id", "plan", "agent"}},
	{"sales", []string{"outreach", "follow-up", "objection", "qualify", "recap"}, []string{"company", "contact", "industry", "deal_size", "notes"}},
	{"marketing", []string{"headline", "tagline", "social-post", "newsletter", "seo-meta"}, []string{"product", "audience", "tone", "launch_date", "feature"}},
	{"eng", []string{"code-review", "commit-message", "incident-summary", "test-plan", "changelog"}, []string{"diff", "service", "severity", "timeline", "owner"}},
	{"data", []string{"sql", "chart-caption", "anomaly", "metric-explainer", "report"}, []string{"question", "schema", "metric", "period", "segment"}},
	{"legal", []string{"clause-check", "nda-summary", "policy-answer", "redline"}, []string{"contract", "clause", "jurisdiction", "party"}},
	{"hr", []string{"job-post", "interview-kit", "feedback", "onboarding"}, []string{"role", "team", "candidate", "level", "location"}},
	{"extract", []string{"invoice", "receipt", "resume", "address", "entities"}, []string{"document", "fields", "format", "locale"}},
}

var synthSentences = []string{
	"You are an experienced assistant working for {{company_name}}, a mid-sized software company.",
	"Read the input carefully before you answer and do not invent facts that are not in it.",
	"Write in a {{tone}} tone that matches our brand guidelines.",
	"If information is missing, say which field is missing instead of guessing.",
	"Keep the answer under {{max_words}} words unless the user explicitly asks for more detail.",
	"Use short paragraphs and bullet points where they make the answer easier to scan.",
	"Never include personal data such as phone numbers or home addresses in the output.",
	"When you refer to a policy, quote its name exactly as it appears in the context.",
	"Respond in {{language}}.",
	"Return the result as JSON with the keys described below, and nothing else.",
	"Think about the reader: they are busy and will read this on a phone between meetings.",
	"Start with the most important point, then give the supporting details.",
	"Avoid jargon; if a technical term is necessary, explain it in one short sentence.",
	"Do not apologize more than once, and do not promise anything the policy does not allow.",
	"End with a clear next step for the reader.",
	"Here are examples of good answers from previous weeks; follow their structure, not their wording.",
	"The audience for this text is {{audience}}.",
	"If the request is outside your scope, politely redirect the user to the right team.",
	"Prefer concrete numbers and dates over vague words like soon or many.",
	"Check your answer against the checklist before you return it.",
}

type synth struct {
	rng         *rand.Rand
	name        string
	description string
	tags        []string
	vars        []string
	parts       []string
	target      int
	chat        bool // every fifth prompt is a chat prompt
	temp        float64
	model       string
}

func newSynth(rng *rand.Rand, i int) *synth {
	f := synthFolders[i%len(synthFolders)]
	noun := f.nouns[(i/len(synthFolders))%len(f.nouns)]
	g := &synth{rng: rng, name: f.folder + "/" + noun + "-" + strconv.Itoa(i+1)}
	g.description = "Synthetic " + strings.ReplaceAll(noun, "-", " ") + " prompt for the " + f.folder + " team."
	g.tags = []string{f.folder, "synthetic"}
	g.chat = i%5 == 4
	g.vars = f.vars
	// Lengths skew short, as real registries do: 200..4,000 characters,
	// median about 650.
	u := rng.Float64()
	g.target = 200 + int(u*u*u*3600)
	g.temp = float64(rng.IntN(8)) / 10
	g.model = []string{"demo/demo-small", "demo/demo-large"}[rng.IntN(2)]
	g.parts = append(g.parts, "Task: "+strings.ReplaceAll(noun, "-", " ")+" for the "+f.folder+" team.")
	in := g.inputBlock()
	for g.length()+len(in) < g.target {
		g.parts = append(g.parts, g.sentence())
	}
	g.parts = append(g.parts, in)
	return g
}

func (g *synth) sentence() string {
	s := synthSentences[g.rng.IntN(len(synthSentences))]
	if g.rng.IntN(3) == 0 {
		v := g.vars[g.rng.IntN(len(g.vars))]
		s += " Pay attention to {{" + v + "}}."
	}
	return s
}

func (g *synth) inputBlock() string {
	var b strings.Builder
	b.WriteString("Input:\n")
	for _, v := range g.vars[:min(3, len(g.vars))] {
		b.WriteString(strings.ReplaceAll(v, "_", " ") + ": {{" + v + "}}\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (g *synth) length() int {
	n := 0
	for _, p := range g.parts {
		n += len(p) + 1
	}
	return n
}

func (g *synth) body() string { return strings.Join(g.parts, "\n") }

func (g *synth) config() store.Config {
	t := g.temp
	return store.Config{Model: g.model, Temperature: &t, MaxTokens: 256 + 64*len(g.parts)%768}
}

// edit changes the body (or the config) the way authors do: add, replace
// or drop an instruction, or tune the temperature.
func (g *synth) edit() {
	before, temp := g.body(), g.temp
	g.editOnce()
	for g.length() < 220 {
		n := len(g.parts) - 1
		g.parts = append(g.parts[:n], append([]string{g.sentence()}, g.parts[n:]...)...)
	}
	if g.body() == before && g.temp == temp {
		// Every version must differ from its parent, or the store would
		// skip it as a no-op.
		g.temp = float64((int(g.temp*10)+1)%10) / 10
	}
}

func (g *synth) editOnce() {
	n := len(g.parts) - 1 // the input block stays last
	switch op := g.rng.IntN(4); {
	case op == 0 && g.length() < 3750:
		at := 1 + g.rng.IntN(n)
		g.parts = append(g.parts[:at], append([]string{g.sentence()}, g.parts[at:]...)...)
	case op == 1 && n > 2:
		at := 1 + g.rng.IntN(n-1)
		if g.length()-len(g.parts[at]) < 220 {
			g.parts[at] = g.sentence() + " (revised)"
			break
		}
		g.parts = append(g.parts[:at], g.parts[at+1:]...)
	case op == 2:
		g.temp = float64(g.rng.IntN(10)) / 10
	default:
		if n > 1 {
			g.parts[1+g.rng.IntN(n-1)] = g.sentence() + " (revised)"
		} else {
			g.parts = append(g.parts[:1], append([]string{g.sentence()}, g.parts[1:]...)...)
		}
	}
}

var synthMessages = []string{
	"Tighten the instructions", "Fix tone for enterprise customers", "Add an example", "Remove duplicated rule",
	"Lower temperature for consistency", "Clarify the output format", "Handle missing fields", "Shorter answers",
	"Legal review changes", "Align with the new style guide", "Revert an over-eager rule", "Add language variable",
}

func (g *synth) message(v int) string {
	if v == 1 {
		return "Initial version"
	}
	return synthMessages[g.rng.IntN(len(synthMessages))]
}
