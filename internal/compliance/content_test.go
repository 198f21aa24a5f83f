package compliance_test

import (
	"context"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// TestCodeArtifactsAndProjectDocuments: the code artifact walk follows
// next_page past the empty last page and yields every artifact once; each
// version downloads (but the oversized one, whose stream is cut short), and
// each Claude Docs document as a ZIP; project documents read with their text and metadata,
// and a document that does not exist is a not-found error.
func TestCodeArtifactsAndProjectDocuments(t *testing.T) {
	sim, ts := startSim(t, simulator.Config{Seed: 5, Users: 30, Days: 2})
	c := newClient(t, ts.URL, simulator.DefaultKey)
	ctx := context.Background()
	seen := map[string]bool{}
	versions, docs, cut := 0, 0, 0
	for ca, err := range c.CodeArtifacts(ctx, compliance.PageQuery{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[ca.ID] || !strings.HasPrefix(ca.ID, "cart_") {
			t.Fatalf("artifact %q again or with a foreign id", ca.ID)
		}
		seen[ca.ID] = true
		if ca.ArtifactType != nil && *ca.ArtifactType == "claude_docs" {
			b, err := c.CodeArtifactZip(ctx, ca.ID)
			if err != nil || !strings.HasPrefix(string(b), "PK") || len(ca.Versions) != 0 {
				t.Fatalf("Claude Docs %s: %d bytes, %d versions, %v", ca.ID, len(b), len(ca.Versions), err)
			}
			docs++
		}
		for _, v := range ca.Versions {
			b, err := c.CodeArtifactVersionContent(ctx, ca.ID, v.ID)
			if compliance.IsCutShort(err) {
				cut++ // over the size limit: the stream stops early on every attempt
				versions++
				continue
			}
			if err != nil || len(b) == 0 {
				t.Fatalf("version %s of %s: %d bytes, %v", v.ID, ca.ID, len(b), err)
			}
			versions++
		}
	}
	sum := sim.Summary()
	if len(seen) != sum.CodeArtifacts || versions != sum.CodeArtifactVersions || versions == 0 || docs == 0 || cut != 1 {
		t.Fatalf("%d artifacts (%d Claude Docs), %d versions (%d cut short); ground truth %d, %d", len(seen), docs, versions, cut, sum.CodeArtifacts, sum.CodeArtifactVersions)
	}
	docs = 0
	for p, err := range c.Projects(ctx, compliance.PageQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		for a, err := range c.ProjectAttachments(ctx, p.ID, compliance.PageQuery{Limit: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			if a.Type != "project_doc" {
				continue
			}
			d, err := c.GetProjectDocument(ctx, a.ID)
			if err != nil || d.Content == "" || d.Filename != a.Filename {
				t.Fatalf("document %s: %+v, %v", a.ID, d, err)
			}
			m, err := c.GetProjectDocumentMetadata(ctx, a.ID)
			if err != nil || m.ClaudeProjectID != p.ID || m.SizeBytes == nil || *m.SizeBytes != int64(len(d.Content)) {
				t.Fatalf("document %s metadata: %+v, %v", a.ID, m, err)
			}
			docs++
		}
	}
	if docs != sum.ProjectDocuments || docs == 0 {
		t.Fatalf("%d project documents, ground truth %d", docs, sum.ProjectDocuments)
	}
	if _, err := c.GetProjectDocument(ctx, "claude_proj_doc_missing"); !compliance.IsNotFound(err) {
		t.Fatalf("missing document: %v", err)
	}
}
