package compliance

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// activityTypesJSON is the machine-readable activity catalogue from the API
// reference (516 names, 467 with field structure).
//
//go:embed activity-types.json
var activityTypesJSON []byte

// TypeInfo describes one documented activity type.
type TypeInfo struct {
	Type        string               `json:"type"`
	SchemaName  string               `json:"schema_name"`
	Category    string               `json:"category"`
	ActorTypes  []string             `json:"actor_types"`
	Fields      map[string]FieldInfo `json:"fields"`
	SchemaKnown bool                 `json:"schema_known"`
}

// FieldInfo is a documented field of an activity type.
type FieldInfo struct {
	Type string   `json:"type"`
	Enum []string `json:"enum"`
}

var (
	catalogOnce sync.Once
	catalog     map[string]TypeInfo
	catalogList []TypeInfo
)

func loadCatalog() {
	var doc struct {
		Types []TypeInfo `json:"types"`
	}
	if err := json.Unmarshal(activityTypesJSON, &doc); err != nil {
		panic(fmt.Sprintf("embedded activity catalogue is invalid: %v", err))
	}
	catalog = make(map[string]TypeInfo, len(doc.Types))
	for _, t := range doc.Types {
		if t.Category == "" {
			t.Category = "Other"
		}
		catalog[t.Type] = t
	}
	catalogList = doc.Types
	sort.Slice(catalogList, func(i, j int) bool { return catalogList[i].Type < catalogList[j].Type })
}

// ActivityTypes returns every documented activity type, sorted by name.
func ActivityTypes() []TypeInfo {
	catalogOnce.Do(loadCatalog)
	return catalogList
}

// LookupActivityType returns the documentation of a type; ok is false for
// types the catalogue does not know (which still decode fine).
func LookupActivityType(name string) (TypeInfo, bool) {
	catalogOnce.Do(loadCatalog)
	t, ok := catalog[name]
	return t, ok
}
