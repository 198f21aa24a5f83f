package policyset

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/claudit/claudit/internal/policy"
)

// Installer makes a policy set the one in effect. With a policies file,
// installing writes the file (atomically: a temporary file renamed over
// it) and reloads the engine from it, so a restart and every instance
// watching the file get the same set. Without one, the set replaces the
// running engine's and is kept in memory; serve restores it from the
// store at start (see Restore).
type Installer struct {
	// Path is the policies file serve loads and watches; "" for none.
	Path string
	// Engines is the running engine; nil keeps the set only (tests).
	Engines *policy.Reloadable

	mu      sync.Mutex
	current []byte // installed without a file
}

// Installed returns the policy file in effect and where it comes from.
func (i *Installer) Installed() (data []byte, source string, err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	switch {
	case i.Path != "":
		data, err := os.ReadFile(i.Path)
		if err != nil {
			return nil, "", fmt.Errorf("read the installed policy file: %w", err)
		}
		return data, i.Path, nil
	case i.current != nil:
		return slices.Clone(i.current), "installed from the dashboard", nil
	}
	return policy.DefaultPoliciesYAML(), "built-in defaults", nil
}

// Install checks data with the policy loader, makes it the set in effect
// and reloads the engine. On error nothing changes.
func (i *Installer) Install(data []byte) error {
	set, err := Parse(data, "policy set")
	if err != nil {
		return err
	}
	eng, err := policy.NewEngine(set.Config, i.Options()...)
	if err != nil {
		return err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.Path == "" {
		if i.Engines != nil {
			i.Engines.Set(eng)
		}
		i.current = slices.Clone(data)
		return nil
	}
	if err := writeFile(i.Path, data); err != nil {
		return err
	}
	if i.Engines != nil {
		return i.Engines.Reload(i.Path)
	}
	return nil
}

// Options are the running engine's options, for trial runs.
func (i *Installer) Options() []policy.Option {
	if i.Engines == nil {
		return nil
	}
	return i.Engines.Options()
}

// writeFile replaces path with data through a temporary file in its
// directory, so a reader sees the old file or the new one, never half.
func writeFile(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".policies-*.yaml")
	if err != nil {
		return fmt.Errorf("install policies: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("install policies: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("install policies: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("install policies: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("install policies: replace %s: %w", path, err)
	}
	return nil
}
