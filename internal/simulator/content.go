package simulator

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/claudit/claudit/internal/compliance"
)

// longMessageBytes is the size of the one very long message per organization.
const longMessageBytes = 1 << 20

// content generates a message's blocks from its seed, so messages cost no
// memory for text until they are served.
func (st *state) content(c *chat, m *message) []compliance.ContentBlock {
	if m.explicit != nil {
		return m.explicit
	}
	rng := rand.New(rand.NewPCG(m.seed, 0xc0de))
	cp := st.corp
	tp := cp.Topics[c.topic]
	text := func(s string) compliance.ContentBlock {
		return compliance.ContentBlock{Type: compliance.BlockText, Text: s}
	}
	switch m.kind {
	case kPrompt:
		s := cp.fill(rng, tp.Prompts[c.variant%len(tp.Prompts)])
		if len(m.files) > 0 {
			s += " I attached " + m.files[0].filename + "."
		}
		return []compliance.ContentBlock{text(s)}
	case kFollowup:
		return []compliance.ContentBlock{text(cp.fill(rng, pick(rng, tp.Followups)))}
	case kPII:
		return []compliance.ContentBlock{text(cp.fill(rng, pick(rng, cp.Risky.PII)))}
	case kSecret:
		return []compliance.ContentBlock{text(cp.fill(rng, pick(rng, cp.Risky.Secrets)))}
	case kCode:
		return []compliance.ContentBlock{text(cp.fill(rng, pick(rng, cp.Risky.Code)))}
	case kInjection:
		return []compliance.ContentBlock{text(cp.fill(rng, pick(rng, cp.Risky.Injection)))}
	case kEncoded:
		return []compliance.ContentBlock{text(cp.fill(rng, pick(rng, cp.Risky.Encoded)))}
	case kURL:
		return []compliance.ContentBlock{text(cp.fill(rng, pick(rng, cp.Risky.URLs)))}
	case kToxic:
		return []compliance.ContentBlock{text(cp.fill(rng, pick(rng, cp.Risky.Toxic)))}
	case kHostile:
		return []compliance.ContentBlock{text(cp.Hostile)}
	case kLong:
		return []compliance.ContentBlock{text(st.longText(rng))}
	case kRefusal:
		return []compliance.ContentBlock{text(pick(rng, cp.Refusals))}
	case kRiskyAnswer:
		return []compliance.ContentBlock{text(pick(rng, cp.RiskyAnswers) + "\n\n" + cp.fill(rng, pick(rng, tp.Answers)))}
	}
	var blocks []compliance.ContentBlock
	if m.tools {
		srv := pick(rng, cp.MCPServers)
		id := newID(rng, "toolu_")
		name := srv.Name
		input := fmt.Sprintf(`{"query":%q,"limit":%d}`, tp.Topic+" "+pick(rng, []string{"latest", "q3", "owner:me", "status:open"}), 5+rng.IntN(20))
		isErr := rng.IntN(20) == 0
		result := fmt.Sprintf("%d results: %s, %s", 1+rng.IntN(9), pick(rng, tp.Titles), pick(rng, cp.ProjectNames))
		if isErr {
			result = "error: upstream returned 502 Bad Gateway"
		}
		blocks = append(blocks,
			compliance.ContentBlock{Type: compliance.BlockToolUse, ID: &id, Name: srv.Tool, Input: input, IntegrationName: &name, MCPServerURL: srv.URL},
			compliance.ContentBlock{Type: compliance.BlockToolResult, ToolUseID: &id, Name: srv.Tool, IsError: isErr,
				Content: []compliance.TextContent{{Type: "text", Text: result}}, IntegrationName: &name, MCPServerURL: srv.URL})
	}
	answer := pick(rng, tp.Answers)
	if len(c.msgs) > 1 && c.msgs[1] == m && c.msgs[0].kind == kPrompt {
		answer = tp.Answers[c.variant%len(tp.Answers)]
	}
	return append(blocks, text(cp.fill(rng, answer)))
}

