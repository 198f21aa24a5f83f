package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/store"
)

func init() {
	register("backfill", "import a date range of history as a resumable job", cmdBackfill)
}

const backfillHelp = `
Imports history between --from and --to as a durable job split into time-window
batches that run in parallel under the client's rate limiter: activities, chats
created in the range, and Claude Code / Cowork sessions created in it with their
transcripts (new messages count as messages); project files and documents and
code artifacts not fetched yet are fetched once per job. Progress is stored
with every page: interrupt it (Ctrl-C, or a crash) and run the same command again
to resume (without --to, the unfinished job from the same --from is resumed). A
range a finished job already covers is reported complete and not fetched again;
--force fetches it again. Backfilled events keep their timestamps and go through
the policies. Batches are leased for backfill.lease (config).

Sub-commands:
  claudit backfill --integration NAME --from RFC3339 --to RFC3339   start or resume
  claudit backfill list [--integration NAME]                        jobs and progress
  claudit backfill status ID                                        one job with its batches
  claudit backfill pause ID | resume ID | cancel ID                 control a job`

func cmdBackfill(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "list", "status", "pause", "resume", "cancel":
			return backfillControl(ctx, args[0], args[1:])
		}
	}
	fs := newFlags("backfill", "--integration NAME --from TIME --to TIME [flags]", backfillHelp)
	cfgPath := configFlag(fs)
	name := fs.String("integration", "", "integration to backfill (required)")
	fromS := fs.String("from", "", "start of the range, RFC 3339 (e.g. 2026-11-01T00:00:00Z) (required)")
	toS := fs.String("to", "", "end of the range, RFC 3339; default now")
	window := fs.Duration("batch", 0, "time window of one batch (default: backfill.batch_window, 24h)")
	conc := fs.Int("concurrency", 0, "batches at once (default: backfill.concurrency, 4)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	skipPolicies := fs.Bool("skip-policies", false, "store only; a running serve evaluates the events later")
	force := fs.Bool("force", false, "fetch the range again even when a finished job covers it")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" || *fromS == "" {
		fs.Usage()
		return fmt.Errorf("--integration and --from are required")
	}
	from, err := time.Parse(time.RFC3339, *fromS)
	if err != nil {
		return fmt.Errorf("--from %q is not RFC 3339 (like 2026-11-01T00:00:00Z)", *fromS)
	}
	to := time.Now().UTC().Truncate(time.Second)
	if *toS != "" {
		if to, err = time.Parse(time.RFC3339, *toS); err != nil {
			return fmt.Errorf("--to %q is not RFC 3339 (like 2026-11-08T00:00:00Z)", *toS)
		}
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if *window == 0 {
		*window = a.Config.Backfill.BatchWindow.Duration
	}
	if *conc == 0 {
		*conc = a.Config.Backfill.Concurrency
	}
	p, err := a.OpenPipeline(ctx)
	if err != nil {
		return err
	}
	syncer, err := a.Syncer(ctx, *name)
	if err != nil {
		return err
	}
	job, verb, err := ingest.PrepareBackfill(ctx, a.Store, ingest.BackfillRequest{IntegrationID: syncer.Integration.ID,
		From: from, To: to, OpenEnded: *toS == "", Window: *window, Force: *force})
	if err != nil {
		return err
	}
	if verb == ingest.BackfillComplete {
		fmt.Printf("backfill %d is already complete: %s to %s, %d activities, %d messages; nothing to fetch (--force fetches the range again)\n",
			job.ID, fmtTime(job.From), fmtTime(job.To), job.Activities, job.Messages)
		return nil
	}
	fmt.Fprintf(os.Stderr, "backfill %d %s: %s to %s in %d batches (pause: claudit backfill pause %d)\n",
		job.ID, verb, job.From.Format(time.RFC3339), job.To.Format(time.RFC3339), job.Batches, job.ID)
	bar := newBackfillBar(job, *quiet)
	b := a.Backfiller(syncer)
	b.Concurrency, b.Progress = *conc, bar.update
	finish := func() error { return nil }
	if !*skipPolicies {
		// Prompt events are evaluated as their pages are stored; activities
		// once the whole range is in, as the activity policies need each
		// user's earlier events first.
		finish = a.FollowIngest(ctx, syncer, false)
	}
	job, err = b.Run(ctx, job.ID)
	ferr := finish()
	bar.finish()
	if job != nil {
		fmt.Printf("backfill %d %s: %d/%d batches, %d new activities, %d new messages (already stored ones are skipped), synced up to %s\n", job.ID, job.Status,
			job.BatchesDone, job.Batches, job.Activities, job.Messages, fmtTime(job.SyncedUpTo))
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "interrupted: run the same command again to resume backfill %d\n", job.ID)
		return exitCode(130)
	}
	if err != nil {
		return err
	}
	if *skipPolicies {
		return nil
	}
	if ferr != nil {
		return fmt.Errorf("evaluate policies: %w", ferr)
	}
	a.DeliverQueued(ctx, p)
	return nil
}

