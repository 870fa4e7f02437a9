package common

import (
	"context"
	"errors"
	"fmt"

	"github.com/seed94f0f622/verso/store"
)

// CommitFunc commits an edit (the message typed) and reports the changes.
type CommitFunc func(ctx context.Context, message string) (string, []store.Change, error)

// GuardCommit wraps do with the rules every editor shares: an edit of base
// is refused (store.ErrConflict) when someone committed a version after
// opened, the latest number when the editor opened (so "edit from here" on
// an older version is no conflict), unless forced; a new prompt (base
// number 0) is refused when its name was taken meanwhile. nameHint says
// how this editor changes the name.
func GuardCommit(st *store.Store, do CommitFunc, base store.Version, opened int, name string, force bool, nameHint string) CommitFunc {
	return func(ctx context.Context, text string) (string, []store.Change, error) {
		latest, err := st.Lookup(ctx, name+"@latest")
		switch {
		case errors.Is(err, store.ErrNotFound) && base.Number == 0:
		case err != nil:
			return "", nil, err
		case base.Number == 0:
			return "", nil, fmt.Errorf("a prompt named %s was made while you edited: %s: %w", name, nameHint, store.ErrInvalid)
		case latest.Number != opened && !force:
			return "", nil, fmt.Errorf("%s is at v%d now (%s committed it while you edited v%d): ctrl+f commits on top anyway, or esc keeps your edit: %w",
				name, latest.Number, latest.Author, base.Number, store.ErrConflict)
		}
		return do(ctx, text)
	}
}