// longText is about 1 MB of pasted log, the kind of message that stresses storage and scanners.
func (st *state) longText(rng *rand.Rand) string {
	var b strings.Builder
	b.Grow(longMessageBytes + 256)
	b.WriteString("Here is the full log from last night's incident. What went wrong?\n\n")
	for i := 0; b.Len() < longMessageBytes; i++ {
		line := st.corp.fill(rng, st.corp.LongLine)
		b.WriteString(strings.Replace(line, "rows=4096", "rows="+strconv.Itoa(rng.IntN(8192)), 1))
		b.WriteByte('\n')
	}
	return b.String()
}

// fileBytes is the stored content of a file: extracted text for office
// documents, a fake PDF or PNG, or text for text types.
func fileBytes(cp *corpus, seed uint64, filename, mime string) []byte {
	rng := rand.New(rand.NewPCG(seed, 0xf11e))
	var b strings.Builder
	switch {
	case mime == "image/png":
		buf := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		n := 200 + rng.IntN(3000)
		for range n {
			buf = append(buf, byte(rng.Uint32()))
		}
		return buf
	case mime == "application/pdf":
		b.WriteString("%PDF-1.4\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
	case strings.HasSuffix(filename, ".csv"):
		b.WriteString("name,email,phone,card\n")
		for range 5 + rng.IntN(40) {
			fmt.Fprintf(&b, "%s,%s,%s,%s\n", cp.personName(rng), cp.value(rng, "ext_email"), phone(rng), luhnCard(rng))
		}
		return []byte(b.String())
	case strings.HasSuffix(filename, ".go"):
		b.WriteString("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n")
		return []byte(b.String())
	}
	for range 3 + rng.IntN(30) {
		b.WriteString(cp.fill(rng, pick(rng, pick(rng, cp.Topics).Answers)))
		b.WriteString("\n\n")
	}
	return []byte(b.String())
}

func md5hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

func artifactText(rng *rand.Rand, cp *corpus, title, atype string) string {
	switch atype {
	case "application/vnd.ant.code":
		return "// " + title + "\nfunc retry(ctx context.Context, n int, f func() error) error {\n\tvar err error\n\tfor i := 0; i < n; i++ {\n\t\tif err = f(); err == nil {\n\t\t\treturn nil\n\t\t}\n\t}\n\treturn err\n}\n"
	case "application/vnd.ant.mermaid":
		return "graph TD\n  API[Compliance API] --> Ingest\n  Ingest --> Store\n  Store --> Policy\n  Policy --> Alerts\n"
	case "application/vnd.ant.react":
		return "export default function Dashboard() {\n  return <div className=\"p-4\">Churn by cohort: " + strconv.Itoa(rng.IntN(30)) + "%</div>;\n}\n"
	}
	return "# " + title + "\n\n" + cp.fill(rng, pick(rng, pick(rng, cp.Topics).Answers)) + "\n"
}

// docxZip is a Claude Docs export: a ZIP with one DOCX per tab, each
// paragraph a line of the tab's text.
func docxZip(tabs []docTab) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, t := range tabs {
		fw, _ := zw.Create(t.name + ".docx")
		_, _ = fw.Write(docxBytes(t.text))
	}
	_ = zw.Close()
	return buf.Bytes()
}

// docxBytes is a minimal DOCX whose document part holds text, a paragraph a line.
func docxBytes(text string) []byte {
	var body strings.Builder
	for _, line := range strings.Split(text, "\n") {
		body.WriteString("<w:p><w:r><w:t xml:space=\"preserve\">")
		_ = xml.EscapeText(&body, []byte(line))
		body.WriteString("</w:t></w:r></w:p>")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
			body.String() + `</w:body></w:document>`},
	} {
		fw, _ := zw.Create(part.name)
		_, _ = fw.Write([]byte(part.body))
	}
	_ = zw.Close()
	return buf.Bytes()
}
