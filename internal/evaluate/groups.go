package evaluate

import (
	"context"
	"fmt"

	"github.com/claudit/claudit/internal/policy"
)

// groupKey names one user of one integration.
type groupKey struct {
	integrationID int64
	userID        string
}

// userGroups resolves users' directory groups (ids and names) for the
// policies and rules scoped by group, reading each user once per batch.
// When no enabled policy is scoped by group nothing is read.
type userGroups struct {
	p  *Pipeline
	on bool
	m  map[groupKey][]string
}

func (p *Pipeline) userGroups(cfg *policy.Config) *userGroups {
	return &userGroups{p: p, on: cfg.GroupScoped(), m: map[groupKey][]string{}}
}

// of returns the ids and names of the groups userID is a member of, as the
// last directory sync stored them; nil for an unknown user.
func (g *userGroups) of(ctx context.Context, integrationID int64, userID string) ([]string, error) {
	if !g.on || userID == "" {
		return nil, nil
	}
	k := groupKey{integrationID, userID}
	if names, ok := g.m[k]; ok {
		return names, nil
	}
	groups, err := g.p.Store.UserGroups(ctx, integrationID, userID)
	if err != nil {
		return nil, fmt.Errorf("read the groups of user %s: %w", userID, err)
	}
	names := make([]string, 0, 2*len(groups))
	for _, gr := range groups {
		names = append(names, gr.ID, gr.Name)
	}
	g.m[k] = names
	return names, nil
}
