package ingest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/filetext"
	"github.com/claudit/claudit/internal/store"
)

// StreamContent is the checkpoint of the content walk: its HighWater is
// when the last complete walk of project attachments and code artifacts
// began.
const StreamContent = "content"

// contentRef is one file of content that belongs to no chat: a project
// file or document, or a code artifact version.
type contentRef struct {
	id, kind      string
	owner         string // the project or code artifact id
	userID, email string
	filename      string
	mime          string
	size          int64 // 0 when unknown
	at            time.Time
	fetch         func(ctx context.Context) ([]byte, error)
}

// syncContent fetches, at most once per Settings.ContentInterval, the
// text of project files and documents (§4.9–4.11) and of code artifact
// versions (§4.12) that have no record yet, within the same size budget as
// chat files, and stores each as a FileText with, for a readable file, a
// message of role file whose chat id is the project or code artifact.
func (s *Syncer) syncContent(ctx context.Context) error {
	if s.Settings.SkipFiles {
		return nil
	}
	in := s.Integration
	cp, err := s.Store.Checkpoint(ctx, in.ID, StreamContent)
	if err != nil {
		return err
	}
	started := s.Now()
	if !cp.HighWater.IsZero() && started.Sub(cp.HighWater) < s.Settings.ContentInterval {
		return nil
	}
	refs, err := s.contentRefs(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.id
	}
	known, err := s.Store.KnownFiles(ctx, in.ID, ids)
	if err != nil {
		return err
	}
	page := store.ContentPage{IntegrationID: in.ID}
	results := make([]*store.FileText, len(refs))
	msgs := make([]*store.Message, len(refs))
	errs := make([]error, len(refs))
	sem := make(chan struct{}, s.Settings.HydrateConcurrency)
	var wg sync.WaitGroup
	for i := range refs {
		if known[refs[i].id] {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			results[i], msgs[i], errs[i] = s.contentText(ctx, refs[i], i)
		}(i)
	}
	wg.Wait()
	if err := firstError(ctx, errs); err != nil {
		return err
	}
	deferred := false
	for i := range refs {
		switch {
		case known[refs[i].id]:
		case results[i] == nil:
			deferred = true // over the cycle's budget: the next cycle walks again
		default:
			page.FileTexts = append(page.FileTexts, *results[i])
			if msgs[i] != nil {
				page.Messages = append(page.Messages, *msgs[i])
			}
		}
	}
	if len(page.FileTexts) > 0 {
		if _, err := s.Store.SaveContentPage(ctx, page); err != nil {
			return fmt.Errorf("store project and code artifact texts: %w", err)
		}
		if s.Stored != nil {
			s.Stored()
		}
	}
	if deferred {
		return nil
	}
	done := &store.Checkpoint{IntegrationID: in.ID, Stream: StreamContent, HighWater: started}
	if _, err := s.Store.SaveChatPage(ctx, store.ChatPage{IntegrationID: in.ID, Checkpoint: done}); err != nil {
		return fmt.Errorf("store content checkpoint: %w", err)
	}
	return nil
}

// Streams under which undecodable items of the content walk are quarantined.
const (
	StreamProjectAttachments = "project_attachments"
	StreamCodeArtifacts      = "code_artifacts"
)

