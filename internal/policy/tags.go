package policy

import "strings"

// detectorTags holds the tag vocabulary per detector id: the title used in
// fail tags and the pass tag for an input without a hit.
var detectorTags = map[string]struct{ title, pass string }{
	"pii":               {"PII", "No PII"},
	"secrets":           {"Secret", "No Secrets"},
	"urls":              {"Malicious URL", "No Malicious URLs"},
	"code":              {"Code", "No Source Code"},
	"encoded":           {"Obfuscation", "No Obfuscation"},
	"injection":         {"Prompt Injection", "No Prompt Injection"},
	"jailbreak":         {"Jailbreak", "No Jailbreak"},
	"toxicity":          {"Toxicity", "No Toxicity"},
	"sexual":            {"Sexual Content", "No Sexual Content"},
	"banned_substrings": {"Banned Substring", "No Banned Substrings"},
	"topics":            {"Banned Topic", "No Banned Topics"},
	"language":          {"Language", ""},
	"content_type":      {"Content Type", ""},
	"code_injection":    {"Code Injection", "No Code Injection"},
	"function_call":     {"Function Call", "No Risky Function Calls"},
	"grounding":         {"Ungrounded", "Grounded"},
	"ai_generated":      {"AI Generated", ""},
	// Most messages carry no tool call: a pass tag on each would be noise.
	"agent": {"Agent Action", ""},
	// Nor a marking.
	"markings": {"Marked", ""},
}

// DefaultPassTag returns the tag for an input a detector found nothing in,
// e.g. "No PII"; "" for detectors that have none.
func DefaultPassTag(detector string) string {
	if t, ok := detectorTags[detector]; ok {
		return t.pass
	}
	return "No " + titleCase(detector)
}

// DefaultFailTag returns the tag template for a hit, e.g. "PII: {entity}".
func DefaultFailTag(detector string) string {
	if t, ok := detectorTags[detector]; ok {
		return t.title + ": {entity}"
	}
	return titleCase(detector) + ": {entity}"
}

// renderTag fills a tag template: {entity} is the finding's entity and
// {detector} the detector id.
func renderTag(tmpl, detector, entity string) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	// Detector ids and entity names hold no braces, so two plain
	// replacements give what one Replacer pass would, without building one
	// per finding.
	return strings.ReplaceAll(strings.ReplaceAll(tmpl, "{entity}", entity), "{detector}", detector)
}

func titleCase(id string) string {
	words := strings.FieldsFunc(id, func(r rune) bool { return r == '_' || r == '-' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
