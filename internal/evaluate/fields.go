package evaluate

import "encoding/json"

// fields decodes an activity's raw JSON for the activity policies.
func fields(raw []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	return m
}
