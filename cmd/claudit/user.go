package main

import (
	"context"
	"fmt"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web"
)

func init() {
	register("user", "manage dashboard accounts (user add)", cmdUser)
}

func cmdUser(ctx context.Context, args []string) error {
	fs := newFlags("user", "add --email EMAIL [--role admin|analyst|viewer] [--password PW]", `
Creates a local dashboard account. Roles: admin (everything), analyst
(investigate and work alerts), viewer (dashboards and events with PII and
secrets redacted). Without --password a random one is generated and printed once.`)
	cfgPath := configFlag(fs)
	email := fs.String("email", "", "the person's email address (required)")
	role := fs.String("role", store.RoleAnalyst, "admin, analyst or viewer")
	password := fs.String("password", "", "password (at least 12 characters; default: generated)")
	if len(args) == 0 || args[0] != "add" {
		fs.Usage()
		return fmt.Errorf("use: claudit user add --email EMAIL")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	ws, ok := a.Store.(store.WebStore)
	if !ok {
		return fmt.Errorf("the %s store has no accounts", a.Store.Backend())
	}
	pw, err := web.AddUser(ctx, ws, *email, *role, *password)
	if err != nil {
		return err
	}
	if *password == "" {
		fmt.Printf("created %s (%s) with password %s\n(shown once)\n", *email, *role, pw)
		return nil
	}
	fmt.Printf("created %s (%s)\n", *email, *role)
	return nil
}
