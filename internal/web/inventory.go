package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/claudit/claudit/internal/inventory"
	"github.com/claudit/claudit/internal/store"
)

type inventoryData struct {
	Integrations []store.Integration
	Integration  int64
	Kind         string
	Kinds        []string
	Assets       []inventory.Asset
}

var assetKinds = []string{inventory.KindMCPServer, inventory.KindConnector, inventory.KindSkill, inventory.KindPlugin,
	inventory.KindClaudeCode, inventory.KindProject, inventory.KindFile}

// loadInventory builds the inventory of the integration the query names
// (the first one when none), keeping one kind when asked.
func (s *Server) loadInventory(r *http.Request, q url.Values) (*inventoryData, error) {
	ctx := r.Context()
	d := &inventoryData{Kind: q.Get("kind"), Kinds: assetKinds, Assets: []inventory.Asset{}}
	if d.Kind != "" && !slices.Contains(assetKinds, d.Kind) {
		return nil, badf("kind %q: use one of %v", d.Kind, assetKinds)
	}
	var err error
	if d.Integrations, err = s.st.Integrations(ctx); err != nil {
		return nil, err
	}
	switch v := q.Get("integration"); {
	case v != "":
		if d.Integration, err = s.integrationParam(ctx, v); err != nil {
			return nil, err
		}
	case len(d.Integrations) > 0:
		d.Integration = d.Integrations[0].ID
	default:
		return d, nil
	}
	assets, err := inventory.Build(ctx, s.st, d.Integration, inventory.Options{})
	if err != nil {
		return nil, err
	}
	for _, a := range assets {
		if d.Kind == "" || a.Kind == d.Kind {
			d.Assets = append(d.Assets, a)
		}
	}
	return d, nil
}

func (s *Server) inventoryPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadInventory(r, r.URL.Query())
	if err != nil {
		return err
	}
	s.audit(r, "view", "inventory", "", r.URL.RawQuery)
	s.render(w, r, http.StatusOK, "inventory.html", &pageData{Title: "Asset inventory", Nav: "inventory", Data: d})
	return nil
}

func (s *Server) apiInventory(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadInventory(r, r.URL.Query())
	if err != nil {
		return err
	}
	s.audit(r, "view", "inventory", "", r.URL.RawQuery)
	writeJSON(w, http.StatusOK, map[string]any{"integration_id": d.Integration, "assets": d.Assets})
	return nil
}
