// Package evalws is the eval workspace of the TUI: the Tests and Runs tabs
// of the prompt view, the new-run form, the results matrix of a run (live
// or stored), a cell's detail and the comparison of two runs.
//
// The root calls the constructors (NewTestsTab, NewRunsTab, NewRunForm,
// OpenRun, CompareRuns); screens here push each other directly (same
// package) and open the shared flows with the messages of tui/common
// (OpenDiffMsg to compare two outputs, PromoteMsg to promote a column).
//
// A run started here (the form's enter, the matrix's R) runs in the
// background with runner.Options{Stream: true}; its events go to a small
// registry (live.go) that every matrix showing the run attaches to with its
// own runner.Feed, read with one Feed.Next per command and at most ~30
// batches a second. Update never blocks.
//
// ctrl+c: while a run is live on the top screen, the matrix's Running()
// reports true and the root must deliver ctrl+c to the screen, which
// cancels the run (results kept; R resumes it). Otherwise ctrl+c quits.
package evalws
