package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/sanitize"
	"github.com/seed94f0f622/verso/store/strict"
)

func newListCmd(a *app) *cobra.Command {
	var asJSON bool
	var o store.ListOptions
	c := &cobra.Command{
		Use:     "list",
		Short:   "List prompts with their latest version and labels",
		Example: "  verso list\n  verso list --label production --json\n  verso list --tag support",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			ps, err := st.ListPrompts(cmd.Context(), o)
			if err != nil {
				return classify(err)
			}
			if asJSON {
				type row struct {
					Name          string         `json:"name"`
					Description   string         `json:"description"`
					Tags          []string       `json:"tags"`
					Latest        int            `json:"latest"`
					LatestAt      string         `json:"latest_at"`
					LatestAuthor  string         `json:"latest_author"`
					LatestMessage string         `json:"latest_message"`
					Labels        map[string]int `json:"labels"`
				}
				rows := make([]row, 0, len(ps))
				for _, p := range ps {
					tags := p.Tags
					if tags == nil {
						tags = []string{}
					}
					rows = append(rows, row{p.Name, p.Description, tags, p.Latest, p.LatestAt.Format("2006-01-02T15:04:05.000000Z07:00"),
						p.LatestAuthor, p.LatestMessage, p.Labels})
				}
				return printJSON(a.stdout, rows)
			}
			if len(ps) == 0 {
				fmt.Fprintln(a.stderr, "no prompts: add one with `verso commit NAME -f FILE`, or try `verso demo`")
				return nil
			}
			tw := table(a.stdout)
			fmt.Fprintln(tw, "NAME\tLATEST\tLABELS\tCHANGED\tBY\tTAGS")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\tv%d\t%s\t%s\t%s\t%s\n", cell(p.Name), p.Latest, cell(labelList(p.Labels)), ago(p.LatestAt), cell(p.LatestAuthor), cell(strings.Join(p.Tags, ",")))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&o.Tag, "tag", "", "only prompts with this tag")
	c.Flags().StringVar(&o.Label, "label", "", "only prompts that have this label")
	return c
}

func newShowCmd(a *app) *cobra.Command {
	var asJSON bool
	var vars []string
	var unit string
	c := &cobra.Command{
		Use:   "show REF",
		Short: "Show a version (name, name@3, name@production); --var renders it",
		Long: "Show a version. REF is name (the newest version), name@3 or name@label. A label that is a traffic split\n" +
			"resolves to one of its versions: --unit KEY gives the version and arm that unit is assigned to (what the library\n" +
			"and `verso serve` give it); without --unit a random arm is drawn.",
		Example: "  verso show support/reply\n  verso show support/reply@production --json\n" +
			"  verso show support/reply@3 --var customer=Ada --var issue='late parcel'\n  verso show support/reply@production --unit user-42",
		Args: exactArgs(1, "verso show REF (e.g. support/reply@production)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			values, err := parseVars(vars)
			if err != nil {
				return err
			}
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := st.LookupUnit(cmd.Context(), args[0], unit)
			if err != nil {
				return classify(err)
			}
			names := prompt.Variables(v)
			if len(vars) > 0 {
				msgs, err := prompt.Render(v, values)
				var missing *prompt.MissingError
				if errors.As(err, &missing) {
					return usageErr("%s@%d: %v (pass them with --var name=value)", v.Prompt, v.Number, err)
				}
				if err != nil {
					return usageErr("%s@%d: %v", v.Prompt, v.Number, err)
				}
				for _, u := range prompt.Unused(v, values) {
					fmt.Fprintf(a.stderr, "verso: warning: variable %q is not used by %s@%d\n", u, v.Prompt, v.Number)
				}
				if asJSON {
					return printJSON(a.stdout, struct {
						versionJSON
						Rendered []store.Message `json:"rendered"`
					}{toVersionJSON(v, names), msgs})
				}
				out := a.safe(renderedText(v, msgs))
				fmt.Fprint(a.stdout, out)
				if !strings.HasSuffix(out, "\n") {
					fmt.Fprintln(a.stdout)
				}
				return nil
			}
			if asJSON {
				return printJSON(a.stdout, toVersionJSON(v, names))
			}
			w := a.stdout
			fmt.Fprintf(w, "%s v%d", cell(v.Prompt), v.Number)
			if len(v.Labels) > 0 {
				fmt.Fprintf(w, "  [%s]", cell(strings.Join(v.Labels, ", ")))
			}
			fmt.Fprintf(w, "  by %s, %s\n", cell(v.Author), ago(v.CreatedAt))
			if v.Arm != "" {
				who := "a random unit"
				if unit != "" {
					who = "unit " + cell(unit)
				}
				fmt.Fprintf(w, "arm:       %s (%s, split label)\n", v.Arm, who)
			}
			if v.Message != "" {
				fmt.Fprintf(w, "message:   %s\n", cell(v.Message))
			}
			fmt.Fprintf(w, "dialect:   %s\n", v.Dialect)
			if cl := configLine(v.Config); cl != "" {
				fmt.Fprintf(w, "config:    %s\n", cell(cl))
			}
			if len(names) > 0 {
				fmt.Fprintf(w, "variables: %s\n", strings.Join(names, ", "))
			}
			fmt.Fprintf(w, "hash:      %s\n\n", shortHash(v.Hash))
			body := a.safe(contentText(v))
			fmt.Fprint(w, body)
			if !strings.HasSuffix(body, "\n") {
				fmt.Fprintln(w)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringArrayVar(&vars, "var", nil, "render with a variable (name=value, repeatable)")
	c.Flags().StringVar(&unit, "unit", "", "the unit key (user, session) a split label is resolved for")
	return c
}

// shortHash is the first 12 characters of a content hash (all of a shorter
// one: a row written by something else than Verso may hold anything).
func shortHash(h string) string {
	if len(h) > 12 {
		h = h[:12]
	}
	return cell(h)
}

// safe strips terminal control sequences from untrusted text when it goes
// to a terminal; a pipe gets the exact bytes.
func (a *app) safe(s string) string {
	if isTerminal(a.stdout) {
		return sanitize.Text(s)
	}
	return s
}

// contentText is a version's content as text: the template, or chat
// messages as role-headed blocks.
func contentText(v store.Version) string {
	if v.Kind == store.KindChat {
		return messagesText(v.Messages)
	}
	return v.Template
}

func renderedText(v store.Version, msgs []store.Message) string {
	if v.Kind == store.KindText && len(msgs) == 1 {
		return msgs[0].Content
	}
	return messagesText(msgs)
}

func messagesText(msgs []store.Message) string {
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "## %s\n%s\n", m.Role, strings.TrimRight(m.Content, "\n"))
	}
	return b.String()
}

func parseVars(kvs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr("--var %q: use name=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

func exactArgs(n int, usage string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr("expected %d argument(s), got %d: usage: %s", n, len(args), usage)
		}
		return nil
	}
}

func newCommitCmd(a *app) *cobra.Command {
	var (
		file, msg, model, configFile, description, dialect string
		tags                                               []string
		chat                                               bool
		temperature                                        float64
		maxTokens                                          int
	)
	c := &cobra.Command{
		Use:   "commit NAME",
		Short: "Commit a new version of a prompt (created if new) from -f FILE or stdin",
		Long: "Commit reads the template from -f FILE or stdin (with --chat, a YAML or JSON list of {role, content}).\n" +
			"The new version keeps the latest version's model config; --config FILE replaces it and\n" +
			"--model, --temperature and --max-tokens change single keys. Identical content is not committed.",
		Example: "  verso commit support/reply -f reply.md -m \"Shorter greeting\"\n" +
			"  echo 'Summarise: {{ticket}}' | verso commit support/summary -m first --model gpt-4o-mini --temperature 0.2\n" +
			"  verso commit support/chat --chat -f messages.yaml   # [{role: system, content: ...}, {role: user, content: ...}]\n" +
			"  verso commit support/triage --dialect jinja2 -f triage.j2   # {% if urgent %}...{% endif %}",
		Args: exactArgs(1, "verso commit NAME [-f FILE] [-m MSG]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := store.ValidName(name); err != nil {
				return classify(err)
			}
			body, err := a.readInput(file)
			if err != nil {
				return err
			}
			in := store.CommitInput{Name: name, Message: msg, Author: a.author(), Description: description, Tags: tags}
			if chat {
				msgs, err := parseMessages(inputName(file), body)
				if err != nil {
					return usageErr("%s: %w", inputName(file), err)
				}
				in.Kind, in.Messages = store.KindChat, msgs
			} else {
				in.Kind, in.Template = store.KindText, string(body)
			}
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			// A new version keeps the model config of the latest one unless
			// --config replaces it; flags then override single keys.
			if configFile != "" {
				cfg, err := readConfigFile(configFile)
				if err != nil {
					return err
				}
				in.Config = cfg
			}
			fl := cmd.Flags()
			// The dialect, like the config, is kept from the latest version
			// unless --dialect says otherwise.
			if latest, err := st.Lookup(cmd.Context(), name); err == nil {
				if configFile == "" {
					in.Config = latest.Config
				}
				in.Dialect = latest.Dialect
			}
			if fl.Changed("dialect") {
				in.Dialect = store.Dialect(dialect)
				if err := store.ValidDialect(in.Dialect); err != nil {
					return classify(err)
				}
			}
			if fl.Changed("model") {
				in.Config.Model = model
			}
			if fl.Changed("temperature") {
				t := temperature
				in.Config.Temperature = &t
			}
			if fl.Changed("max-tokens") {
				in.Config.MaxTokens = maxTokens
			}
			if err := prompt.Check(store.Version{Kind: in.Kind, Dialect: in.Dialect, Template: in.Template, Messages: in.Messages}); err != nil {
				return usageErr("%s: %w", name, err)
			}
			v, err := st.Commit(cmd.Context(), in)
			if errors.Is(err, store.ErrNoChange) {
				fmt.Fprintf(a.stdout, "no change: %s is identical to v%d\n", name, v.Number)
				return nil
			}
			if err != nil {
				return classify(err)
			}
			fmt.Fprintf(a.stdout, "committed %s v%d (%s)\n", name, v.Number, shortHash(v.Hash))
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&file, "file", "f", "", "read the template (or messages with --chat) from FILE; default stdin")
	f.StringVarP(&msg, "message", "m", "", "commit message")
	f.BoolVar(&chat, "chat", false, "the input is a list of chat messages (YAML or JSON: [{role, content}])")
	f.StringVar(&model, "model", "", "model name stored in the version's config")
	f.Float64Var(&temperature, "temperature", 0, "sampling temperature")
	f.IntVar(&maxTokens, "max-tokens", 0, "maximum tokens to generate")
	f.StringVar(&configFile, "config", "", "model config file (YAML or JSON: model, temperature, max_tokens, top_p, stop, seed, response_format, tools)")
	f.StringVar(&description, "description", "", "prompt description")
	f.StringVar(&dialect, "dialect", "", "template dialect: mustache (default), jinja2 or handlebars; kept from the latest version when not given")
	f.StringSliceVar(&tags, "tag", nil, "prompt tags (repeatable)")
	return c
}

// readInput reads a file, or stdin when no file is named and stdin is not a
// terminal.
//
// It reads at most a version's size limit (and a margin for a chat file's
// YAML around the messages): a bigger input is refused before it is all in
// memory.
func (a *app) readInput(file string) ([]byte, error) {
	var r io.Reader = a.stdin
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, usageErr("%s: no such file", file)
			}
			return nil, usageErr("%w", err)
		}
		defer f.Close()
		r = f
	} else if f, ok := a.stdin.(*os.File); ok && isTerminalFile(f) {
		return nil, usageErr("no input: pass -f FILE or pipe the template on stdin")
	}
	return readLimited(r, inputName(file), maxInputBytes)
}

