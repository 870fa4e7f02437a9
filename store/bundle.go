package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// BundleVersion is one version to import, with the labels it should hold.
type BundleVersion struct {
	CommitInput
	Labels []string
}

// Bundle is what an import from another format writes: versions (in order,
// per prompt) and suites, in one transaction.
type Bundle struct {
	Versions []BundleVersion
	Suites   []Suite // Prompt names the prompt; Name the suite ("default" when empty)
	Actor    string
	Reason   string // for label moves, e.g. "import from promptfooconfig.yaml"
}

// BundleReport says what ApplyBundle changed.
type BundleReport struct {
	Created   int      // versions committed
	Unchanged int      // versions whose content (hash) the prompt already had
	Labels    int      // labels moved
	Suites    int      // suites written
	Cases     int      // cases written
	Lines     []string // one line per change
}

// ApplyBundle writes a bundle all or nothing. A version whose content is
// already a version of its prompt is not committed again (its labels move
// to that version), so importing the same file twice changes nothing.
func (s *Store) ApplyBundle(ctx context.Context, b Bundle) (BundleReport, error) {
	var rep BundleReport
	for i := range b.Versions {
		if err := b.Versions[i].normalize(); err != nil {
			return rep, err
		}
	}
	for _, su := range b.Suites {
		if err := ValidName(su.Prompt); err != nil {
			return rep, err
		}
	}
	err := s.tx(ctx, "import", func(tx *sql.Tx) error {
		rep = BundleReport{}
		for _, bv := range b.Versions {
			in := bv.CommitInput
			hash, err := contentHash(in.Kind, in.Dialect, in.Template, in.Messages, in.Config)
			if err != nil {
				return err
			}
			var have int
			err = tx.QueryRowContext(ctx, `SELECT v.number FROM versions v JOIN prompts p ON p.id = v.prompt_id WHERE p.name = ? AND v.content_hash = ?
				ORDER BY v.number DESC LIMIT 1`, in.Name, hash).Scan(&have)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if have == 0 {
				v, err := s.commitTx(ctx, tx, in)
				if err != nil {
					return fmt.Errorf("%s: %w", in.Name, err)
				}
				have = v.Number
				rep.Created++
				rep.Lines = append(rep.Lines, fmt.Sprintf("%s: committed v%d", in.Name, have))
			} else {
				rep.Unchanged++
			}
			for _, l := range bv.Labels {
				if l == "latest" {
					continue
				}
				_, err := s.setLabelTx(ctx, tx, LabelInput{Prompt: in.Name, Label: l, Version: have, Actor: b.Actor, Reason: b.Reason})
				if errors.Is(err, ErrNoChange) {
					continue
				}
				if err != nil {
					return err
				}
				rep.Labels++
				rep.Lines = append(rep.Lines, fmt.Sprintf("%s: %s -> v%d", in.Name, l, have))
			}
		}
		for _, su := range b.Suites {
			su.Name = strings.TrimSpace(su.Name)
			if su.Name == "" {
				su.Name = "default"
			}
			saved, err := s.saveSuiteTx(ctx, tx, su.Prompt, su)
			if err != nil {
				return fmt.Errorf("suite %s of %s: %w", su.Name, su.Prompt, err)
			}
			rep.Suites++
			rep.Cases += len(saved.Cases)
			rep.Lines = append(rep.Lines, fmt.Sprintf("%s: suite %s with %d cases", su.Prompt, saved.Name, len(saved.Cases)))
		}
		return nil
	})
	return rep, err
}
