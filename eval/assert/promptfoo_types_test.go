package assert

import (
	"context"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/store"
)

// TestPromptfooTextTypes: the promptfoo types that need no model.
func TestPromptfooTextTypes(t *testing.T) {
	weather := []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_weather",
		"parameters": map[string]any{"type": "object", "required": []any{"city"}, "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}}
	call := func(name, args string) string {
		return `[{"id": "c1", "type": "function", "function": {"name": "` + name + `", "arguments": ` + args + `}}]`
	}
	cases := []struct {
		a      store.Assertion
		in     Input
		pass   bool
		reason string
	}{
		{store.Assertion{Type: "is-refusal"}, Input{Output: "I’m sorry, but I can’t help with that."}, true, "refuses"},
		{store.Assertion{Type: "is-refusal"}, Input{Output: ""}, true, "empty"},
		{store.Assertion{Type: "not-is-refusal"}, Input{Output: "Paris is the capital of France."}, true, ""},
		{store.Assertion{Type: "is-xml"}, Input{Output: "<a><b>1</b></a>"}, true, "well-formed"},
		{store.Assertion{Type: "is-xml"}, Input{Output: "<a><b>1</a>"}, false, "not XML"},
		{store.Assertion{Type: "is-xml", Value: map[string]any{"requiredElements": []any{"a.b", "a.c"}}}, Input{Output: "<a><b>1</b></a>"}, false, "lacks a.c"},
		{store.Assertion{Type: "is-xml", Value: "a.b"}, Input{Output: "```xml\n<a><b>1</b></a>\n```"}, true, ""},
		{store.Assertion{Type: "contains-xml"}, Input{Output: "Here you go: <note><to>Ann</to></note> hope it helps"}, true, "contains"},
		{store.Assertion{Type: "contains-xml"}, Input{Output: "a < b and c > d"}, false, "no XML"},
		{store.Assertion{Type: "rouge-n", Value: "the cat sat on the mat"}, Input{Output: "the cat sat on a mat"}, true, "ROUGE-1 F-measure 0.83"},
		// promptfoo's score is an F-measure over Penn Treebank tokens
		// (punctuation counts, clitics split): an output that says much
		// more than the reference scores low even when it holds all of it.
		{store.Assertion{Type: "rouge-n", Value: "negative", Threshold: f(0.5)}, Input{Output: "Sentiment: Negative\n\nThe writer expresses frustration or dissatisfaction. Let me know if you need a more detailed analysis!"}, false, "ROUGE-1 F-measure 0.10"},
		{store.Assertion{Type: "rouge-n", Value: "It cannot be", Threshold: f(0.44)}, Input{Output: "it can't be."}, true, "ROUGE-1 F-measure 0.44"},
		{store.Assertion{Type: "rouge-n", Value: "the cat sat on the mat"}, Input{Output: "a dog ran"}, false, ""},
		{store.Assertion{Type: "finish-reason", Value: "stop"}, Input{Output: "x", FinishReason: "stop"}, true, ""},
		{store.Assertion{Type: "finish-reason", Value: "stop"}, Input{Output: "x", FinishReason: "length"}, false, `"length"`},
		{store.Assertion{Type: "is-valid-openai-tools-call"}, Input{Output: call("get_weather", `"{\"city\": \"Oslo\"}"`), Tools: weather}, true, "1 valid"},
		{store.Assertion{Type: "is-valid-openai-tools-call"}, Input{Output: call("get_weather", `"{\"town\": \"Oslo\"}"`), Tools: weather}, false, "city"},
		{store.Assertion{Type: "is-valid-openai-tools-call"}, Input{Output: call("launch", `"{}"`), Tools: weather}, false, `"launch", which is not one of the tools`},
		{store.Assertion{Type: "is-valid-openai-tools-call"}, Input{Output: "It is sunny.", Tools: weather}, false, "no tool calls"},
		{store.Assertion{Type: "tool-call-f1", Value: []any{"get_weather"}}, Input{Output: call("get_weather", `"{}"`)}, true, "F1 1.00"},
		{store.Assertion{Type: "tool-call-f1", Value: "get_weather, get_time", Threshold: f(0.6)}, Input{Output: call("get_weather", `"{}"`)}, true, "F1 0.67"},
		{store.Assertion{Type: "tool-call-f1", Value: []any{"get_time"}}, Input{Output: call("get_weather", `"{}"`)}, false, "F1 0.00"},
	}
	for _, c := range cases {
		r := one1(t, c.a, c.in)
		if r.Pass != c.pass || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%s %v on %q: pass %v, reason %q", c.a.Type, c.a.Value, c.in.Output, r.Pass, r.Reason)
		}
	}
	if err := Validate(store.Assertion{Type: "tool-call-f1"}); err == nil {
		t.Error("tool-call-f1 without names validated")
	}
}

