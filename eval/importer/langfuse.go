package importer

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/seed94f0f622/verso/store"
)

// isLangfuse recognises a Langfuse prompt object: a name, a prompt (text
// or a list of messages) and a type or version.
func isLangfuse(m map[string]any) bool {
	_, name := m["name"]
	_, prompt := m["prompt"]
	_, typ := m["type"]
	_, ver := m["version"]
	return name && prompt && (typ || ver)
}

// langfuseKeys are the fields of a Langfuse prompt Verso reads or knows to
// carry no content (ids, timestamps, project).
var langfuseIgnored = map[string]string{
	"id": "Langfuse's id", "projectId": "Langfuse's project", "createdAt": "a Langfuse timestamp",
	"updatedAt": "a Langfuse timestamp", "createdBy": "a Langfuse user id", "isActive": "Langfuse v1's flag, superseded by labels",
	"resolutionGraph": "Langfuse's prompt-composition trace",
}

// readLangfuse reads a Langfuse prompt export: one prompt object, a list of
// them, or an object with a data list (the API's list shape). Each object
// is one version of its prompt; labels keep Langfuse's meaning: latest is
// Verso's implicit latest (the newest version), production is production.
func (p *Plan) readLangfuse(path string) error {
	b, err := readLimited(path, maxFile)
	if err != nil {
		return err
	}
	doc, err := decodeAny(path, b)
	if err != nil {
		return err
	}
	var items []any
	switch d := doc.(type) {
	case []any:
		items = d
	case map[string]any:
		if data, ok := d["data"].([]any); ok {
			items = data
		} else {
			items = []any{d}
		}
	}
	if len(items) == 0 {
		return fmt.Errorf("%s: no Langfuse prompts: %w", path, ErrUnknownFormat)
	}
	type lv struct {
		num int
		m   map[string]any
	}
	byName := map[string][]lv{}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok || !isLangfuse(m) {
			return fmt.Errorf("%s: item %d is not a Langfuse prompt (name, prompt, type, version)", filepath.Base(path), i+1)
		}
		name, _ := m["name"].(string)
		n, _ := m["version"].(float64)
		byName[name] = append(byName[name], lv{int(n), m})
	}
	base := filepath.Base(path)
	for _, name := range sortedKeys(byName) {
		vs := byName[name]
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].num < vs[j].num })
		slug := Slug(name)
		p.note("%s: Langfuse prompt %q (%d versions) -> prompt %s", base, name, len(vs), slug)
		for _, v := range vs {
			where := fmt.Sprintf("%s: %s v%d", base, name, v.num)
			ver, err := p.langfuseVersion(where, slug, v.m)
			if err != nil {
				return err
			}
			p.Versions = append(p.Versions, ver)
		}
	}
	p.note("%s: label latest -> Verso's implicit latest (the newest version); other labels move as exported", base)
	return nil
}

func (p *Plan) langfuseVersion(where, slug string, m map[string]any) (Version, error) {
	in := store.CommitInput{Name: slug, Dialect: store.DialectMustache, Message: "import from Langfuse"}
	var labels []string
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "name", "version":
		case "type":
			if v != "text" && v != "chat" {
				return Version{}, fmt.Errorf("%s: type %v: use text or chat", where, v)
			}
		case "prompt":
			switch x := v.(type) {
			case string:
				in.Kind, in.Template = store.KindText, x
			case []any:
				in.Kind = store.KindChat
				for i, e := range x {
					mm, _ := e.(map[string]any)
					if t, _ := mm["type"].(string); t == "placeholder" {
						if err := p.unsupported(fmt.Sprintf("%s: message %d (placeholder %v)", where, i+1, mm["name"]), "Verso has no message placeholders"); err != nil {
							return Version{}, err
						}
						continue
					}
					role, _ := mm["role"].(string)
					content, ok := mm["content"].(string)
					if !ok {
						return Version{}, fmt.Errorf("%s: message %d has no text content", where, i+1)
					}
					in.Messages = append(in.Messages, store.Message{Role: role, Content: content})
				}
			default:
				return Version{}, fmt.Errorf("%s: prompt is neither text nor a list of messages", where)
			}
		case "config":
			c, _ := v.(map[string]any)
			for _, ck := range sortedKeys(c) {
				known, err := modelOption(&in.Config, ck, c[ck])
				if err != nil {
					return Version{}, fmt.Errorf("%s: config.%v", where, err)
				}
				switch {
				case known:
				case ck == "model":
					in.Config.Model, _ = c[ck].(string)
				case ck == "tools":
					in.Config.Tools, _ = c[ck].([]any)
				default:
					if err := p.unsupported(where+": config."+ck, "no Verso model setting"); err != nil {
						return Version{}, err
					}
				}
			}
		case "labels":
			ls, _ := stringList(v)
			for _, l := range ls {
				if l == "latest" {
					continue
				}
				if err := store.ValidLabel(l); err != nil {
					if err := p.unsupported(where+": label "+l, "not a valid Verso label name"); err != nil {
						return Version{}, err
					}
					continue
				}
				labels = append(labels, l)
			}
		case "tags":
			in.Tags, _ = stringList(v)
		case "commitMessage":
			if s, _ := v.(string); s != "" {
				in.Message = s
			}
		default:
			if _, ok := langfuseIgnored[k]; ok {
				continue
			}
			if err := p.unsupported(where+": "+k, "no Verso equivalent"); err != nil {
				return Version{}, err
			}
		}
	}
	if in.Kind == "" {
		return Version{}, fmt.Errorf("%s: no prompt", where)
	}
	return Version{CommitInput: in, Labels: labels}, nil
}
