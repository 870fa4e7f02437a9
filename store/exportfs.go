package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/seed94f0f622/verso/store/strict"
)

// A shared export is untrusted input, and a directory export writes files
// named after prompts. The rules here keep both inside their folder:
//
//   - every name is checked with ValidName (no empty, "." or ".." segment),
//     so a name is a path below the folder and two names never share a file;
//   - nothing is written through a symbolic link, file or folder, and no
//     file is read through one;
//   - an existing file is replaced only when it is this prompt's export;
//   - a file in the folder that is not a prompt file is refused by name.

// dirFile is where a prompt lives in a directory export, relative to its
// root, with '/' separators: support/reply -> support/reply.yaml.
func dirFile(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	return name + ".yaml", nil
}

// WriteDir writes one YAML file per prompt under dir (folders kept:
// support/reply -> dir/support/reply.yaml) and returns how many files it
// wrote. Every name is checked before anything is written; it refuses to
// write through a symbolic link or over a file that is not this prompt's
// export. Files of prompts that are no longer in the export are left alone.
func (d ExportDoc) WriteDir(dir string) (int, error) {
	files := make([]string, len(d.Prompts))
	seen := map[string]string{}
	for i, p := range d.Prompts {
		f, err := dirFile(p.Name)
		if err != nil {
			return 0, fmt.Errorf("export %s: %w", quoteName(p.Name), err)
		}
		if other, ok := seen[f]; ok {
			return 0, fmt.Errorf("export: prompts %s and %s would both be written to %s: %w", quoteName(other), quoteName(p.Name), f, ErrInvalid)
		}
		seen[f] = p.Name
		files[i] = f
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer root.Close()
	// Check every target before writing any, so a refused export writes
	// nothing.
	for i, p := range d.Prompts {
		if err := checkTarget(root, dir, files[i], p.Name); err != nil {
			return 0, err
		}
	}
	n := 0
	for i, p := range d.Prompts {
		b, err := marshalYAML(p)
		if err != nil {
			return n, fmt.Errorf("export %s: %w", p.Name, err)
		}
		if err := mkdirsIn(root, dir, path.Dir(files[i])); err != nil {
			return n, err
		}
		if err := writeInRoot(root, files[i], b); err != nil {
			return n, fmt.Errorf("export %s: %w", p.Name, err)
		}
		n++
	}
	return n, nil
}

// checkTarget refuses a target that goes through a symbolic link, is not a
// regular file, or is a file that is not the export of the prompt name.
func checkTarget(root *os.Root, dir, file, name string) error {
	parts := strings.Split(file, "/")
	for i := range parts {
		rel := strings.Join(parts[:i+1], "/")
		fi, err := root.Lstat(filepath.FromSlash(rel))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("export %s: %w", name, err)
		}
		full := filepath.Join(dir, filepath.FromSlash(rel))
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("export %s: %s is a symbolic link: refusing to write through it; remove it or export to another folder: %w", name, full, ErrInvalid)
		case i < len(parts)-1 && !fi.IsDir():
			return fmt.Errorf("export %s: %s is a file, not a folder: %w", name, full, ErrInvalid)
		case i == len(parts)-1 && !fi.Mode().IsRegular():
			return fmt.Errorf("export %s: %s exists and is not a regular file: %w", name, full, ErrInvalid)
		case i == len(parts)-1:
			if got := promptFileName(root, file); got != name {
				return fmt.Errorf("export %s: %s exists and is not this prompt's export: move it away or export to an empty folder: %w", name, full, ErrInvalid)
			}
		}
	}
	return nil
}

// promptFileName is the name a prompt file declares ("" when the file is
// not a prompt file).
func promptFileName(root *os.Root, file string) string {
	f, err := root.Open(filepath.FromSlash(file))
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxImportFile))
	if err != nil {
		return ""
	}
	var p ExportPrompt
	if strict.YAML(b, &p) != nil || len(p.Versions) == 0 {
		return ""
	}
	return p.Name
}

// mkdirsIn creates the folders of rel (a '/' path) inside root, refusing a
// symbolic link on the way.
func mkdirsIn(root *os.Root, dir, rel string) error {
	if rel == "." || rel == "" {
		return nil
	}
	parts := strings.Split(rel, "/")
	for i := range parts {
		sub := filepath.FromSlash(strings.Join(parts[:i+1], "/"))
		fi, err := root.Lstat(sub)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := root.Mkdir(sub, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("export: %w", err)
			}
		case err != nil:
			return fmt.Errorf("export: %w", err)
		case fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir():
			return fmt.Errorf("export: %s is not a folder (a symbolic link or a file): refusing to write through it: %w", filepath.Join(dir, sub), ErrInvalid)
		}
	}
	return nil
}

