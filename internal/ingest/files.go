package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/filetext"
	"github.com/claudit/claudit/internal/store"
)

// fileRef is a file a message carries, with where it was seen.
type fileRef struct {
	meta    store.FileMeta
	chat    int // index in the page
	message store.Message
}

// fetchFiles downloads the uploaded and generated files and the artifacts
// of a page's messages
// that have no record yet, extracts their text and adds it to the page: a
// FileText per file (with the reason when it cannot be read) and, for a
// readable file, a message of role file right after the message carrying it.
// Files over Settings.FileMaxBytes are recorded as skipped; once the cycle's
// Settings.FileBudgetBytes is spent, the rest wait for a later cycle.
func (s *Syncer) fetchFiles(ctx context.Context, page *store.ChatPage) error {
	if s.Settings.SkipFiles {
		return nil
	}
	var refs []fileRef
	seen := map[string]bool{}
	var ids []string
	for ci := range page.Chats {
		for _, m := range page.Chats[ci].Messages {
			for _, f := range m.Files {
				if (f.Kind != "upload" && f.Kind != "generated" && f.Kind != "artifact") || f.ID == "" || seen[f.ID] {
					continue
				}
				seen[f.ID] = true
				refs = append(refs, fileRef{meta: f, chat: ci, message: m})
				ids = append(ids, f.ID)
			}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	known, err := s.Store.KnownFiles(ctx, s.Integration.ID, ids)
	if err != nil {
		return err
	}
	type result struct {
		ft  *store.FileText
		msg *store.Message
	}
	results := make([]result, len(refs))
	errs := make([]error, len(refs))
	sem := make(chan struct{}, s.Settings.HydrateConcurrency)
	var wg sync.WaitGroup
	for i := range refs {
		if known[refs[i].meta.ID] {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			ft, msg, err := s.fileText(ctx, refs[i])
			results[i], errs[i] = result{ft, msg}, err
		}(i)
	}
	wg.Wait()
	if err := firstError(ctx, errs); err != nil {
		return err
	}
	for i, r := range results {
		if r.ft == nil {
			continue
		}
		page.FileTexts = append(page.FileTexts, *r.ft)
		if r.msg != nil {
			hc := &page.Chats[refs[i].chat]
			hc.Messages = append(hc.Messages, *r.msg)
		}
	}
	return nil
}

// fileText fetches and extracts one file; a nil FileText means the cycle's
// budget is spent and the file waits for a later cycle.
func (s *Syncer) fileText(ctx context.Context, r fileRef) (*store.FileText, *store.Message, error) {
	m := r.message
	ft := &store.FileText{IntegrationID: s.Integration.ID, FileID: r.meta.ID, Kind: r.meta.Kind, ChatID: m.ChatID, MessageID: m.ID,
		UserID: m.UserID, Filename: r.meta.Filename, MimeType: r.meta.MimeType, SizeBytes: r.meta.SizeBytes, FetchedAt: s.Now()}
	if max := s.Settings.FileMaxBytes; r.meta.SizeBytes > max {
		ft.Status, ft.Reason = store.FileTextSkipped, fmt.Sprintf("%d bytes, over the %d-byte budget for one file", r.meta.SizeBytes, max)
		return ft, nil, nil
	}
	if s.fileBytes.Add(max(r.meta.SizeBytes, 1)) > s.Settings.FileBudgetBytes {
		return nil, nil, nil
	}
	var b []byte
	var err error
	switch r.meta.Kind {
	case "generated":
		b, err = s.Client.GeneratedFileContent(ctx, r.meta.ID)
	case "artifact":
		var text string
		text, err = s.Client.ArtifactContent(ctx, r.meta.ID)
		b = []byte(text)
	default:
		b, err = s.Client.FileContent(ctx, r.meta.ID)
	}
	if compliance.IsNotFound(err) {
		ft.Status, ft.Reason = store.FileTextUnreadable, "the API no longer has the file: "+err.Error()
		return ft, nil, nil
	}
	if compliance.IsTooLarge(err) {
		ft.Status, ft.Reason = store.FileTextSkipped, "larger than the client's response limit: "+err.Error()
		return ft, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ft.SizeBytes = int64(len(b))
	if int64(len(b)) > s.Settings.FileMaxBytes {
		ft.Status, ft.Reason = store.FileTextSkipped, fmt.Sprintf("%d bytes, over the %d-byte budget for one file", len(b), s.Settings.FileMaxBytes)
		return ft, nil, nil
	}
	t, err := filetext.Extract(r.meta.Filename, r.meta.MimeType, b)
	if err != nil {
		ft.Status, ft.Reason = store.FileTextUnreadable, strings.TrimPrefix(err.Error(), "unreadable file: ")
		return ft, nil, nil
	}
	ft.Status, ft.Format = store.FileTextOK, t.Format
	text := filetext.MessageText(r.meta.Filename, t)
	msg := &store.Message{ID: r.meta.ID, ChatID: m.ChatID, Seq: m.Seq, Role: "file", Text: text, UserID: m.UserID, UserEmail: m.UserEmail,
		CreatedAt: m.CreatedAt.Add(time.Microsecond), Tokens: estimateTokens(text), Files: []store.FileMeta{r.meta}}
	return ft, msg, nil
}

// fileBudget counts the bytes a cycle has downloaded.
type fileBudget = atomic.Int64
