package editor

import "testing"

// FuzzFrontMatter: whatever the author saves (front matter, === role ===
// blocks, broken YAML) parses or is refused with an error, never a panic;
// a parsed file marshals back to one that parses to the same content.
func FuzzFrontMatter(f *testing.F) {
	for _, s := range []string{
		"---\nname: support/reply\nmodel: gpt-4o-mini\ntemperature: 0.2\n---\nHello {{name}}\n",
		"---\nname: a\n---\n=== system ===\nBe brief.\n=== user ===\n{{q}}\n",
		"---\nname: a\ntags: [x, y]\ndialect: jinja2\n---\n{% if x %}y{% endif %}",
		"---\n: bad\n---\n", "no front matter", "---\nname: a\n", "---\nname: a\n---\n=== robot ===\nx",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			return
		}
		d2, err := Parse(Marshal(d))
		if err != nil {
			t.Fatalf("marshalled %+v does not parse: %v", d, err)
		}
		if d2.Kind != d.Kind || d2.Name != d.Name {
			t.Fatalf("round trip changed the document: %+v -> %+v", d, d2)
		}
	})
}
