// JSON representations of the fake Launchpad's objects, with the links and http_etag lazr.restful adds.
import { createHash } from "node:crypto";
import {
  displayStatus,
  iso,
  type FakeAttachment,
  type FakeBug,
  type FakeMessage,
} from "./launchpad-model.js";

function etagOf(rep: object): string {
  return `"${createHash("sha1").update(JSON.stringify(rep)).digest("hex")}"`;
}

export function bugJson(b: FakeBug, api: string): Record<string, unknown> {
  const self = `${api}/bugs/${b.id}`;
  const last = b.messages[b.messages.length - 1];
  const rep = {
    id: b.id,
    title: b.title,
    description: b.description,
    tags: b.tags,
    date_created: iso(b.created),
    date_last_updated: iso(b.lastUpdated),
    date_last_message: b.messages.length > 1 && last ? iso(last.created) : null,
    message_count: b.messages.length,
    owner_link: `${api}/~${b.owner}`,
    duplicate_of_link: null,
    information_type: "Public",
    private: false,
    self_link: self,
    web_link: `https://bugs.launchpad.test/bugs/${b.id}`,
    resource_type_link: `${api}/#bug`,
    messages_collection_link: `${self}/messages`,
    attachments_collection_link: `${self}/attachments`,
    bug_tasks_collection_link: `${self}/bug_tasks`,
    activity_collection_link: `${self}/activity`,
  };
  return { ...rep, http_etag: etagOf(rep) };
}

export function taskJson(b: FakeBug, api: string): Record<string, unknown> {
  const status = displayStatus(b.status);
  const rep = {
    bug_link: `${api}/bugs/${b.id}`,
    bug_target_name: b.project,
    bug_target_display_name: b.project,
    title: `Bug #${b.id} in ${b.project}: "${b.title}"`,
    status,
    importance: b.importance,
    assignee_link: b.assignee ? `${api}/~${b.assignee}` : null,
    owner_link: `${api}/~${b.owner}`,
    milestone_link: null,
    target_link: `${api}/${b.project}`,
    date_created: iso(b.created),
    date_incomplete: b.dateIncomplete ? iso(b.dateIncomplete) : null,
    date_left_new: b.dateLeftNew ? iso(b.dateLeftNew) : null,
    is_complete: ["Invalid", "Won't Fix", "Expired", "Fix Released", "Opinion"].includes(status),
    self_link: `${api}/${b.project}/+bug/${b.id}`,
    web_link: `https://bugs.launchpad.test/${b.project}/+bug/${b.id}`,
    resource_type_link: `${api}/#bug_task`,
    related_tasks_collection_link: `${api}/${b.project}/+bug/${b.id}/related_tasks`,
  };
  return { ...rep, http_etag: etagOf(rep) };
}

export function messageJson(b: FakeBug, m: FakeMessage, api: string): Record<string, unknown> {
  const self = `${api}/${b.project}/+bug/${b.id}/comments/${m.index}`;
  const rep = {
    subject: m.subject,
    content: m.content,
    owner_link: `${api}/~${m.owner}`,
    date_created: iso(m.created),
    date_deleted: null,
    date_last_edited: null,
    parent_link: null,
    bug_attachments_collection_link: `${self}/bug_attachments`,
    self_link: self,
    web_link: `https://bugs.launchpad.test/${b.project}/+bug/${b.id}/comments/${m.index}`,
    resource_type_link: `${api}/#message`,
  };
  return { ...rep, http_etag: etagOf(rep) };
}

export function attachmentJson(b: FakeBug, a: FakeAttachment, api: string): Record<string, unknown> {
  const self = `${api}/bugs/${b.id}/+attachment/${a.id}`;
  const rep = {
    title: a.title,
    type: a.type,
    bug_link: `${api}/bugs/${b.id}`,
    message_link: `${api}/${b.project}/+bug/${b.id}/comments/${a.messageIndex}`,
    data_link: `${self}/data`,
    self_link: self,
    web_link: `https://bugs.launchpad.test/bugs/${b.id}/+attachment/${a.id}`,
    resource_type_link: `${api}/#bug_attachment`,
  };
  return { ...rep, http_etag: etagOf(rep) };
}

/** lazr.restful batching: ws.start / ws.size (max 300), next/prev links keep the original query. */
export function pageOf(
  entries: unknown[],
  u: URL,
  base: string,
  defaultSize: number,
): Record<string, unknown> | string {
  const start = Number(u.searchParams.get("ws.start") ?? 0);
  const size = Number(u.searchParams.get("ws.size") ?? defaultSize);
  if (!Number.isInteger(size) || size < 1 || size > 300) return `Invalid batch size ${size}: maximum is 300.`;
  const link = (at: number) => {
    const q = new URLSearchParams(u.searchParams);
    q.set("ws.start", String(at));
    q.set("ws.size", String(size));
    return `${base}${u.pathname}?${q.toString()}`;
  };
  const out: Record<string, unknown> = {
    start,
    total_size: entries.length,
    entries: entries.slice(start, start + size),
    resource_type_link: `${base}/devel/#page-resource`,
  };
  if (start + size < entries.length) out.next_collection_link = link(start + size);
  if (start > 0) out.prev_collection_link = link(Math.max(0, start - size));
  return out;
}
