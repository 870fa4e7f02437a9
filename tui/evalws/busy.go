package evalws

// Busy is true until the tab's first read has arrived: the root holds the
// keys typed meanwhile for it (see tui/hold.go).
func (t *TestsTab) Busy() bool { return !t.loaded }

// Busy is true until the tab's first read has arrived.
func (t *RunsTab) Busy() bool { return !t.loaded }
