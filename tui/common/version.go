package common

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/seed94f0f622/verso/store"
)

// ConfigSummary describes a model config in one line:
// "gpt-4o-mini · temperature 0.2 · max_tokens 300". Empty when unset.
func ConfigSummary(c store.Config) string {
	var parts []string
	if c.Model != "" {
		parts = append(parts, c.Model)
	}
	if c.Temperature != nil {
		parts = append(parts, "temperature "+strconv.FormatFloat(*c.Temperature, 'g', -1, 64))
	}
	if c.MaxTokens > 0 {
		parts = append(parts, fmt.Sprintf("max_tokens %d", c.MaxTokens))
	}
	if c.TopP != nil {
		parts = append(parts, "top_p "+strconv.FormatFloat(*c.TopP, 'g', -1, 64))
	}
	if len(c.Stop) > 0 {
		parts = append(parts, fmt.Sprintf("stop %q", c.Stop))
	}
	if c.Seed != nil {
		parts = append(parts, fmt.Sprintf("seed %d", *c.Seed))
	}
	if c.ResponseFormat != nil {
		b, _ := json.Marshal(c.ResponseFormat)
		parts = append(parts, "response_format "+Trunc(string(b), 40))
	}
	if len(c.Tools) > 0 {
		parts = append(parts, fmt.Sprintf("%d tools", len(c.Tools)))
	}
	return CleanLine(strings.Join(parts, " · "))
}
