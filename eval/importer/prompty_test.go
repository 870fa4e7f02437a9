package importer

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestPromptyOutputs: Prompty's outputs become the response format its
// runtimes send for them (a strict json_schema named structured_output,
// every field listed as required, a field not marked required nullable),
// instead of being skipped; a union written with oneOf, which Prompty's
// runtimes refuse for OpenAI, is named.
// The export gives the same version back.
func TestPromptyOutputs(t *testing.T) {
	path := filepath.Join("testdata", "prompty", "invoice.prompty")
	p := read(t, path, Options{})
	got, _ := json.Marshal(p.Versions[0].Config.ResponseFormat)
	want := `{"json_schema":{"name":"structured_output","schema":{"additionalProperties":false,"properties":{` +
		`"due":{"type":["string","null"]},` +
		`"lines":{"items":{"additionalProperties":false,"properties":{"currency":{"enum":["EUR","USD",null],"type":["string","null"]},"label":{"type":"string"}},"required":["label","currency"],"type":"object"},"type":["array","null"]},` +
		`"reference":{"anyOf":[{"type":"string"},{"type":"integer"}]},` +
		`"total":{"type":"number"},` +
		`"vendor":{"description":"Who sent the invoice","type":"string"}},` +
		`"required":["vendor","total","due","reference","lines"],"type":"object"},"strict":true},"type":"json_schema"}`
	if string(got) != want {
		t.Fatalf("response format:\n got %s\nwant %s", got, want)
	}
	mustFail(t, filepath.Join("testdata", "prompty", "union.prompty"), Options{}, "union.prompty: outputs: outputs answer: kind union with oneOf: Prompty's runtimes refuse it too for OpenAI's structured output; use anyOf")

	st := openStore(t)
	if _, err := p.Apply(context.Background(), st, "t"); err != nil {
		t.Fatal(err)
	}
	dst := roundTrip(t, st, Prompty, "")
	sameVersions(t, st, dst, "invoice")
	sameSuite(t, st, dst, "invoice", SamplesSuite)
}