// maxInputBytes bounds a file given to commit: a version's content limit
// plus room for a chat file's YAML or JSON around it.
const maxInputBytes = store.MaxContentBytes + store.MaxContentBytes/2

// readLimited reads r up to max bytes; more is a usage error naming the
// limit.
func readLimited(r io.Reader, name string, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, usageErr("read %s: %w", name, err)
	}
	if int64(len(b)) > max {
		return nil, usageErr("%s is larger than %d KiB: a version holds at most %d MiB of template or messages", name, max>>10, store.MaxContentBytes>>20)
	}
	return b, nil
}

func inputName(file string) string {
	if file == "" || file == "-" {
		return "stdin"
	}
	return file
}

// parseMessages reads a chat prompt: a YAML or JSON list of {role,
// content}, or an object with a messages list, under the same rules as
// every JSON and YAML input (store/strict).
func parseMessages(name string, b []byte) ([]store.Message, error) {
	var msgs []store.Message
	var list []any
	if strict.Decode(name, b, &list) == nil {
		if err := strict.Decode(name, b, &msgs); err != nil {
			return nil, err
		}
	} else {
		var doc struct {
			Messages []store.Message `json:"messages" yaml:"messages"`
		}
		if err := strict.Decode(name, b, &doc); err != nil {
			return nil, fmt.Errorf("not a list of chat messages ([{role: system, content: ...}]): %v", err)
		}
		msgs = doc.Messages
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("no chat messages found: expected [{role: system, content: ...}, {role: user, content: ...}]")
	}
	return msgs, nil
}

