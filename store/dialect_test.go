package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"
)

// A mustache version hashes as it did before dialects existed; the same
// text in another dialect is other content, so changing only the dialect
// commits a new version.
func TestDialectIsContentAndKeepsOldHashes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v1, err := s.Commit(ctx, CommitInput{Name: "p", Template: "Hi {{x}}"})
	if err != nil {
		t.Fatal(err)
	}
	old := sha256.Sum256([]byte(`{"kind":"text","template":"Hi {{x}}","config":{}}`))
	if v1.Hash != hex.EncodeToString(old[:]) || v1.Dialect != DialectMustache {
		t.Fatalf("mustache hash changed: %s (%s)", v1.Hash, v1.Dialect)
	}
	if _, err := s.Commit(ctx, CommitInput{Name: "p", Dialect: DialectMustache, Template: "Hi {{x}}"}); !errors.Is(err, ErrNoChange) {
		t.Fatalf("explicit mustache is the same content: %v", err)
	}
	v2, err := s.Commit(ctx, CommitInput{Name: "p", Dialect: DialectJinja2, Template: "Hi {{x}}"})
	if err != nil || v2.Number != 2 || v2.Hash == v1.Hash {
		t.Fatalf("a dialect change is a change: %+v %v", v2, err)
	}
	got, err := s.Version(ctx, "p", 2)
	if err != nil || got.Dialect != DialectJinja2 {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := s.Commit(ctx, CommitInput{Name: "p", Dialect: "liquid", Template: "x"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown dialect: %v", err)
	}

	// Export and import keep it.
	doc, err := s.Export(ctx, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Prompts[0].Versions[0].Dialect != "" || doc.Prompts[0].Versions[1].Dialect != DialectJinja2 {
		t.Fatalf("export: %+v", doc.Prompts[0].Versions)
	}
	b, _ := doc.JSON()
	path := filepath.Join(t.TempDir(), "x.json")
	if err := writeFileAtomic(path, b); err != nil {
		t.Fatal(err)
	}
	s2 := newStore(t)
	if _, err := s2.Import(ctx, path, "t"); err != nil {
		t.Fatal(err)
	}
	h, err := s2.History(ctx, "p")
	if err != nil || len(h) != 2 || h[0].Dialect != DialectJinja2 || h[0].Hash != v2.Hash || h[1].Hash != v1.Hash {
		t.Fatalf("import: %+v %v", h, err)
	}
}