// demoModels answers grader calls with the offline demo model, as verso
// eval does with the demo provider.
var demoModels = Models{Grader: "demo/demo-large", Ask: func(_ context.Context, model string, msgs []store.Message) (string, error) {
	in := modelserver.Input{Model: strings.TrimPrefix(model, "demo/")}
	for _, m := range msgs {
		in.Messages = append(in.Messages, modelserver.Message{Role: m.Role, Content: m.Content})
	}
	return modelserver.Reply(in), nil
}}

// TestModelGradedOnDemo: each model-graded type asks its grader with its
// own sections, and the demo model answers each one offline.
func TestModelGradedOnDemo(t *testing.T) {
	rag := map[string]any{"query": "When does the Oslo office open?", "context": []any{"The Oslo office opens at 9 am on weekdays.", "Parking is free after 6 pm."}}
	cases := []struct {
		a    store.Assertion
		in   Input
		pass bool
	}{
		{store.Assertion{Type: "llm-rubric", Value: "apologises"}, Input{Output: "Sorry for the delay."}, true},
		{store.Assertion{Type: "model-graded-closedqa", Value: "mentions the refund"}, Input{Output: "Your refund is on its way.", Prompt: "Where is my refund?"}, true},
		{store.Assertion{Type: "model-graded-closedqa", Value: "mentions the refund"}, Input{Output: "Thanks for writing.", Prompt: "Where is my refund?"}, false},
		{store.Assertion{Type: "g-eval", Value: []any{"apologises", "thanks the customer"}}, Input{Output: "Sorry, and thank you for your patience."}, true},
		{store.Assertion{Type: "g-eval", Value: "apologises and thanks the customer"}, Input{Output: "Sorry."}, false},
		{store.Assertion{Type: "factuality", Value: "The Eiffel Tower is 330 metres tall and stands in Paris."}, Input{Output: "Standing in Paris, the Eiffel Tower is 330 metres tall.", Prompt: "How tall is the Eiffel Tower?"}, true},
		{store.Assertion{Type: "factuality", Value: "The Eiffel Tower is 330 metres tall."}, Input{Output: "The Eiffel Tower is 300 metres tall."}, false},
		{store.Assertion{Type: "answer-relevance"}, Input{Output: "The Oslo office opens at 9 am.", Vars: rag}, true},
		{store.Assertion{Type: "answer-relevance"}, Input{Output: "Bananas are yellow.", Vars: rag}, false},
		{store.Assertion{Type: "context-faithfulness"}, Input{Output: "It opens at 9 am on weekdays.", Vars: rag}, true},
		{store.Assertion{Type: "context-faithfulness"}, Input{Output: "It opens at noon on Sundays with free coffee.", Vars: rag}, false},
		{store.Assertion{Type: "context-relevance"}, Input{Output: "-", Vars: rag}, true},
		{store.Assertion{Type: "context-relevance"}, Input{Output: "-", Vars: map[string]any{"query": "Who won the 1998 world cup?", "context": "Parking is free after 6 pm."}}, false},
		{store.Assertion{Type: "context-recall", Value: "The office opens at 9 am."}, Input{Output: "-", Vars: rag}, true},
		{store.Assertion{Type: "moderation"}, Input{Output: "Happy to help with your order."}, true},
		{store.Assertion{Type: "moderation", Value: []any{"harassment"}}, Input{Output: "You are an idiot and I will find where you live."}, false},
	}
	for _, c := range cases {
		r := Evaluate(context.Background(), []store.Assertion{c.a}, 0, c.in, demoModels).Results[0]
		if r.Pass != c.pass {
			t.Errorf("%s %v on %q: pass %v (%s)", c.a.Type, c.a.Value, c.in.Output, r.Pass, r.Reason)
		}
	}
	// A RAG type without its context says what it needs.
	r := Evaluate(context.Background(), []store.Assertion{{Type: "context-faithfulness"}}, 0, Input{Output: "x"}, demoModels).Results[0]
	if r.Pass || r.Reason != "context-faithfulness: needs the case's retrieved context in the variable context" {
		t.Fatalf("%+v", r)
	}
	// Without a grader the reason says so.
	r = Evaluate(context.Background(), []store.Assertion{{Type: "factuality", Value: "x"}}, 0, Input{Output: "x"}, Models{}).Results[0]
	if r.Pass || r.Reason != "factuality needs a grader model" {
		t.Fatalf("%+v", r)
	}
}
