package inlineedit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// Draft is unsaved work of the inline editor, kept in a file under the
// user's state directory ($XDG_STATE_HOME/verso/drafts, else
// ~/.local/state/verso/drafts), readable by the user only: it is written a
// moment after each change and when the program quits, and offered the
// next time the same prompt of the same registry is opened in the editor.
type Draft struct {
	DB       string          `json:"db"`
	Prompt   string          `json:"prompt"` // "" = a new prompt
	Base     int             `json:"base"`   // the version the edit started from
	Saved    time.Time       `json:"saved"`
	Name     string          `json:"name"`
	Kind     store.Kind      `json:"kind"`
	Template string          `json:"template,omitempty"`
	Messages []store.Message `json:"messages,omitempty"`
	Config   store.Config    `json:"config"`
}

// DraftDir is where drafts live.
func DraftDir(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "verso", "drafts")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		return filepath.Join(os.TempDir(), "verso-drafts")
	}
	return filepath.Join(home, ".local", "state", "verso", "drafts")
}

// DraftPath is the file of one prompt's draft in one registry.
func DraftPath(dir, db, prompt string) string {
	sum := sha256.Sum256([]byte(db + "\x00" + prompt))
	return filepath.Join(dir, hex.EncodeToString(sum[:12])+".json")
}

// SaveDraft writes d (0600, through a temp file and a rename, so a crash
// never leaves half a draft).
func SaveDraft(path string, d Draft) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".draft-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// LoadDraft reads a draft; ok is false when there is none.
func LoadDraft(path string) (d Draft, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Draft{}, false, nil
	}
	if err != nil {
		return Draft{}, false, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return Draft{}, false, err
	}
	return d, true, nil
}

// RemoveDraft deletes a draft (committed or discarded).
func RemoveDraft(path string) error {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
