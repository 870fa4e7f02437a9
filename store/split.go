package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Splits (DESIGN section 9): a label points at one version or at a split of
// up to MaxArms versions with integer weights summing to 100. A unit key
// (user id, session id) and the split's salt hash to a bucket in
// [0, Buckets); the arms own consecutive bucket ranges in ascending version
// order, each Weight*100 buckets wide. Moving weight between two arms only
// moves the units of the buckets between them from one to the other, so a
// rollout that raises the new version's share step by step never sends a
// unit back to the old version.

// Buckets is the number of assignment buckets (a weight of 1 % is 100).
const Buckets = 10000

// MaxArms is the largest number of versions a split may hold.
const MaxArms = 4

// Arm is one version of a split and its share of the traffic in percent.
type Arm struct {
	Version int `json:"version" yaml:"version"`
	Weight  int `json:"weight" yaml:"weight"`
}

// Split is what a split label points at. Arms are kept in ascending version
// order (the bucket layout); Salt is chosen when a label first becomes a
// split and kept while it stays one, so units keep their arm when the
// weights change; UnitKey names what the application hashes (user_id,
// session_id): documentation for the application, not used by the store.
type Split struct {
	Arms    []Arm  `json:"arms" yaml:"arms"`
	Salt    string `json:"salt" yaml:"salt"`
	UnitKey string `json:"unit_key,omitempty" yaml:"unit_key,omitempty"`
}

// SplitProblem says what is wrong with a split.
type SplitProblem string

// Problems a split can have.
const (
	SplitWeights     SplitProblem = "weights"      // weights do not sum to 100, or one is not 1..99
	SplitDuplicate   SplitProblem = "duplicate"    // a version appears twice
	SplitNoVersion   SplitProblem = "no version"   // a version does not exist
	SplitTooManyArms SplitProblem = "too many"     // more than MaxArms
	SplitTooFewArms  SplitProblem = "too few"      // fewer than 2 arms
	SplitSyntax      SplitProblem = "syntax"       // not V=W,V=W
	SplitOnLatest    SplitProblem = "latest"       // latest cannot be split
	SplitBadSalt     SplitProblem = "salt"         // salt or unit key not printable ASCII
	SplitRollout     SplitProblem = "rollout busy" // a rollout owns the label
)

// SplitError refuses a split. It is ErrInvalid for errors.Is (a missing
// version is ErrNotFound too; a split on latest is ErrLatestLabel too).
type SplitError struct {
	Problem SplitProblem
	Split   string // the split as given
	msg     string
}

func (e *SplitError) Error() string { return e.msg }

// Is makes errors.Is(err, ErrInvalid) true, and ErrNotFound for a missing
// version, ErrLatestLabel for a split on latest.
func (e *SplitError) Is(target error) bool {
	switch target {
	case ErrInvalid:
		return true
	case ErrNotFound:
		return e.Problem == SplitNoVersion
	case ErrLatestLabel:
		return e.Problem == SplitOnLatest
	case ErrConflict:
		return e.Problem == SplitRollout
	}
	return false
}

func splitErr(p SplitProblem, split, format string, args ...any) *SplitError {
	return &SplitError{Problem: p, Split: split, msg: fmt.Sprintf(format, args...)}
}

// ParseSplit reads "3=90,5=10" (VERSION=WEIGHT, the version as 3 or v3).
// It checks the shape (see Split.Check); the versions' existence is
// checked when the split is written.
func ParseSplit(text string) (Split, error) {
	var s Split
	t := strings.TrimSpace(text)
	if t == "" {
		return s, splitErr(SplitSyntax, text, "empty split: give VERSION=WEIGHT pairs such as 3=90,5=10")
	}
	for _, part := range strings.Split(t, ",") {
		v, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		ver, verr := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(v), "v"))
		wt, werr := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(w), "%"))
		if !ok || verr != nil || werr != nil {
			return s, splitErr(SplitSyntax, text, "split %q: %q is not VERSION=WEIGHT (e.g. 3=90,5=10)", text, part)
		}
		s.Arms = append(s.Arms, Arm{Version: ver, Weight: wt})
	}
	return s, s.Check()
}

