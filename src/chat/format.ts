// Pure rendering of the chat Markdown subset for Matrix (HTML) and Slack (mrkdwn), and trimming to a size limit.

/** Characters of text per Slack message: Slack advises at most 4,000; the margin absorbs escapes. */
export const SLACK_MAX_CHARS = 3_900;
/** Characters per Matrix message body: events are capped at 65,536 bytes, body and HTML both count. */
export const MATRIX_MAX_CHARS = 30_000;

/**
 * One inline token: a backslash escape, a link, bold text or a code span. Leftmost match wins, so code
 * protects its contents and an escaped character is never markup.
 */
const INLINE = /\\([\\[\]*`])|\[([^\]]+)\]\(([^)\s]+)\)|\*\*([^*]+)\*\*|`([^`]+)`/g;

/**
 * Text from outside (a Gerrit subject, a Launchpad title, a display name) made literal for the chat
 * Markdown subset: `[label](url)`, `**` and backticks lose their meaning (the networks' own markup
 * characters are escaped by each renderer), so an outsider cannot make a link with text of their choosing. Renderers wrap every such
 * field in this.
 */
export function plain(s: string): string {
  return s.replace(/[\\[\]*`]/g, "\\$&");
}

/** A link label may hold escapes (from plain()); the label is then shown literally. */
function unescape(s: string): string {
  return s.replace(/\\([\\[\]*`])/g, "$1");
}

interface InlineRenderer {
  text(s: string): string;
  /** One escaped character, shown as itself and never as markup. */
  literal(ch: string): string;
  link(label: string, url: string): string;
  bold(inner: string): string;
  code(s: string): string;
}

function renderInline(line: string, r: InlineRenderer): string {
  let out = "";
  let last = 0;
  for (const m of line.matchAll(INLINE)) {
    out += r.text(line.slice(last, m.index));
    const [whole, escaped, label, url, bold, code] = m;
    if (escaped !== undefined) out += r.literal(escaped);
    else if (label !== undefined && url !== undefined) out += r.link(unescape(label), url);
    else if (bold !== undefined) out += r.bold(renderInline(bold, r));
    else if (code !== undefined) out += r.code(code);
    last = m.index + whole.length;
  }
  return out + r.text(line.slice(last));
}

/** Only web and mail links become clickable: a `javascript:` URL from an event payload must stay text. */
function safeUrl(url: string): boolean {
  return /^(https?:\/\/|mailto:)/i.test(url);
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const HTML: InlineRenderer = {
  text: escapeHtml,
  literal: escapeHtml,
  link: (label, url) =>
    safeUrl(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>` : escapeHtml(`${label} <${url}>`),
  bold: (inner) => `<strong>${inner}</strong>`,
  code: (s) => `<code>${escapeHtml(s)}</code>`,
};

/** The `formatted_body` of an `org.matrix.custom.html` message: "- " lines become a list, newlines <br>. */
export function toMatrixHtml(text: string): string {
  const lines = text.split("\n");
  let out = "";
  let inList = false;
  lines.forEach((line, i) => {
    const item = /^- (.*)$/.exec(line);
    if (item) {
      out += `${inList ? "" : "<ul>"}<li>${renderInline(item[1] ?? "", HTML)}</li>`;
      inList = true;
      return;
    }
    if (inList) out += "</ul>";
    inList = false;
    out += renderInline(line, HTML);
    // A list closes its own block; a <br> after it would add an empty line.
    const next = lines[i + 1];
    if (next !== undefined && !next.startsWith("- ")) out += "<br>";
  });
  return inList ? `${out}</ul>` : out;
}

/** Slack wants exactly these three escaped in text; everything else is literal. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const MRKDWN: InlineRenderer = {
  text: escapeSlack,
  // Slack has no escape for * _ ~ `: a zero-width joiner after it keeps it from pairing up as markup.
  literal: (ch) => (/[*`]/.test(ch) ? `${ch}\u200d` : escapeSlack(ch)),
  link: (label, url) =>
    safeUrl(url)
      ? `<${escapeSlack(url).replace(/\|/g, "%7C")}|${escapeSlack(label)}>`
      : escapeSlack(`${label} (${url})`),
  bold: (inner) => `*${inner}*`,
  code: (s) => `\`${escapeSlack(s)}\``,
};

/** Slack mrkdwn: `<url|label>`, `*bold*`, `code`, "• " bullets, with &, <, > escaped. */
export function toSlackMrkdwn(text: string): string {
  return text
    .split("\n")
    .map((line) =>
      line.startsWith("- ") ? `• ${renderInline(line.slice(2), MRKDWN)}` : renderInline(line, MRKDWN),
    )
    .join("\n");
}

function moreSuffix(n: number, moreUrl?: string): string {
  const what = `${n} more line${n === 1 ? "" : "s"}`;
  return moreUrl ? `…([${what}](${moreUrl}))` : `…(${what})`;
}

/** Cuts a string to at most n UTF-16 units without splitting a surrogate pair. */
function cutChars(s: string, n: number): string {
  let cut = s.slice(0, Math.max(0, n));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut;
}

/**
 * Trims text to at most maxChars at a line boundary and says what was left out: "…(N more lines)",
 * or a link to the rest when moreUrl is given. A first line longer than the limit is cut inside.
 */
export function fitToLimit(text: string, maxChars: number, moreUrl?: string): string {
  if (text.length <= maxChars) return text;
  const lines = text.split("\n");
  // Reserve room for the longest suffix this text can need (its line count has the most digits).
  const reserve = moreSuffix(lines.length, moreUrl).length + 1;
  const budget = maxChars - reserve;
  if (budget <= 0) return cutChars(text, maxChars);
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const cost = line.length + (kept.length ? 1 : 0);
    if (used + cost > budget) break;
    kept.push(line);
    used += cost;
  }
  if (kept.length === 0) {
    const first = lines[0] ?? "";
    return `${cutChars(first, budget - 1)}…\n${moreSuffix(lines.length - 1, moreUrl)}`;
  }
  return `${kept.join("\n")}\n${moreSuffix(lines.length - kept.length, moreUrl)}`;
}

/**
 * Like fitToLimit, but the limit applies to a rendered form (escapes and markup grow the text):
 * shrinks the source budget until measure(fitted source) fits. Returns the fitted source.
 */
export function fitRendered(
  text: string,
  maxChars: number,
  measure: (fitted: string) => number,
  moreUrl?: string,
): string {
  let budget = maxChars;
  let fitted = fitToLimit(text, budget, moreUrl);
  for (let size = measure(fitted); size > maxChars && budget > 16; size = measure(fitted)) {
    // Markup grows roughly in proportion to the text: scale the budget down by the overshoot.
    budget = Math.max(16, Math.floor((budget * maxChars) / size) - 8);
    fitted = fitToLimit(text, budget, moreUrl);
  }
  return fitted;
}
