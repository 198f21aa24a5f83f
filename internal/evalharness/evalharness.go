// Package evalharness measures claudit's detectors on labeled JSONL files
// ({"text": ..., "label": true|false|[entity types], "source": ...,
// "license": ...}), one file per detector category: precision, recall, F1
// and false-positive rate per detector, and per entity type where the labels
// name entity types.
//
// Each detector is built by its registered factory with the parameters and
// role of its policy in a policy set (the built-in defaults unless told
// otherwise), and a row counts as flagged when the detector returns a finding
// scoring at least that policy's threshold. The detector is called directly,
// not through the engine, so the numbers describe the detector alone: the
// engine's keyword prefilter, chunking and re-scan of decoded content are
// not part of them.
package evalharness

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/detect"
)

// Category says which detectors run on one labeled file.
type Category struct {
	// Name is the file base name without .jsonl.
	Name      string            `yaml:"-"`
	Detectors []string          `yaml:"detectors"`
	Entities  []string          `yaml:"entities"`
	Aliases   map[string]string `yaml:"aliases"`
}

// entity maps a label or finding entity to the detector's name for it.
func (c Category) entity(e string) string {
	e = strings.ToUpper(strings.TrimSpace(e))
	if a, ok := c.Aliases[e]; ok {
		return a
	}
	return e
}

//go:embed categories.yaml
var categoriesYAML []byte

// Categories returns the built-in file-to-detector mapping, sorted by name.
func Categories() ([]Category, error) {
	var doc struct {
		Categories map[string]Category `yaml:"categories"`
	}
	if err := yaml.Unmarshal(categoriesYAML, &doc); err != nil {
		return nil, fmt.Errorf("parse categories: %w", err)
	}
	out := make([]Category, 0, len(doc.Categories))
	for name, c := range doc.Categories {
		c.Name = name
		aliases := make(map[string]string, len(c.Aliases))
		for k, v := range c.Aliases {
			aliases[strings.ToUpper(k)] = strings.ToUpper(v)
		}
		c.Aliases = aliases
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ExpectedFiles lists the file names Run looks for.
func ExpectedFiles(cats []Category) []string {
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = c.Name + ".jsonl"
	}
	return names
}

// Split values for Options.Split, matching tools/train (classifier.SplitOf).
const (
	SplitAll         = "all"
	SplitTrain       = "train"
	SplitCalibration = "calibration"
	SplitTest        = "test"
)

// InSplit reports whether a text belongs to split, using the hash rule
// tools/train uses so `--split test` evaluates exactly the rows a model
// trained by it never saw.
func InSplit(text, split string) bool {
	switch split {
	case "", SplitAll:
		return true
	case SplitTrain:
		return classifier.SplitOf(text) == classifier.SplitTrain
	case SplitCalibration:
		return classifier.SplitOf(text) == classifier.SplitCalibration
	case SplitTest:
		return classifier.SplitOf(text) == classifier.SplitTest
	}
	return false
}

// Options configure Run.
type Options struct {
	// Dir holds the labeled <category>.jsonl files.
	Dir string
	// Split is all (default), train, calibration or test.
	Split string
	// Policies supplies each detector's params, role and threshold; nil
	// means the built-in defaults.
	Policies *policy.Config
	// Workers run detectors in parallel; zero means GOMAXPROCS.
	Workers int
	// BySource adds each detector's recall and false positives per data
	// source (a row's "source" up to its "@commit").
	BySource bool
}

// NoDataError is returned when the folder holds none of the expected files.
type NoDataError struct {
	Dir      string
	Expected []string
	// Unmapped are .jsonl files present that no category names.
	Unmapped []string
}

func (e *NoDataError) Error() string {
	msg := fmt.Sprintf("no labeled files in %s (expected %s)", e.Dir, strings.Join(e.Expected, ", "))
	if len(e.Unmapped) > 0 {
		msg += fmt.Sprintf("; found %s, which no detector is mapped to", strings.Join(e.Unmapped, ", "))
	}
	return msg + "; see the README in that folder for the row format"
}

// Report is the outcome of Run.
type Report struct {
	Dir   string       `json:"dir"`
	Split string       `json:"split"`
	Files []FileReport `json:"files"`
	// Unmapped are .jsonl files in Dir that no category names; they were skipped.
	Unmapped []string `json:"unmapped,omitempty"`
}

// FileReport is the evaluation of one labeled file.
type FileReport struct {
	File     string `json:"file"`
	Category string `json:"category"`
	// Rows were read; Evaluated were in the split.
	Rows      int              `json:"rows"`
	Evaluated int              `json:"evaluated"`
	Results   []DetectorResult `json:"results"`
}

// DetectorResult is one detector's score on one file.
type DetectorResult struct {
	Detector string `json:"detector"`
	// Policy is the policy whose params, role and threshold were used; empty
	// when the policy set has none for the detector (factory defaults).
	Policy        string      `json:"policy,omitempty"`
	PolicyEnabled bool        `json:"policy_enabled"`
	Role          detect.Role `json:"role"`
	Threshold     float64     `json:"threshold"`
	// Model says whether a trained model scored alongside rules, for the
	// classifier-based detectors.
	Model *bool `json:"model,omitempty"`
	// Overall is row-level: a labeled positive (true or a non-empty entity
	// list) against any finding at or above the threshold.
	Overall Metrics `json:"overall"`
	// Micro sums the per-entity counts over the labeled entity types the
	// detector supports; set only when rows carry entity lists.
	Micro    *Metrics       `json:"micro,omitempty"`
	Entities []EntityResult `json:"entities,omitempty"`
	// UntypedPositives are rows labeled plain true in a file with entity
	// lists; they count in Overall only.
	UntypedPositives int `json:"untyped_positives,omitempty"`
	// Unscored counts predicted entity types that no row is labeled with:
	// the data does not say whether they are right.
	Unscored map[string]int `json:"unscored_predictions,omitempty"`
	// Sources scores the rows of each data source, row-level as Overall;
	// set with Options.BySource.
	Sources []SourceResult `json:"sources,omitempty"`
}

// SourceResult is a detector's row-level score on the rows of one source.
type SourceResult struct {
	Source string `json:"source"`
	Metrics
}

// SourceOf is the source a row is grouped under: its "source" up to the
// "@commit" that pins it.
func SourceOf(row Row) string {
	src, _, _ := strings.Cut(row.Source, "@")
	if src == "" {
		return "(no source)"
	}
	return src
}

// EntityResult scores one labeled entity type over (row, type) pairs.
type EntityResult struct {
	Entity string `json:"entity"`
	// Supported is false for labeled types the detector never reports.
	Supported bool `json:"supported"`
	Metrics
}

// Run evaluates every mapped file found in opts.Dir.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Split == "" {
		opts.Split = SplitAll
	}
	if !slices.Contains([]string{SplitAll, SplitTrain, SplitCalibration, SplitTest}, opts.Split) {
		return nil, fmt.Errorf("split %q: use all, train, calibration or test", opts.Split)
	}
	cfg := opts.Policies
	if cfg == nil {
		var err error
		if cfg, err = policy.DefaultConfig(); err != nil {
			return nil, fmt.Errorf("load default policies: %w", err)
		}
	}
	cats, err := Categories()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("read data folder: %w", err)
	}
	present := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".jsonl") {
			present[e.Name()] = true
		}
	}
	rep := &Report{Dir: opts.Dir, Split: opts.Split}
	for _, c := range cats {
		name := c.Name + ".jsonl"
		if !present[name] {
			continue
		}
		delete(present, name)
		fr, err := evaluateFile(ctx, filepath.Join(opts.Dir, name), c, cfg, opts)
		if err != nil {
			return nil, err
		}
		rep.Files = append(rep.Files, fr)
	}
	for name := range present {
		rep.Unmapped = append(rep.Unmapped, name)
	}
	sort.Strings(rep.Unmapped)
	if len(rep.Files) == 0 {
		return nil, &NoDataError{Dir: opts.Dir, Expected: ExpectedFiles(cats), Unmapped: rep.Unmapped}
	}
	return rep, nil
}

