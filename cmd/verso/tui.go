package main

import (
	"context"
	"errors"
)

// runTUI opens the interactive workbench on the database. demoURL is the
// base URL of a running demo model server ("" when none).
func (a *app) runTUI(ctx context.Context, demoURL string) error {
	return errors.New("the TUI is being wired up")
}