// contentRefs lists the attachments of every project and the versions of
// every code artifact; items that cannot be decoded are quarantined. A key
// without the user-data scope lists nothing.
func (s *Syncer) contentRefs(ctx context.Context) ([]contentRef, error) {
	var refs []contentRef
	for p, err := range s.Client.Projects(ctx, compliance.PageQuery{Limit: 100}) {
		if compliance.IsPermission(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		prefs, err := s.projectRefs(ctx, p)
		if err != nil {
			return nil, err
		}
		refs = append(refs, prefs...)
	}
	q := compliance.PageQuery{Limit: 100}
	for {
		page, err := s.Client.CodeArtifactsPage(ctx, q)
		if compliance.IsPermission(err) || compliance.IsNotFound(err) {
			return refs, nil // scopes of this endpoint are inferred: a refusal is not a failed cycle
		}
		if err != nil {
			return nil, err
		}
		if err := s.quarantine(ctx, StreamCodeArtifacts, page.Quarantined); err != nil {
			return nil, err
		}
		for _, ca := range page.Data {
			refs = append(refs, s.codeArtifactRefs(ca)...)
		}
		// Pages may be empty while next_page is set: follow it until absent.
		if page.NextPage == nil || *page.NextPage == "" || *page.NextPage == q.Page {
			return refs, nil
		}
		q.Page = *page.NextPage
	}
}

// projectRefs lists a project's files and documents.
func (s *Syncer) projectRefs(ctx context.Context, p compliance.Project) ([]contentRef, error) {
	var uid, mail string
	if p.User != nil {
		uid, mail = p.User.ID, email(deref(p.User.EmailAddress))
	}
	var refs []contentRef
	q := compliance.PageQuery{Limit: 100}
	for {
		page, err := s.Client.ProjectAttachmentsPage(ctx, p.ID, q)
		if compliance.IsNotFound(err) {
			return refs, nil // deleted since it was listed
		}
		if err != nil {
			return nil, err
		}
		if err := s.quarantine(ctx, StreamProjectAttachments, page.Quarantined); err != nil {
			return nil, err
		}
		for _, a := range page.Data {
			r := contentRef{id: a.ID, owner: p.ID, userID: uid, email: mail, filename: a.Filename, mime: a.MimeType,
				size: derefInt(a.SizeBytes), at: a.CreatedAt.Time}
			switch a.Type {
			case "project_file":
				r.kind = store.FileKindProjectFile
				r.fetch = func(ctx context.Context) ([]byte, error) { return s.Client.FileContent(ctx, a.ID) }
			case "project_doc":
				r.kind = store.FileKindDocument
				r.fetch = func(ctx context.Context) ([]byte, error) {
					d, err := s.Client.GetProjectDocument(ctx, a.ID)
					if err != nil {
						return nil, err
					}
					return []byte(d.Content), nil
				}
			default:
				continue // an attachment type this version does not know
			}
			refs = append(refs, r)
		}
		if !page.More() {
			return refs, nil
		}
		q.Page = *page.NextPage
	}
}

// codeArtifactRefs lists a code artifact's versions, or the ZIP of a
// Claude Docs document.
func (s *Syncer) codeArtifactRefs(ca compliance.CodeArtifact) []contentRef {
	var refs []contentRef
	uid, mail := deref(ca.OwnerUserID), ""
	if ca.User != nil {
		uid, mail = ca.User.ID, email(deref(ca.User.EmailAddress))
	}
	if deref(ca.ArtifactType) == "claude_docs" {
		// Claude Docs list no versions: the document is one ZIP, fetched
		// again when updated_at moves.
		id := ca.ID + "@docs"
		at := time.Time{}
		if ca.UpdatedAt != nil && !ca.UpdatedAt.IsZero() {
			at = ca.UpdatedAt.Time
			id += "-" + strconv.FormatInt(at.Unix(), 10)
		}
		refs = append(refs, contentRef{id: id, kind: store.FileKindCodeArtifact, owner: ca.ID, userID: uid, email: mail,
			filename: ca.ID + " Claude Docs", mime: "application/zip", at: at,
			fetch: func(ctx context.Context) ([]byte, error) { return s.Client.CodeArtifactZip(ctx, ca.ID) }})
	}
	for _, v := range ca.Versions {
		name := v.Name
		if name == "" {
			name = v.ID
		}
		at := time.Time{}
		switch {
		case v.CreatedAt != nil:
			at = v.CreatedAt.Time
		case ca.UpdatedAt != nil:
			at = ca.UpdatedAt.Time
		}
		refs = append(refs, contentRef{id: ca.ID + "@" + v.ID, kind: store.FileKindCodeArtifact, owner: ca.ID, userID: uid, email: mail,
			filename: ca.ID + " " + name, at: at,
			fetch: func(ctx context.Context) ([]byte, error) {
				return s.Client.CodeArtifactVersionContent(ctx, ca.ID, v.ID)
			}})
	}
	return refs
}

// contentText fetches and extracts one file; a nil FileText means the
// cycle's budget is spent and the file waits for a later cycle.
func (s *Syncer) contentText(ctx context.Context, r contentRef, seq int) (*store.FileText, *store.Message, error) {
	at := r.at
	if at.IsZero() {
		at = s.Now()
	}
	ft := &store.FileText{IntegrationID: s.Integration.ID, FileID: r.id, Kind: r.kind, ChatID: r.owner, UserID: r.userID,
		Filename: r.filename, MimeType: r.mime, SizeBytes: r.size, FetchedAt: s.Now()}
	overBudget := func(n int64) string {
		return fmt.Sprintf("%d bytes, over the %d-byte budget for one file", n, s.Settings.FileMaxBytes)
	}
	if r.size > s.Settings.FileMaxBytes {
		ft.Status, ft.Reason = store.FileTextSkipped, overBudget(r.size)
		return ft, nil, nil
	}
	if s.fileBytes.Add(max(r.size, 1)) > s.Settings.FileBudgetBytes {
		return nil, nil, nil
	}
	b, err := r.fetch(ctx)
	switch {
	case compliance.IsNotFound(err):
		ft.Status, ft.Reason = store.FileTextUnreadable, "the API no longer has it: "+err.Error()
		return ft, nil, nil
	case compliance.IsTooLarge(err):
		ft.Status, ft.Reason = store.FileTextSkipped, "larger than the client's response limit: "+err.Error()
		return ft, nil, nil
	case r.kind == store.FileKindCodeArtifact && compliance.IsCutShort(err):
		ft.Status, ft.Reason = store.FileTextUnreadable, "every download was cut short, as the API does for a version over its size limit: "+err.Error()
		return ft, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ft.SizeBytes = int64(len(b))
	if ft.SizeBytes > s.Settings.FileMaxBytes {
		ft.Status, ft.Reason = store.FileTextSkipped, overBudget(ft.SizeBytes)
		return ft, nil, nil
	}
	t, err := filetext.Extract(r.filename, r.mime, b)
	if err != nil {
		ft.Status, ft.Reason = store.FileTextUnreadable, strings.TrimPrefix(err.Error(), "unreadable file: ")
		return ft, nil, nil
	}
	ft.Status, ft.Format = store.FileTextOK, t.Format
	text := filetext.MessageText(r.filename, t)
	msg := &store.Message{IntegrationID: s.Integration.ID, ID: r.id, ChatID: r.owner, Seq: seq, Role: "file", Text: text, UserID: r.userID,
		UserEmail: r.email, CreatedAt: at, Tokens: estimateTokens(text),
		Files: []store.FileMeta{{ID: r.id, Kind: r.kind, Filename: r.filename, MimeType: r.mime, SizeBytes: ft.SizeBytes}}}
	return ft, msg, nil
}