// run is one detector being scored on one file.
type run struct {
	res       DetectorResult
	det       detect.Detector
	overall   Counts
	rows      int
	entityRow int // rows scored per entity: entity lists and plain false
	entities  map[string]*Counts
	labeled   map[string]bool
	predicted map[string]int
	// sources counts rows per SourceOf when the report asks for it.
	sources map[string]*sourceCount
}

type sourceCount struct {
	rows int
	Counts
}

func newRun(id string, cfg *policy.Config) (*run, error) {
	factory, ok := detect.Lookup(id)
	if !ok {
		return nil, fmt.Errorf("detector %q is not registered in this build", id)
	}
	r := &run{res: DetectorResult{Detector: id, Role: detect.RoleUser},
		entities: map[string]*Counts{}, labeled: map[string]bool{}, predicted: map[string]int{}}
	var params detect.Params
	if p := policyFor(cfg, id); p != nil {
		params = p.Params
		r.res.Policy, r.res.PolicyEnabled, r.res.Threshold = p.Name, p.Enabled, p.Threshold
		if len(p.Roles) > 0 {
			r.res.Role = p.Roles[0]
		}
	}
	det, err := factory(params)
	if err != nil {
		return nil, fmt.Errorf("build detector %s: %w", id, err)
	}
	r.det = det
	if m, ok := det.(interface{ HasModel() bool }); ok {
		has := m.HasModel()
		r.res.Model = &has
	}
	return r, nil
}

// policyFor returns the first enabled policy running detector id, else the
// first disabled one, else nil.
func policyFor(cfg *policy.Config, id string) *policy.Policy {
	var disabled *policy.Policy
	for i := range cfg.Policies {
		p := &cfg.Policies[i]
		if p.Detector != id {
			continue
		}
		if p.Enabled {
			return p
		}
		if disabled == nil {
			disabled = p
		}
	}
	return disabled
}

