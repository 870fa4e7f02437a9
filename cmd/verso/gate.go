package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/store"
)

// The gate is a team policy stored in the database, so every process and
// application sharing the file enforces the same one. A user's config file
// may only tighten it for that user (more protected labels, a higher pass
// rate): it can never loosen the shared policy, and it cannot change which
// suite counts as evidence.

func newGateCmd(a *app) *cobra.Command {
	var asJSON bool
	var protect, unprotect []string
	var minPass float64
	var suite string
	c := &cobra.Command{
		Use:   "gate",
		Short: "Show or set the eval gate: which labels need a passing eval run to move",
		Long: "A protected label (production by default) may only move to a version that has a finished eval run\n" +
			"on the prompt's gate suite, started after the version was made, with a pass rate at or above the minimum.\n" +
			"The gate is stored in the database: everyone who shares the file enforces the same policy.\n" +
			"The config file's gate: section can only add to it for you (more labels, a higher pass rate).\n" +
			"Without flags, verso gate shows the gate; with flags it changes it.",
		Example: "  verso gate\n  verso gate --protect production --protect eu --min-pass-rate 0.95 --suite default\n" +
			"  verso gate --unprotect eu\n  verso gate --json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl := cmd.Flags()
			set := fl.Changed("protect") || fl.Changed("unprotect") || fl.Changed("min-pass-rate") || fl.Changed("suite")
			for _, l := range append(slices.Clone(protect), unprotect...) {
				if err := store.ValidLabel(l); err != nil {
					return classify(fmt.Errorf("gate: %w", err))
				}
			}
			for _, l := range protect {
				if slices.Contains(unprotect, l) {
					return usageErr("gate: %s is both in --protect and --unprotect: pick one", l)
				}
			}
			if fl.Changed("min-pass-rate") && !(minPass >= 0 && minPass <= 1) {
				return usageErr("gate: --min-pass-rate %v must be between 0 and 1 (0.95 = 95%%)", minPass)
			}
			if _, err := a.localGate(); err != nil {
				return err // a read ignores a broken gate: section; showing the gate does not
			}
			st, err := a.open(!set)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			var g store.GateSettings
			if set {
				g, err = st.UpdateGate(ctx, func(g *store.GateSettings) error {
					for _, l := range unprotect {
						if !slices.Contains(g.Protected, l) {
							return usageErr("%s is not protected (protected: %s)", l, orNone(g.Protected))
						}
						g.Protected = slices.DeleteFunc(g.Protected, func(p string) bool { return p == l })
					}
					g.Protected = append(g.Protected, protect...)
					if fl.Changed("min-pass-rate") {
						g.MinPassRate = minPass
					}
					if fl.Changed("suite") {
						g.DefaultSuite = suite
					}
					g.UpdatedBy = a.author()
					return nil
				})
			} else {
				g, err = st.Gate(ctx)
			}
			if err != nil {
				return classify(err)
			}
			eff, err := st.EffectiveGate(ctx)
			if err != nil {
				return classify(err)
			}
			local := st.LocalGate()
			if asJSON {
				return printJSON(a.stdout, gateDoc(g, local, eff, a.configPath()))
			}
			a.printGate(st.Path(), g, local, eff)
			return nil
		},
	}
	f := c.Flags()
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.StringSliceVar(&protect, "protect", nil, "protect a label (repeatable): it needs a passing eval to move")
	f.StringSliceVar(&unprotect, "unprotect", nil, "stop protecting a label (repeatable)")
	f.Float64Var(&minPass, "min-pass-rate", 1, "pass rate the evidence run needs, 0 to 1 (1 = every case passes)")
	f.StringVar(&suite, "suite", "default", "the suite whose runs count as evidence")
	return c
}

type gateJSON struct {
	Protected   []string   `json:"protected"`
	MinPassRate float64    `json:"min_pass_rate"`
	Suite       string     `json:"suite"`
	UpdatedBy   *string    `json:"updated_by,omitempty"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
}

func toGateJSON(g store.GateSettings) gateJSON {
	p := g.Protected
	if p == nil {
		p = []string{}
	}
	return gateJSON{Protected: p, MinPassRate: g.MinPassRate, Suite: g.DefaultSuite}
}

// gateDoc is the --json shape: the registry's gate (with who set it), the
// config file's additions (null without a gate: section) and what is
// enforced for this user.
func gateDoc(g, local, eff store.GateSettings, configPath string) any {
	reg := toGateJSON(g)
	by, at := g.UpdatedBy, g.UpdatedAt
	reg.UpdatedBy, reg.UpdatedAt = &by, &at
	if g.UpdatedAt.IsZero() {
		reg.UpdatedBy, reg.UpdatedAt = nil, nil
	}
	type configJSON struct {
		Path string `json:"path"`
		gateJSON
	}
	var cfg *configJSON
	if hasLocalGate(local) {
		cfg = &configJSON{Path: configPath, gateJSON: toGateJSON(local)}
	}
	return struct {
		Registry  gateJSON    `json:"registry"`
		Config    *configJSON `json:"config"`
		Effective gateJSON    `json:"effective"`
	}{reg, cfg, toGateJSON(eff)}
}

func hasLocalGate(g store.GateSettings) bool {
	return len(g.Protected) > 0 || g.MinPassRate > 0 || g.DefaultSuite != ""
}

func (a *app) printGate(path string, g, local, eff store.GateSettings) {
	w := a.stdout
	fmt.Fprintf(w, "The gate of %s (shared by everyone who uses the file):\n", path)
	fmt.Fprintf(w, "  protected:      %s\n", orNone(g.Protected))
	fmt.Fprintf(w, "  min pass rate:  %s\n", pct(g.MinPassRate))
	fmt.Fprintf(w, "  evidence:       a finished run on suite %q, started after the version was made\n", g.DefaultSuite)
	if g.UpdatedAt.IsZero() {
		fmt.Fprintln(w, "  set by:         nobody yet (the default)")
	} else {
		fmt.Fprintf(w, "  set by:         %s, %s\n", cell(g.UpdatedBy), g.UpdatedAt.Local().Format("2006-01-02 15:04"))
	}
	if !hasLocalGate(local) {
		return
	}
	fmt.Fprintf(w, "Your config (%s) adds:\n", a.configPath())
	if len(local.Protected) > 0 {
		fmt.Fprintf(w, "  protected:      %s\n", strings.Join(local.Protected, ", "))
	}
	if local.MinPassRate > 0 {
		note := ""
		if local.MinPassRate <= g.MinPassRate {
			note = " (no effect: the file's is as high)"
		}
		fmt.Fprintf(w, "  min pass rate:  %s%s\n", pct(local.MinPassRate), note)
	}
	if local.DefaultSuite != "" && local.DefaultSuite != g.DefaultSuite {
		fmt.Fprintf(a.stderr, "verso: warning: the config's gate.suite %q is ignored: the suite is the registry's, set it with `verso gate --suite %s`\n",
			local.DefaultSuite, local.DefaultSuite)
	}
	fmt.Fprintf(w, "Enforced for you: %s protected, %s on suite %q\n", orNone(eff.Protected), pct(eff.MinPassRate), eff.DefaultSuite)
}

func orNone(labels []string) string {
	if len(labels) == 0 {
		return "none (every label moves freely)"
	}
	return strings.Join(labels, ", ")
}

func pct(r float64) string {
	s := fmt.Sprintf("%.1f", r*100)
	s = strings.TrimSuffix(s, ".0")
	return s + "%"
}
