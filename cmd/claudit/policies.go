package main

import (
	"context"
	"fmt"
	"os"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/scan"
)

func init() {
	register("policies", "list the effective policies, or --validate a policy file", cmdPolicies)
}

func cmdPolicies(ctx context.Context, args []string) error {
	fs := newFlags("policies", "[--policies FILE] [--validate FILE] [--json]", `
Lists the policies in effect: name, detector, roles, threshold, severity,
configured and effective action, whether enabled, and tags. Block and modify
are carried out as alert, because the Compliance API reports activity that
already happened.

With --validate FILE, checks a policy file instead (every detector is built
with its params) and prints each problem as file:line: field: message;
exit status 1 when there is one.`)
	policies := fs.String("policies", "", "policy file to list (default: the built-in policy set)")
	validate := fs.String("validate", "", "check this policy file and report its errors")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; use --policies FILE or --validate FILE", fs.Arg(0))
	}
	if *validate != "" {
		data, err := os.ReadFile(*validate)
		if err != nil {
			return fmt.Errorf("read policy file: %w", err)
		}
		v := scan.ValidatePolicies(data, *validate)
		if *asJSON {
			err = v.WriteJSON(os.Stdout)
		} else {
			err = v.WriteText(os.Stdout)
		}
		if err != nil {
			return err
		}
		if !v.Valid {
			return exitCode(1)
		}
		return nil
	}
	cfg, err := policy.LoadConfig(*policies)
	if err != nil {
		return err
	}
	set := scan.ListPolicies(cfg)
	if *asJSON {
		return set.WriteJSON(os.Stdout)
	}
	return set.WriteTable(os.Stdout)
}
