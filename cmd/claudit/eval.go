package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/claudit/claudit/internal/evalharness"
	"github.com/claudit/claudit/internal/policy"
)

func init() {
	register("eval", "measure the detectors on labeled JSONL files (precision, recall, F1, FPR)", cmdEval)
}

func cmdEval(ctx context.Context, args []string) error {
	fs := newFlags("eval", "[--data DIR] [--split all|test] [--by-source] [--json|--markdown]", `
Runs each detector over the labeled files in --data, one per category
(pii.jsonl, secrets.jsonl, injection.jsonl, jailbreak.jsonl, toxicity.jsonl,
...; each line {"text": ..., "label": true|false|["ENTITY", ...], "source": ...,
"license": ...}) and prints rows, TP, FP, FN, TN, precision, recall, F1 and
false-positive rate per detector, and per entity type for entity-list labels.

Detectors use the params, role and threshold of their policy in the built-in
policy set (or --policies). --split test keeps only the rows tools/train
holds out for testing, so a trained classifier is measured on unseen text.
docs/DETECTION.md lists the file-to-detector mapping.

Exit status: 0 after a report, 1 when no labeled file was found or a file is
malformed.`)
	data := fs.String("data", "../shared/eval", "folder with the labeled <category>.jsonl files")
	split := fs.String("split", "all", "rows to use: all, train, calibration or test (tools/train's hash split)")
	policies := fs.String("policies", "", "policy file for detector params and thresholds (default: built-in set)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	markdown := fs.Bool("markdown", false, "print the report as a Markdown table (for docs/DETECTION.md)")
	bySource := fs.Bool("by-source", false, "also score each data source (a row's \"source\" up to its @commit): recall and false positives")
	workers := fs.Int("workers", 0, "rows scored in parallel (default: number of CPUs)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *asJSON && *markdown {
		return errors.New("use one of --json and --markdown")
	}
	cfg, err := policy.LoadConfig(*policies)
	if err != nil {
		return err
	}
	rep, err := evalharness.Run(ctx, evalharness.Options{Dir: *data, Split: *split, Policies: cfg, Workers: *workers, BySource: *bySource})
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		err = rep.WriteJSON(os.Stdout)
	case *markdown:
		err = rep.WriteMarkdown(os.Stdout)
	default:
		err = rep.WriteTable(os.Stdout)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
