package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/export"
	"github.com/claudit/claudit/internal/store"
)

func init() {
	register("export", "stream stored events as CSV, JSON or JSON Lines", cmdExport)
}

func cmdExport(ctx context.Context, args []string) error {
	fs := newFlags("export", "--format csv|json|jsonl [filters] [--out FILE]", `
Streams prompt events (messages) and access events (activities) oldest first,
one page at a time, so exports of any size run in bounded memory.`)
	cfgPath := configFlag(fs)
	format := fs.String("format", "jsonl", "csv, json or jsonl")
	fromS := fs.String("from", "", "only events at or after this RFC 3339 time")
	toS := fs.String("to", "", "only events before this RFC 3339 time")
	user := fs.String("user", "", "only this user (email or user id)")
	chat := fs.String("chat", "", "only this chat (session) id")
	kind := fs.String("type", "", "prompt or access (default both)")
	violations := fs.Bool("violations-only", false, "only events with policy violations")
	integration := fs.String("integration", "", "only this integration")
	out := fs.String("out", "", "write to this file instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	f := store.EventFilter{User: *user, ChatID: *chat, Kind: *kind, ViolationsOnly: *violations}
	if *kind != "" && *kind != "prompt" && *kind != "access" {
		return fmt.Errorf("--type %q: use prompt or access", *kind)
	}
	var err error
	if f.From, err = optTime("--from", *fromS); err != nil {
		return err
	}
	if f.To, err = optTime("--to", *toS); err != nil {
		return err
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if *integration != "" {
		in, err := a.Store.Integration(ctx, *integration)
		if err != nil {
			return err
		}
		f.IntegrationID = in.ID
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		// Exports hold prompts and PII: readable by the owner only.
		file, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("create %s: %w", *out, err)
		}
		defer file.Close()
		w = file
	}
	enc, err := export.NewEncoder(w, strings.ToLower(*format))
	if err != nil {
		return err
	}
	if err := export.Stream(ctx, a.Store, f, enc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	if *out != "" {
		fmt.Fprintf(os.Stderr, "wrote %d events to %s\n", enc.Count(), *out)
	}
	return nil
}

func optTime(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("%s %q is not RFC 3339 (like 2026-11-01T00:00:00Z)", flag, v)
	}
	return t, nil
}
