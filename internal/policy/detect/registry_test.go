package detect

import (
	"slices"
	"strings"
	"testing"
)

func TestRegistryType(t *testing.T) {
	r := NewRegistry[int]("test: thing")
	r.Add("b", 2)
	r.Add("a", 1)
	if v, ok := r.Lookup("b"); !ok || v != 2 {
		t.Errorf("Lookup(b) = %v, %v", v, ok)
	}
	if _, ok := r.Lookup("c"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
	if got := r.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Names() = %v", got)
	}
	if got := r.Values(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Values() = %v", got)
	}
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), `test: thing "a" registered twice`) {
			t.Errorf("second Add: panic %v", p)
		}
	}()
	r.Add("a", 3)
}
