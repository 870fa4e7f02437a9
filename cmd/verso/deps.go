package main

import (
	_ "github.com/agnivade/levenshtein"
	_ "github.com/aymanbagabas/go-udiff"
	_ "github.com/cbroglie/mustache"
	_ "github.com/charmbracelet/x/ansi"
	_ "github.com/sahilm/fuzzy"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/sergi/go-diff/diffmatchpatch"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/time/rate"
)
