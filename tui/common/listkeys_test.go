package common_test

import (
	"testing"

	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func TestListKeysMove(t *testing.T) {
	k := common.DefaultListKeys()
	for _, tc := range []struct {
		key                   string
		cursor, n, page, want int
	}{
		{"j", 0, 5, 3, 1}, {"j", 4, 5, 3, 4}, {"k", 0, 5, 3, 0}, {"k", 3, 5, 3, 2},
		{"pgdown", 1, 5, 3, 4}, {"pgdown", 3, 5, 3, 4}, {"pgup", 4, 5, 3, 1}, {"pgup", 1, 5, 3, 0},
		{"g", 3, 5, 3, 0}, {"G", 0, 5, 3, 4}, {"home", 3, 5, 3, 0}, {"end", 0, 5, 3, 4},
		{"j", 0, 0, 3, 0}, {"G", 0, 0, 3, 0}, // an empty list keeps the cursor at 0
	} {
		got, ok := k.Move(ct.Key(tc.key), tc.cursor, tc.n, tc.page)
		if !ok || got != tc.want {
			t.Errorf("%s from %d of %d: got %d (%v), want %d", tc.key, tc.cursor, tc.n, got, ok, tc.want)
		}
	}
	if c, ok := k.Move(ct.Key("x"), 2, 5, 3); ok || c != 2 {
		t.Errorf("x moved the cursor to %d (%v)", c, ok)
	}
}
