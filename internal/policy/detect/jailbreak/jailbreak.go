// Package jailbreak holds the data of the "jailbreak" detector (package
// promptattack): the weighted phrase rules in rules.yaml and the model in
// model/, trained by tools/train, both embedded.
package jailbreak

import "embed"

// Rules is rules.yaml.
//
//go:embed rules.yaml
var Rules []byte

// ShortTerms is short_terms.txt: the words that let the model score a
// short text (classifier.ShortText).
//
//go:embed short_terms.txt
var ShortTerms []byte

// Model is the model folder. It always holds a README, so the embed works
// before any model has been trained.
//
//go:embed model
var Model embed.FS
