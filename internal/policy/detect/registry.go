package detect

import (
	"fmt"
	"sort"
	"sync"
)

// Registry holds values by name: detectors, activity rules, session rules.
// Init functions fill it and the rest of the program reads it; the mutex
// makes late registration (tests) safe too. A second value under one name
// panics, as it is a programming error.
type Registry[T any] struct {
	what string // what a value is, for the panic: "detect: detector"
	mu   sync.RWMutex
	m    map[string]T
}

// NewRegistry returns an empty registry of what ("activity: rule").
func NewRegistry[T any](what string) *Registry[T] {
	return &Registry[T]{what: what, m: map[string]T{}}
}

// Add registers v under name.
func (r *Registry[T]) Add(name string, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[name]; dup {
		panic(fmt.Sprintf("%s %q registered twice", r.what, name))
	}
	r.m[name] = v
}

// Lookup returns the value registered under name.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[name]
	return v, ok
}

// Names returns the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.sortedNames()
}

// sortedNames is Names for a caller holding the lock.
func (r *Registry[T]) sortedNames() []string {
	names := make([]string, 0, len(r.m))
	for n := range r.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Values returns the registered values in the order of their names.
func (r *Registry[T]) Values() []T {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := r.sortedNames()
	out := make([]T, len(names))
	for i, n := range names {
		out[i] = r.m[n]
	}
	return out
}
