package main

import (
	_ "github.com/cbroglie/mustache"
	_ "github.com/sergi/go-diff/diffmatchpatch"
	_ "github.com/aymanbagabas/go-udiff"
	_ "go.yaml.in/yaml/v3"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "golang.org/x/time/rate"
	_ "github.com/agnivade/levenshtein"
	_ "github.com/sahilm/fuzzy"
	_ "github.com/charmbracelet/x/ansi"
)
