package store

import (
	"context"
	"testing"
)

// TestSaveSuiteKeepsCaseIDs: saving a suite again gives its cases the ids
// of the rows they replace, position by position, so a run's results
// (which name cases by id) still match, on both backends; a longer suite
// adds ids, a shorter one drops the last.
func TestSaveSuiteKeepsCaseIDs(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	commit(t, st, "p", "x {{a}}")
	commit(t, st, "q", "y {{a}}")
	first, err := st.SaveSuite(ctx, "p", Suite{Name: "default", Cases: []Case{{Name: "a"}, {Name: "b"}, {Name: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Another suite's cases come between (SQLite would not reuse ids then).
	if _, err := st.SaveSuite(ctx, "q", Suite{Name: "default", Cases: []Case{{Name: "z"}}}); err != nil {
		t.Fatal(err)
	}
	again, err := st.SaveSuite(ctx, "p", Suite{Name: "default", Cases: []Case{{Name: "a"}, {Name: "b2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Cases[0].ID != first.Cases[0].ID || again.Cases[1].ID != first.Cases[1].ID {
		t.Fatalf("ids %d,%d, want %d,%d", again.Cases[0].ID, again.Cases[1].ID, first.Cases[0].ID, first.Cases[1].ID)
	}
	read, err := st.Suite(ctx, "p", "default")
	if err != nil || len(read.Cases) != 2 || read.Cases[1].Name != "b2" || read.Cases[1].ID != first.Cases[1].ID {
		t.Fatalf("read back: %+v %v", read.Cases, err)
	}
	longer, err := st.SaveSuite(ctx, "p", Suite{Name: "default", Cases: []Case{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}}})
	if err != nil {
		t.Fatal(err)
	}
	if longer.Cases[1].ID != first.Cases[1].ID || longer.Cases[3].ID == first.Cases[2].ID || HashSuite(longer) == HashSuite(again) {
		t.Fatalf("longer suite: %+v", longer.Cases)
	}
}
