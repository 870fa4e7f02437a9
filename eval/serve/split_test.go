package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
)

func getJSON(t *testing.T, url string) PromptJSON {
	t.Helper()
	r := do(t, "GET", url, "", "")
	if r.code != 200 {
		t.Fatalf("GET %s: %d %s", url, r.code, r.body)
	}
	var p PromptJSON
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// unit= assigns the unit to the arm the documented hash gives it; the
// answer names the concrete version and the arm.
func TestGetPromptAssignsUnitsOfASplit(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	sp := store.Split{Arms: []store.Arm{{Version: 1, Weight: 70}, {Version: 2, Weight: 30}}, Salt: "serve-test"}
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "greet", Label: "production", Split: &sp, Force: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, st, Options{})
	seen := map[int]int{}
	for i := range 60 {
		unit := fmt.Sprint("user-", i)
		p := getJSON(t, base+"/v1/prompts/greet?unit="+unit)
		want := sp.ArmOf(store.Bucket("serve-test", unit)).Version
		if p.Version != want || p.Arm != store.ArmName(want) || p.Label != "production" {
			t.Fatalf("%s: got v%d arm %q label %q, want v%d", unit, p.Version, p.Arm, p.Label, want)
		}
		// the same unit again: the same arm (from the cache)
		if again := getJSON(t, base+"/v1/prompts/greet?unit="+unit); again.Version != p.Version {
			t.Fatalf("%s moved from v%d to v%d", unit, p.Version, again.Version)
		}
		seen[p.Version]++
	}
	if len(seen) != 2 {
		t.Fatalf("arms seen: %v", seen)
	}
	r := do(t, "POST", base+"/v1/prompts/greet/render?unit=user-1", "application/json", `{"variables":{"name":"Ada","place":"Oz"}}`)
	var out RenderJSON
	json.Unmarshal([]byte(r.body), &out)
	if want := sp.ArmOf(store.Bucket("serve-test", "user-1")).Version; r.code != 200 || out.Version != want || out.Arm != store.ArmName(want) {
		t.Fatalf("render: %d %s", r.code, r.body)
	}
}

// A rollout aborted while serve is resolving: no request that starts after
// the abort has committed is answered from the aborted arm, whether the
// abort is serve's own guard check or another process's.
func TestNoRequestFromAnAbortedArmAfterTheAbort(t *testing.T) {
	for _, by := range []string{"serve", "another process"} {
		t.Run(by, func(t *testing.T) {
			ctx := context.Background()
			st := fixture(t)
			if _, err := st.StartRollout(ctx, store.RolloutInput{Prompt: "greet", To: 2, Steps: []int{50, 100}, Every: time.Hour,
				Guards: []string{"error_rate<=+1pp"}, MinRequests: 50}); err != nil {
				t.Fatal(err)
			}
			var evs []store.Event
			for i := range 400 {
				v, err := st.ResolveUnit(ctx, "greet@production", fmt.Sprint("u", i))
				if err != nil {
					t.Fatal(err)
				}
				status := "ok"
				if v.Number == 2 && i%3 == 0 {
					status = "error"
				}
				evs = append(evs, store.Event{Prompt: "greet", Version: v.Number, Label: "production", Arm: v.Arm, Time: time.Now(), Status: status, LatencyMS: 100})
			}
			if _, err := st.RecordEvents(ctx, evs); err != nil {
				t.Fatal(err)
			}
			var committed atomic.Int64 // unix nanos after the abort returned
			// A cache that never looks at the file again: what serve answers after
			// the abort must not depend on when it last looked.
			base, srv := start(t, st, Options{GuardInterval: -1, CacheRefresh: time.Hour})
			var bad atomic.Int64
			var served atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						began := time.Now().UnixNano()
						p := getJSON(t, fmt.Sprintf("%s/v1/prompts/greet?unit=w%d-%d", base, w, i))
						served.Add(1)
						if c := committed.Load(); c != 0 && began > c && p.Version == 2 {
							bad.Add(1)
						}
					}
				}()
			}
			time.Sleep(100 * time.Millisecond)
			if by == "serve" {
				checks, err := srv.CheckRollouts(ctx)
				if err != nil || len(checks) != 1 || !checks[0].Aborted {
					t.Fatalf("serve's check: %+v %v", checks, err)
				}
			} else {
				other, err := store.Open(st.Path())
				if err != nil {
					t.Fatal(err)
				}
				defer other.Close()
				if _, err := other.ChangeRollout(ctx, "greet", "production", store.RolloutAbort, "ops", "by hand"); err != nil {
					t.Fatal(err)
				}
			}
			committed.Store(time.Now().UnixNano())
			time.Sleep(200 * time.Millisecond)
			close(stop)
			wg.Wait()
			if bad.Load() != 0 {
				t.Fatalf("%d of %d requests after the abort were answered from the aborted arm", bad.Load(), served.Load())
			}
			if p := getJSON(t, base+"/v1/prompts/greet?unit=anyone"); p.Version != 1 || p.Arm != "" {
				t.Fatalf("after the abort: v%d arm %q", p.Version, p.Arm)
			}
		})
	}
}
