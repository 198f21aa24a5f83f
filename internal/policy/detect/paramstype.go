package detect

import "reflect"

// ParamsType returns the struct type detector id registered with
// RegisterParams, for tools that build a form or a document from it (the
// dashboard's policy editor); false when the detector registered none.
func ParamsType(id string) (reflect.Type, bool) {
	paramTypes.RLock()
	defer paramTypes.RUnlock()
	t, ok := paramTypes.m[id]
	return t, ok
}
