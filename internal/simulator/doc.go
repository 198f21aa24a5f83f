// Package simulator is a fake Anthropic Compliance API served over real HTTP,
// faithful to the reference in shared/compliance-api/SPEC.md, with a
// deterministic synthetic organization behind it.
//
// New generates the organization from Config.Seed with one PCG stream: one to
// three linked organizations, users with roles, custom RBAC roles and groups,
// settings, projects with files, documents and collaborators, 2-6 chats per
// user per working day (2-12 alternating messages, several models, tool
// use with MCP integrations, uploaded and generated files, artifacts, a few
// chats deleted in claude.ai), local and remote sessions, Claude Code
// artifacts, and an activity for everything that happened: sign-ins (with
// rare new-country night-time bursts), chat and file events, sharing,
// connector, key and settings changes, plus one activity of every catalogue
// type generated from its documented fields. About one user message in eight
// carries risky content (PII, secrets, pasted code, prompt injection, encoded
// payloads, suspicious URLs, toxic text) drawn from the embedded templates in
// data/; every organization also has one message with hostile markup and one
// message of about 1 MB. Message texts are generated from per-message seeds
// when served, so a large organization costs little memory.
//
// The server checks, in this order: route (unknown path: 404 "Not found"),
// key by prefix (missing or foreign key: 404, or 401 with LegacyAuth and on
// the settings endpoint; wrong key of an accepted type: 401), enablement,
// the shared rate-limit budget (failed authentication costs nothing),
// injected faults, scopes (403 with the documented Python-style lists; an
// Admin key reaches only the feed), query parameters (unknown ones: 400 with a
// "Did you mean" hint) and then the endpoint's own validation. Injected
// faults happen before any state is read or changed, so a client that retries
// correctly always ends up with exactly the ground truth.
//
// Ground truth: Summary counts what a complete sync should hold. Activities
// is every activity, including ones still hidden by IngestDelay; Chats counts
// every listed chat including soft-deleted ones (DeletedChats of them), and
// Messages every message of those chats, including the content-less
// messages of soft-deleted chats. Files counts files whose metadata endpoint
// answers 200 (chat uploads of live chats and project files). Activities,
// ChatIDs and ChatMessages expose the same truth item by item.
package simulator