// writeInRoot writes file inside root through a temporary file and a
// rename, so a reader never sees half a file. The file is 0644: an export
// is meant to be shared.
func writeInRoot(root *os.Root, file string, b []byte) error {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(filepath.FromSlash(file)), ".verso-"+hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, filepath.FromSlash(file))
	}
	if err != nil {
		root.Remove(tmp)
	}
	return err
}

// maxImportFile bounds one file of an import (a whole export document).
const maxImportFile = 1 << 30

// readImport reads an export file or directory into prompts.
func readImport(p string) ([]ExportPrompt, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", p, notExist(err))
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("import %s: not a regular file: %w", p, ErrInvalid)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p, err)
		}
		return decodeImportFile(p, b)
	}
	return readImportDir(p)
}

// decodeImportFile reads one export document, or one prompt file of a
// directory export.
func decodeImportFile(p string, b []byte) ([]ExportPrompt, error) {
	// Which shape is it? Read the top-level keys only (duplicates and bad
	// UTF-8 are refused here already).
	var top map[string]any
	if err := strict.Decode(p, b, &top); err != nil {
		return nil, fmt.Errorf("import %s: %s: %w", p, err.Error(), ErrInvalid)
	}
	_, isDoc := top["verso_export"]
	_, hasPrompts := top["prompts"]
	_, isPrompt := top["versions"]
	switch {
	case isDoc || hasPrompts:
		var doc ExportDoc
		if err := strict.Decode(p, b, &doc); err != nil {
			return nil, fmt.Errorf("import %s: %s: %w", p, err.Error(), ErrInvalid)
		}
		if doc.Format > ExportFormat {
			return nil, fmt.Errorf("import %s: export format %d is newer than this verso's %d: upgrade verso: %w", p, doc.Format, ExportFormat, ErrTooNew)
		}
		seen := map[string]bool{}
		for _, ep := range doc.Prompts {
			if seen[ep.Name] {
				return nil, fmt.Errorf("import %s: prompt %s appears twice: keep one: %w", p, quoteName(ep.Name), ErrInvalid)
			}
			seen[ep.Name] = true
		}
		return doc.Prompts, nil
	case isPrompt:
		ep, err := decodePromptFile(p, b)
		if err != nil {
			return nil, err
		}
		if ep.Name == "" {
			return nil, fmt.Errorf("import %s: the prompt file has no name: %w", p, ErrInvalid)
		}
		return []ExportPrompt{ep}, nil
	}
	return nil, fmt.Errorf("import %s: not a Verso export (expected verso_export and prompts, or a prompt file with name and versions): %w", p, ErrInvalid)
}

func decodePromptFile(p string, b []byte) (ExportPrompt, error) {
	var ep ExportPrompt
	if err := strict.Decode(p, b, &ep); err != nil {
		return ep, fmt.Errorf("import %s: %s: %w", p, err.Error(), ErrInvalid)
	}
	if len(ep.Versions) == 0 {
		return ep, fmt.Errorf("import %s: not a Verso prompt file (it has no versions): move it out of the folder: %w", p, ErrInvalid)
	}
	return ep, nil
}

// readImportDir reads a directory export: every .yaml, .yml and .json file
// below it is a prompt file. Hidden files and folders (.git, .github) are
// skipped; a symbolic link, a special file or a file that is not a prompt
// file is refused by name.
func readImportDir(dir string) ([]ExportPrompt, error) {
	var out []ExportPrompt
	from := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		isPromptFile := ext == ".yaml" || ext == ".yml" || ext == ".json"
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: import reads only files inside the folder; copy the file in instead: %w", p, ErrInvalid)
		case d.IsDir():
			return nil
		case !isPromptFile:
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file: %w", p, ErrInvalid)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		ep, err := decodePromptFile(p, b)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if ep.Name == "" {
			ep.Name = strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel))
		}
		if other, ok := from[ep.Name]; ok {
			return fmt.Errorf("prompt %s is in both %s and %s: keep one: %w", quoteName(ep.Name), other, p, ErrInvalid)
		}
		from[ep.Name] = p
		out = append(out, ep)
		return nil
	})
	if err != nil {
		if strings.HasPrefix(err.Error(), "import ") {
			return nil, err
		}
		return nil, fmt.Errorf("import %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
