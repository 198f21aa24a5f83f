package app

import (
	"context"
	"time"

	"github.com/claudit/claudit/internal/oversight"
	"github.com/claudit/claudit/internal/store"
)

// oversightVersion is the version findings of the oversight checks carry.
const oversightVersion = "oversight"

// settingsDrift raises alerts for the organization settings whose change
// weakens oversight, through the same grouping and sinks as policy alerts.
func (a *App) settingsDrift(ctx context.Context, in *store.Integration, changes []store.SettingChange) {
	if a.evaluator == nil {
		return
	}
	evals := oversight.DriftEvaluations(in.ID, changes, time.Now(), oversightVersion)
	if len(evals) == 0 {
		return
	}
	if err := a.evaluator.Save(ctx, evals); err != nil {
		a.Log.Error("record settings drift", "integration", in.Name, "err", err)
		return
	}
	for _, e := range evals {
		a.Log.Warn("oversight weakened: organization setting changed", "integration", in.Name, "setting", e.Findings[0].Entity,
			"severity", e.Findings[0].Severity, "detail", e.Findings[0].Excerpt)
	}
}

// checkFeedGap raises a feed-gap alert when the integration's last hour
// holds no activities where that hour usually has some. It runs only after
// a sync that succeeded, so that claudit's own outage is not taken for the
// feed's silence.
func (a *App) checkFeedGap(ctx context.Context, integrationID int64) {
	if a.evaluator == nil {
		return
	}
	in, err := a.Store.IntegrationByID(ctx, integrationID)
	if err != nil || in.LastError != "" {
		return
	}
	now := time.Now()
	if now.Sub(in.LastSyncedAt) > 2*max(in.Interval, time.Minute) {
		return
	}
	g, err := oversight.CheckGap(ctx, a.Store, in.ID, now, oversight.GapOptions{})
	if err != nil {
		a.Log.Error("check the feed for a gap", "integration", in.Name, "err", err)
		return
	}
	if !g.Silent {
		return
	}
	if err := a.evaluator.Save(ctx, []store.Evaluation{oversight.GapEvaluation(in.ID, g, oversightVersion)}); err != nil {
		a.Log.Error("record feed gap", "integration", in.Name, "err", err)
		return
	}
	a.Log.Warn("the Activity Feed is silent: no activities in the last hour where it usually has some", "integration", in.Name, "expected", g.Expected)
}
