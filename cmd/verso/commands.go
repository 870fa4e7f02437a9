package main

import "github.com/spf13/cobra"

// commands lists every subcommand. Each lives in its own file.
func commands(a *app) []*cobra.Command {
	return []*cobra.Command{
		newListCmd(a),
		newShowCmd(a),
		newCommitCmd(a),
		newHistoryCmd(a),
		newDiffCmd(a),
		newLabelCmd(a),
		newRollbackCmd(a),
		newLabelsCmd(a),
		newGateCmd(a),
		newExportCmd(a),
		newImportCmd(a),
		newCopyCmd(a),
		newVersionCmd(a),
		newEvalCmd(a), newSuiteCmd(a), newRunsCmd(a), newAssertionsCmd(a),
		newDemoCmd(a),
		newServeCmd(a), newIngestCmd(a), newStatsCmd(a), newEventsCmd(a),
		newRolloutCmd(a), newABCmd(a),
		// tui: the root command itself, and newDemoCmd(a)
	}
}
