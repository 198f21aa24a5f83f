package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web"
)

func init() {
	register("user", "manage dashboard accounts (user add)", cmdUser)
}

func cmdUser(ctx context.Context, args []string) error {
	fs := newFlags("user", "add --email EMAIL [--role admin|analyst|viewer] [--password | --password-stdin]", `
Creates a local dashboard account. Roles: admin (everything), analyst
(investigate and work alerts), viewer (dashboards and events with PII and
secrets redacted). Without --password or --password-stdin a random password
is generated and printed once. A password is never a command-line argument:
other users of the machine could read it with ps.

Examples:
  claudit user add --email ana@example.com --password          (asks twice, no echo)
  printf '%s\n' "$PW" | claudit user add --email ci@example.com --password-stdin`)
	cfgPath := configFlag(fs)
	email := fs.String("email", "", "the person's email address (required)")
	role := fs.String("role", store.RoleAnalyst, "admin, analyst or viewer")
	prompt := fs.Bool("password", false, "type the password at a prompt (at least 12 characters; default: generated)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 || fs.Arg(0) != "add" {
		fs.Usage()
		return fmt.Errorf("use: claudit user add --email EMAIL")
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("unexpected argument %q: --password takes no value (ps would show it); type it at the prompt, or pipe it to --password-stdin", fs.Arg(1))
	}
	if *prompt && *fromStdin {
		return fmt.Errorf("use --password or --password-stdin, not both")
	}
	var password string
	var err error
	switch {
	case *fromStdin:
		password, err = readPasswordLine(os.Stdin)
	case *prompt:
		password, err = promptPassword(os.Stdin, os.Stderr)
	}
	if err != nil {
		return err
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	pw, err := web.AddUser(ctx, a.Store, *email, *role, password)
	if err != nil {
		return err
	}
	if password == "" {
		fmt.Printf("created %s (%s) with password %s\n(shown once)\n", *email, *role, pw)
		return nil
	}
	fmt.Printf("created %s (%s)\n", *email, *role)
	return nil
}

// readPasswordLine reads a password from the first line of r, without its
// line ending.
func readPasswordLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("--password-stdin: standard input is empty; pipe the password in, one line")
	}
	return line, nil
}

// promptPassword asks for the password twice on the terminal, without echo.
func promptPassword(in *os.File, out io.Writer) (string, error) {
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		return "", fmt.Errorf("--password needs a terminal to prompt on; in scripts use --password-stdin")
	}
	fmt.Fprint(out, "Password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(out, "Again: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(first) != string(second) {
		return "", fmt.Errorf("the passwords differ; run the command again")
	}
	return string(first), nil
}
