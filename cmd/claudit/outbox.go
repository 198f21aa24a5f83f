package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/claudit/claudit/internal/store"
)

func init() {
	register("outbox", "inspect alert deliveries and retry dead letters", cmdOutbox)
}

func cmdOutbox(ctx context.Context, args []string) error {
	fs := newFlags("outbox", "[list [--status pending|delivered|dead] | retry ID | retry-all]", `
Every alert and forwarded event goes through a durable outbox: one row per
sink, retried with backoff, and moved to the dead letters after too many
attempts or a permanent error (such as HTTP 400 from the receiver).
'list' shows counts and the latest rows; 'retry ID' and 'retry-all' put dead
letters back in the queue for 'claudit serve' to deliver.`)
	cfgPath := configFlag(fs)
	status := fs.String("status", store.OutboxDead, "rows to list: pending, delivered, dead, or all")
	limit := fs.Int("limit", 50, "rows to list")
	verb := "list"
	if len(args) > 0 && (args[0] == "list" || args[0] == "retry" || args[0] == "retry-all") {
		verb, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	ob := a.Store
	switch verb {
	case "retry", "retry-all":
		var id int64
		if verb == "retry" {
			if fs.NArg() != 1 {
				return fmt.Errorf("outbox retry needs a row ID (see claudit outbox list)")
			}
			if id, err = strconv.ParseInt(fs.Arg(0), 10, 64); err != nil {
				return fmt.Errorf("%q is not a row ID", fs.Arg(0))
			}
		}
		n, err := ob.RetryDead(ctx, id)
		if err != nil {
			return err
		}
		fmt.Printf("%d dead letter(s) queued again\n", n)
		return nil
	}
	counts, err := ob.OutboxCounts(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("pending %d, delivered %d, dead %d\n", counts[store.OutboxPending], counts[store.OutboxDelivered], counts[store.OutboxDead])
	if *status == "all" {
		*status = ""
	}
	items, err := ob.OutboxItems(ctx, *status, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSINK\tKIND\tSTATUS\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, it := range items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.Sink, it.Kind, it.Status, it.Attempts, fmtTime(it.NextAttempt), it.LastError)
	}
	return tw.Flush()
}