// readConfigFile reads a model config (YAML or JSON, same rules: an unknown
// key is refused by name).
func readConfigFile(path string) (store.Config, error) {
	var cfg store.Config
	f, err := os.Open(path)
	if err != nil {
		return cfg, usageErr("model config %s: %w", path, err)
	}
	defer f.Close()
	b, err := readLimited(f, "model config "+path, maxInputBytes)
	if err != nil {
		return cfg, err
	}
	if err := strict.Decode(path, b, &cfg); err != nil {
		return cfg, usageErr("model config %s: %w", path, err)
	}
	return cfg, nil
}

func newHistoryCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "history NAME",
		Short:   "List every version of a prompt, newest first",
		Example: "  verso history support/reply\n  verso history support/reply --json",
		Args:    exactArgs(1, "verso history NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			name, _, err := store.ParseRef(args[0])
			if err != nil {
				return classify(err)
			}
			vs, err := st.History(cmd.Context(), name)
			if err != nil {
				return classify(err)
			}
			if asJSON {
				out := make([]versionJSON, len(vs))
				for i, v := range vs {
					out[i] = toVersionJSON(v, prompt.Variables(v))
				}
				return printJSON(a.stdout, out)
			}
			tw := table(a.stdout)
			fmt.Fprintln(tw, "VERSION\tLABELS\tWHEN\tAUTHOR\tMESSAGE")
			for _, v := range vs {
				from := ""
				if v.Parent != 0 && v.Parent != v.Number-1 {
					from = fmt.Sprintf(" (from v%d)", v.Parent)
				}
				fmt.Fprintf(tw, "v%d\t%s\t%s\t%s\t%s%s\n", v.Number, cell(strings.Join(v.Labels, ",")), ago(v.CreatedAt), cell(v.Author), cell(v.Message), from)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// versionArg resolves a version argument of a prompt: a number (3 or v3),
// a label, or latest.
func versionArg(name, arg string) string {
	if _, err := strconv.Atoi(strings.TrimPrefix(arg, "v")); err == nil {
		return name + "@" + strings.TrimPrefix(arg, "v")
	}
	return name + "@" + arg
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of verso and of its database schema",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(a.stdout, "verso %s (database schema %d)\n", version, store.SchemaVersion)
			return nil
		},
	}
}
