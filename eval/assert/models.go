package assert

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/store"
)

// ProviderModels makes the model access of the model-graded types from a
// provider registry, with the registry's config defaults and retries.
func ProviderModels(reg *provider.Registry, pol provider.Policy) Models {
	cfg := reg.Config()
	return Models{
		Grader:    cfg.Grader,
		Embedding: cfg.Embedding,
		Ask: func(ctx context.Context, model string, msgs []store.Message) (string, error) {
			pname, mname := reg.Split(model)
			p, err := reg.Provider(pname)
			if err != nil {
				return "", err
			}
			zero := 0.0
			req := provider.Request(mname, msgs, store.Config{Temperature: &zero})
			resp, err := provider.Do(ctx, pol, func(ctx context.Context) (provider.Response, error) {
				return p.Chat(ctx, req, nil)
			}, nil)
			if err != nil {
				return "", fmt.Errorf("%s", provider.Describe(err))
			}
			return resp.Output, nil
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
