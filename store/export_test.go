package store

import (
	"context"
	"database/sql"
	"time"
)

// SeedArmRollups writes the minute rollups that events of a label's arms
// would have written: for each minute from since to until, requests calls
// per version (the last gets errRate2 errors, the others errRate1), with
// latencies of 400-600 ms and a cost of $0.001 each. Benchmarks of `verso
// ab` and `rollout check` use it: recording millions of events one by one
// would make their setup the benchmark.
func SeedArmRollups(st *Store, prompt, label string, versions []int, since, until time.Time, requests int64, errRate1, errRate2 float64) error {
	ctx := context.Background()
	return st.tx(ctx, "seed rollups", func(tx *sql.Tx) error {
		it, err := st.newIngestTx(ctx, tx)
		if err != nil {
			return err
		}
		defer it.close()
		pid, err := it.prompt(prompt, versions[len(versions)-1])
		if err != nil {
			return err
		}
		lid, err := it.str(label)
		if err != nil {
			return err
		}
		rolls := map[rollKey]*rollAgg{}
		for m := floorDiv(since.UnixMilli(), 60_000); m < floorDiv(until.UnixMilli(), 60_000); m++ {
			for i, v := range versions {
				arm, err := it.str(ArmName(v))
				if err != nil {
					return err
				}
				rate := errRate1
				if i == len(versions)-1 {
					rate = errRate2
				}
				a := &rollAgg{requests: requests, errors: int64(float64(requests)*rate + 0.5), latency: 500 * requests,
					cost: 1_000_000 * requests, costSq: 1e12 * float64(requests)}
				for j := range requests {
					a.hist.Add(400 + float64(j%200))
				}
				rolls[rollKey{pid, m, v, lid, arm, 0}] = a
			}
		}
		return mergeRollups(ctx, tx, rolls)
	})
}