// backfillBar draws batches done with rate and ETA on a terminal only.
type backfillBar struct {
	bar *progressbar.ProgressBar
}

func newBackfillBar(job *store.Backfill, quiet bool) *backfillBar {
	if quiet || !term.IsTerminal(int(os.Stdout.Fd())) {
		return &backfillBar{}
	}
	bar := progressbar.NewOptions(job.Batches,
		progressbar.OptionSetDescription(fmt.Sprintf("backfill %d", job.ID)),
		progressbar.OptionSetWriter(os.Stdout),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("batches"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
	_ = bar.Set(job.BatchesDone)
	return &backfillBar{bar: bar}
}

func (b *backfillBar) update(job *store.Backfill) {
	if b.bar == nil {
		return
	}
	b.bar.Describe(fmt.Sprintf("backfill %d · %d activities · %d messages · up to %s", job.ID, job.Activities, job.Messages, fmtTime(job.SyncedUpTo)))
	_ = b.bar.Set(job.BatchesDone)
}

func (b *backfillBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func backfillControl(ctx context.Context, verb string, args []string) error {
	fs := newFlags("backfill "+verb, "[ID]", backfillHelp)
	cfgPath := configFlag(fs)
	name := fs.String("integration", "", "only jobs of this integration (list)")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if verb == "list" {
		var id int64
		if *name != "" {
			in, err := a.Store.Integration(ctx, *name)
			if err != nil {
				return err
			}
			id = in.ID
		}
		jobs, err := a.Store.Backfills(ctx, id)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tFROM\tTO\tBATCHES\tACTIVITIES\tMESSAGES\tSYNCED UP TO")
		for _, j := range jobs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%d\t%d\t%s\n", j.ID, j.Status, fmtTime(j.From), fmtTime(j.To), j.BatchesDone, j.Batches, j.Activities, j.Messages, fmtTime(j.SyncedUpTo))
		}
		return tw.Flush()
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("backfill %s needs a job ID (see claudit backfill list)", verb)
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a job ID", fs.Arg(0))
	}
	job, err := a.Store.Backfill(ctx, id)
	if err != nil {
		return err
	}
	switch verb {
	case "status":
		fmt.Printf("backfill %d %s: %s to %s, %d/%d batches done, %d failed, %d activities, %d messages, synced up to %s\n",
			job.ID, job.Status, fmtTime(job.From), fmtTime(job.To), job.BatchesDone, job.Batches, job.Failed, job.Activities, job.Messages, fmtTime(job.SyncedUpTo))
		batches, err := a.Store.Batches(ctx, id)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tSTATUS\tFROM\tTO\tATTEMPTS\tACTIVITIES\tMESSAGES\tSYNCED UP TO\tERROR")
		for _, b := range batches {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", b.Seq, b.Status, fmtTime(b.From), fmtTime(b.To), b.Attempts, b.Activities, b.Messages, fmtTime(b.SyncedUpTo), b.Error)
		}
		return tw.Flush()
	case "pause":
		return setJob(ctx, a.Store, job, store.BackfillPaused, store.BackfillRunning)
	case "resume":
		if err := setJob(ctx, a.Store, job, store.BackfillRunning, store.BackfillPaused); err != nil {
			return err
		}
		fmt.Println("a running 'claudit serve' picks it up; or run the backfill command again to work on it here")
		return nil
	case "cancel":
		return setJob(ctx, a.Store, job, store.BackfillCancelled, store.BackfillRunning, store.BackfillPaused, store.BackfillPending)
	}
	return nil
}

func setJob(ctx context.Context, st store.Store, job *store.Backfill, to string, from ...string) error {
	for _, f := range from {
		if job.Status == f {
			if err := st.SetBackfillStatus(ctx, job.ID, to, ""); err != nil {
				return err
			}
			fmt.Printf("backfill %d: %s -> %s\n", job.ID, job.Status, to)
			return nil
		}
	}
	return fmt.Errorf("backfill %d is %s; cannot set it to %s", job.ID, job.Status, to)
}
