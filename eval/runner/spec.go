package runner

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
)

// Spec is what a stored run was made with, read from its columns and the
// runner's settings: UIs read it instead of decoding the settings.
type Spec struct {
	Versions    []int
	Models      []string        // "provider/model"
	Columns     []report.Column // (version, model) pairs, in order
	Repeat      int
	Concurrency int
	NoCache     bool
	Stream      bool
	Timeout     time.Duration // per call; 0 = the provider default
}

// ReadSpec reads a stored run's spec. A run whose settings this runner did
// not write (no columns) cannot be resumed: the error says so.
func ReadSpec(r store.Run) (Spec, error) {
	sp := Spec{Versions: r.Versions, Models: r.Models, Repeat: max(1, r.Repeat)}
	var set settings
	if err := json.Unmarshal(r.Settings, &set); err != nil || len(set.Columns) == 0 {
		return sp, fmt.Errorf("run %d was not made by this engine and cannot be resumed", r.ID)
	}
	sp.Columns = set.Columns
	sp.Concurrency, sp.NoCache, sp.Stream = set.Concurrency, set.NoCache, set.Stream
	sp.Timeout = time.Duration(set.TimeoutMS) * time.Millisecond
	return sp, nil
}