// Check validates a split's shape: 2 to MaxArms arms, distinct versions
// from 1, weights from 1 to 99 summing to 100. It sorts the arms.
func (s *Split) Check() error {
	text := s.String()
	if len(s.Arms) > MaxArms {
		return splitErr(SplitTooManyArms, text, "split %s has %d arms: at most %d versions can share a label", text, len(s.Arms), MaxArms)
	}
	if len(s.Arms) < 2 {
		return splitErr(SplitTooFewArms, text, "split %s has one arm: a split needs 2 to %d versions (point the label at one version instead)", text, MaxArms)
	}
	slices.SortFunc(s.Arms, func(a, b Arm) int { return a.Version - b.Version })
	sum := 0
	for i, a := range s.Arms {
		if a.Version < 1 {
			return splitErr(SplitSyntax, text, "split %s: version %d: versions start at 1", text, a.Version)
		}
		if i > 0 && s.Arms[i-1].Version == a.Version {
			return splitErr(SplitDuplicate, text, "split %s names v%d twice: give each version once", text, a.Version)
		}
		if a.Weight < 1 || a.Weight > 99 {
			return splitErr(SplitWeights, text, "split %s: v%d has weight %d: each weight is a whole percent from 1 to 99", text, a.Version, a.Weight)
		}
		sum += a.Weight
	}
	if sum != 100 {
		return splitErr(SplitWeights, text, "split %s: the weights sum to %d, not 100", text, sum)
	}
	for _, f := range []struct{ name, v string }{{"salt", s.Salt}, {"unit key", s.UnitKey}} {
		if len(f.v) > 64 || strings.IndexFunc(f.v, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return splitErr(SplitBadSalt, text, "split %s: the %s %q must be at most 64 printable ASCII characters without spaces", text, f.name, f.v)
		}
	}
	return nil
}

// String is the split as "3=90,5=10" (arms in their order).
func (s Split) String() string {
	parts := make([]string, len(s.Arms))
	for i, a := range s.Arms {
		parts[i] = fmt.Sprintf("%d=%d", a.Version, a.Weight)
	}
	return strings.Join(parts, ",")
}

// Has reports whether v is one of the split's versions.
func (s *Split) Has(v int) bool {
	if s == nil {
		return false
	}
	for _, a := range s.Arms {
		if a.Version == v {
			return true
		}
	}
	return false
}

// Weight returns v's weight (0 when v is not an arm).
func (s *Split) Weight(v int) int {
	for _, a := range s.Arms {
		if a.Version == v {
			return a.Weight
		}
	}
	return 0
}

// Major is the version with the largest weight (the lowest version on a
// tie): what the labels table's version column holds for readers that do
// not know splits.
func (s Split) Major() int {
	best := Arm{}
	for _, a := range s.Arms {
		if a.Weight > best.Weight {
			best = a
		}
	}
	return best.Version
}

// Bucket is the assignment bucket of a unit key under a salt: the first 8
// bytes of SHA-256(salt + ":" + unit), read as a big-endian unsigned 64-bit
// integer, modulo 10000. The README gives test vectors.
func Bucket(salt, unit string) int {
	h := sha256.New()
	h.Write([]byte(salt))
	h.Write([]byte{':'})
	h.Write([]byte(unit))
	var sum [sha256.Size]byte
	return int(binary.BigEndian.Uint64(h.Sum(sum[:0])[:8]) % Buckets)
}

// ArmOf returns the arm that owns a bucket: arms own consecutive ranges in
// their (ascending version) order, each Weight*100 buckets wide.
func (s Split) ArmOf(bucket int) Arm {
	end := 0
	for _, a := range s.Arms {
		end += a.Weight * (Buckets / 100)
		if bucket < end {
			return a
		}
	}
	return s.Arms[len(s.Arms)-1]
}

// Assign returns the arm of a unit key; no key ("") draws a random arm.
func (s Split) Assign(unit string) Arm {
	if unit == "" {
		return s.ArmOf(mrand.IntN(Buckets))
	}
	return s.ArmOf(Bucket(s.Salt, unit))
}

// ArmName is the name events and stats use for the arm of version v.
func ArmName(v int) string { return "v" + strconv.Itoa(v) }

func newSalt() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// encodeSplit is the text kept in labels.split and label_events'
// from_split/to_split (nil: the label is whole).
func encodeSplit(s *Split) any {
	if s == nil {
		return nil
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func decodeSplit(raw *string) (*Split, error) {
	if raw == nil || *raw == "" {
		return nil, nil
	}
	var s Split
	if err := json.Unmarshal([]byte(*raw), &s); err != nil {
		return nil, fmt.Errorf("stored split %q: %v: %w", *raw, err, ErrCorrupt)
	}
	if len(s.Arms) == 0 {
		return nil, errors.New("stored split without arms")
	}
	return &s, nil
}

// sameTarget reports whether a label whole on version v (split nil) or on
// split sp is the same as whole on v2 / split sp2 (salt and unit key
// included).
func sameTarget(v int, sp *Split, v2 int, sp2 *Split) bool {
	if sp == nil || sp2 == nil {
		return sp == nil && sp2 == nil && v == v2
	}
	return sp.String() == sp2.String() && sp.Salt == sp2.Salt && sp.UnitKey == sp2.UnitKey
}
