package assert

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/store"
)

// GraderSystem is the system prompt of llm-rubric (promptfoo's shape). The
// demo model server recognises "You are grading output".
const GraderSystem = `You are grading output according to a user-specified rubric. If the statement in the rubric is true, the output passes the test. ` +
	`You respond with a JSON object with this structure: {"pass": boolean, "score": number, "reason": string}. ` +
	`score is between 0.0 and 1.0. reason explains the verdict in one sentence. Respond with the JSON object only.`

// GraderMessages are the messages sent to the grader model.
func GraderMessages(rubric, output string) []store.Message {
	return []store.Message{
		{Role: "system", Content: GraderSystem},
		{Role: "user", Content: "<Output>\n" + output + "\n</Output>\n<Rubric>\n" + rubric + "\n</Rubric>"},
	}
}

// ProviderModels makes the model access of llm-rubric and similar from a
// provider registry, with the registry's config defaults and retries.
func ProviderModels(reg *provider.Registry, pol provider.Policy) Models {
	cfg := reg.Config()
	return Models{
		Grader:    cfg.Grader,
		Embedding: cfg.Embedding,
		Grade: func(ctx context.Context, model, rubric, output string) (Verdict, error) {
			pname, mname := reg.Split(model)
			p, err := reg.Provider(pname)
			if err != nil {
				return Verdict{}, err
			}
			zero := 0.0
			req := provider.Request(mname, GraderMessages(rubric, output), store.Config{Temperature: &zero})
			resp, err := provider.Do(ctx, pol, func(ctx context.Context) (provider.Response, error) {
				return p.Chat(ctx, req, nil)
			}, nil)
			if err != nil {
				return Verdict{}, fmt.Errorf("%s", provider.Describe(err))
			}
			return ParseVerdict(resp.Output)
		},
		Embed: func(ctx context.Context, model string, texts []string) ([][]float32, error) {
			pname, mname := reg.Split(model)
			p, err := reg.Provider(pname)
			if err != nil {
				return nil, err
			}
			v, err := provider.Do(ctx, pol, func(ctx context.Context) ([][]float32, error) {
				return p.Embed(ctx, mname, texts)
			}, nil)
			if err != nil {
				return nil, fmt.Errorf("%s", provider.Describe(err))
			}
			return v, nil
		},
	}
}

// ParseVerdict reads a grader's answer: the first JSON object in it with a
// "pass" field. A missing score is 1 for a pass and 0 for a fail.
func ParseVerdict(s string) (Verdict, error) {
	for _, c := range jsonCandidates(s) {
		var raw map[string]any
		if json.Unmarshal(c, &raw) != nil {
			continue
		}
		p, ok := raw["pass"]
		if !ok {
			continue
		}
		var v Verdict
		switch x := p.(type) {
		case bool:
			v.Pass = x
		case string:
			v.Pass = strings.EqualFold(x, "true") || strings.EqualFold(x, "pass")
		default:
			continue
		}
		if f, ok := number(raw["score"]); ok {
			v.Score = clamp(f)
		} else {
			v.Score = b2f(v.Pass)
		}
		v.Reason = toString(raw["reason"])
		return v, nil
	}
	return Verdict{}, fmt.Errorf("the grader did not answer with a JSON verdict: %q", excerpt(s, 120))
}