// outcome is what the detectors of a file said about one row.
type outcome struct {
	row Row
	// flagged[i] and types[i] belong to the file's i-th detector.
	flagged []bool
	types   []map[string]bool
}

func evaluateFile(ctx context.Context, path string, c Category, cfg *policy.Config, opts Options) (FileReport, error) {
	fr := FileReport{File: filepath.Base(path), Category: c.Name}
	runs := make([]*run, len(c.Detectors))
	for i, id := range c.Detectors {
		r, err := newRun(id, cfg)
		if err != nil {
			return fr, fmt.Errorf("%s: %w", fr.File, err)
		}
		if opts.BySource {
			r.sources = map[string]*sourceCount{}
		}
		runs[i] = r
	}
	f, err := os.Open(path)
	if err != nil {
		return fr, fmt.Errorf("open labeled file: %w", err)
	}
	defer f.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows := make(chan Row, 64)
	outs := make(chan outcome, 64)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range rows {
				outs <- score(ctx, runs, c, row)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(rows)
		rd := NewRowReader(f, fr.File)
		for {
			row, err := rd.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr <- err
				}
				return
			}
			fr.Rows++
			if !InSplit(row.Text, opts.Split) {
				continue
			}
			select {
			case rows <- row:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(outs)
	}()
	for o := range outs {
		fr.Evaluated++
		for i, r := range runs {
			r.add(c, o.row, o.flagged[i], o.types[i])
		}
	}
	select {
	case err := <-readErr:
		return fr, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return fr, err
	}
	for _, r := range runs {
		fr.Results = append(fr.Results, r.result(c))
	}
	return fr, nil
}

// score runs each detector over one row.
func score(ctx context.Context, runs []*run, c Category, row Row) outcome {
	o := outcome{row: row, flagged: make([]bool, len(runs)), types: make([]map[string]bool, len(runs))}
	for i, r := range runs {
		types := map[string]bool{}
		for _, f := range r.det.Detect(ctx, detect.Input{Text: row.Text, Role: r.res.Role}) {
			if f.Score >= r.res.Threshold {
				o.flagged[i] = true
				types[c.entity(f.Entity)] = true
			}
		}
		o.types[i] = types
	}
	return o
}

// add counts one row; it runs on one goroutine only.
func (r *run) add(c Category, row Row, flagged bool, predicted map[string]bool) {
	r.rows++
	r.overall.add(row.Positive, flagged)
	if r.sources != nil {
		src := SourceOf(row)
		sc := r.sources[src]
		if sc == nil {
			sc = &sourceCount{}
			r.sources[src] = sc
		}
		sc.rows++
		sc.add(row.Positive, flagged)
	}
	if len(c.Entities) == 0 {
		return // entity names of this detector do not match any label vocabulary
	}
	if row.Entities == nil && row.Positive {
		r.res.UntypedPositives++
		return
	}
	r.entityRow++
	gold := map[string]bool{}
	for _, e := range row.Entities {
		t := c.entity(e)
		gold[t] = true
		r.labeled[t] = true
	}
	for t := range gold {
		r.counts(t).add(true, predicted[t])
	}
	for t := range predicted {
		r.predicted[t]++
		if !gold[t] {
			r.counts(t).add(false, true)
		}
	}
}

func (r *run) counts(t string) *Counts {
	c, ok := r.entities[t]
	if !ok {
		c = &Counts{}
		r.entities[t] = c
	}
	return c
}

// result turns the counts into metrics. Per-entity rows are kept only when
// the file has entity lists; true negatives per type are the scored rows
// in which the type was neither labeled nor predicted.
func (r *run) result(c Category) DetectorResult {
	res := r.res
	res.Overall = NewMetrics(r.rows, r.overall)
	for _, src := range slices.Sorted(maps.Keys(r.sources)) {
		sc := r.sources[src]
		res.Sources = append(res.Sources, SourceResult{Source: src, Metrics: NewMetrics(sc.rows, sc.Counts)})
	}
	if len(r.labeled) == 0 {
		res.UntypedPositives = 0
		return res
	}
	var micro Counts
	types := make([]string, 0, len(r.labeled))
	for t := range r.labeled {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		cnt := *r.counts(t)
		cnt.TN = r.entityRow - cnt.TP - cnt.FP - cnt.FN
		supported := slices.Contains(c.Entities, t)
		res.Entities = append(res.Entities, EntityResult{Entity: t, Supported: supported, Metrics: NewMetrics(r.entityRow, cnt)})
		if supported {
			micro.plus(cnt)
		}
	}
	m := NewMetrics(r.entityRow, micro)
	res.Micro = &m
	for t, n := range r.predicted {
		if !r.labeled[t] {
			if res.Unscored == nil {
				res.Unscored = map[string]int{}
			}
			res.Unscored[t] = n
		}
	}
	return res
}
