package promptview

// Keys typed while the tab in view is still reading (a "j" right after
// "enter 2") wait for it, as the root holds keys for any busy screen: a
// cursor never moves over rows that have not arrived.

type busyTab interface{ Busy() bool }

// Busy is true while the active tab has not loaded yet.
func (m *Model) Busy() bool {
	b, ok := m.tabs[m.active].(busyTab)
	return ok && b.Busy()
}

func (t *history) Busy() bool { return !t.loaded && t.err == nil }

func (t *labels) Busy() bool { return !t.loaded && t.err == nil }

// Busy is true until the version has arrived: "e" or "p" typed as the
// prompt opens act on it instead of being dropped.
func (t *content) Busy() bool { return t.v.Number == 0 && t.err == nil }
