package inlineedit

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// The tokenizer's BPE tables are compiled into the binary (the offline
// loader): counting tokens never reaches the network.
func init() { tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader()) }

// DefaultEncoding counts tokens for models tiktoken does not know (other
// providers' models, the demo model): an estimate, and said to be one.
const DefaultEncoding = "cl100k_base"

// EncodingFor names the tokenizer of a model, and whether it is the model's
// own (false: the DefaultEncoding estimate).
func EncodingFor(model string) (name string, exact bool) {
	model = strings.TrimSpace(model)
	if i := strings.LastIndex(model, "/"); i >= 0 { // "openai/gpt-4o"
		model = model[i+1:]
	}
	if e, ok := tiktoken.MODEL_TO_ENCODING[model]; ok {
		return e, true
	}
	best := ""
	for prefix, e := range tiktoken.MODEL_PREFIX_TO_ENCODING {
		if strings.HasPrefix(model, prefix) && len(prefix) > len(best) {
			best, name = prefix, e
		}
	}
	if best != "" {
		return name, true
	}
	return DefaultEncoding, false
}

// encoders holds the tokenizers loaded so far: each takes a second of CPU
// to build from its table, and it never changes, so a process builds each
// once (from a command, never in Update).
var encoders struct {
	sync.Mutex
	m map[string]*tiktoken.Tiktoken
}

// LoadEncoding returns the named tokenizer, building it on first use.
func LoadEncoding(name string) (*tiktoken.Tiktoken, error) {
	encoders.Lock()
	defer encoders.Unlock()
	if e, ok := encoders.m[name]; ok {
		return e, nil
	}
	e, err := tiktoken.GetEncoding(name)
	if err != nil {
		return nil, err
	}
	if encoders.m == nil {
		encoders.m = map[string]*tiktoken.Tiktoken{}
	}
	encoders.m[name] = e
	return e, nil
}

// Counter counts the tokens of a text in chunks of lines, remembering each
// chunk's count: a key press changes one chunk, so an update re-encodes a
// few lines, not the document. A chunk ends before a line that starts with
// a character other than white space: the tokenizers never merge a line
// break with such a character, so the sum is the whole text's count
// (TestCounterMatchesWholeText). Blank and indented lines stay with the
// line above them, where the tokenizer may merge the breaks.
type Counter struct {
	enc   *tiktoken.Tiktoken
	cache map[string]int
}

// NewCounter counts with enc.
func NewCounter(enc *tiktoken.Tiktoken) *Counter {
	return &Counter{enc: enc, cache: map[string]int{}}
}

// Count returns the tokens of lines (joined by line breaks).
func (c *Counter) Count(lines []string) int {
	if c == nil || c.enc == nil {
		return 0
	}
	if len(c.cache) > 4*len(lines)+1024 {
		c.cache = map[string]int{} // forget chunks long gone
	}
	n := 0
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(l)
		if i+1 < len(lines) {
			b.WriteByte('\n')
			if next := lines[i+1]; next == "" || startsWithSpace(next) {
				continue
			}
		}
		chunk := b.String()
		b.Reset()
		k, ok := c.cache[chunk]
		if !ok {
			k = len(c.enc.EncodeOrdinary(chunk))
			c.cache[chunk] = k
		}
		n += k
	}
	return n
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// Exact returns the whole text's count (for tests and small texts).
func (c *Counter) Exact(text string) int { return len(c.enc.EncodeOrdinary(text)) }
