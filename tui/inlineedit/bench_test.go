package inlineedit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// bigPrompt is a 5,000-line template: paragraphs of prose with variables.
func bigPrompt() string {
	var b strings.Builder
	for i := range 5000 {
		if i%6 == 5 {
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(&b, "Line %d tells {{customer}} about the refund policy of {{company}} in a sentence long enough to wrap.\n", i)
	}
	return b.String()
}

func benchEditor(b *testing.B) *Model {
	st, _ := ct.OpenStore(b)
	c := ct.NewCommon(b, st, ct.Dark())
	base := store.Version{Prompt: "big/prompt", Number: 1, Kind: store.KindText, Template: bigPrompt(), Config: store.Config{Model: "gpt-4o-mini"}}
	m := New(c, base, Options{})
	m.SetSize(140, 40)
	enc, err := LoadEncoding("o200k_base")
	if err != nil {
		b.Fatal(err)
	}
	m.Update(encoderMsg{To: m.to(), name: m.encName, enc: enc})
	for range 2500 { // the middle of the document
		m.area.Down()
	}
	return m
}

// BenchmarkKeystroke is a key typed in the middle of a 5,000-line prompt
// until the frame is drawn: Update (edit, token count) and View.
func BenchmarkKeystroke(b *testing.B) {
	m := benchEditor(b)
	keys := ct.Type("refund ")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(keys[i%len(keys)])
		_ = m.View()
	}
}

// BenchmarkTokenCount is the token count after one key in a 5,000-line
// prompt.
func BenchmarkTokenCount(b *testing.B) {
	m := benchEditor(b)
	keys := ct.Type("refund ")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m.area.Insert(keys[i%len(keys)].(interface{ String() string }).String())
		b.StartTimer()
		m.count()
	}
}
