// !images [name]: the watched OCI images as the last poll saw them, and which charms' pins lag behind.
import { defineCommand, z } from "../../core/commands.js";
import { UserError } from "../../core/errors.js";

/** One charm's pins of an image (resources sharing one reference are merged). */
export interface ImagePinReport {
  /** null for a config image that names no charm. */
  charm: string | null;
  resources: string[];
  /** The reference as written (`ghcr.io/canonical/keystone:2024.1`). */
  pin: string;
  status: "behind" | "current" | "unknown";
  newest?: string;
  digestMoved?: boolean;
}

export interface ImageStatusReport {
  image: string;
  lastPolled: string | null;
  tagCount: number;
  newer: string[];
  pins: ImagePinReport[];
}

/** The service this command needs in `CommandServices` (src/oci/cli.ts `imagesService` implements it). */
export type ImagesService = (name?: string) => Promise<ImageStatusReport[]>;

declare module "../../core/commands.js" {
  interface CommandServices {
    images?: ImagesService;
  }
}

/** Images listed in full when no name is given, before the rest is only counted. */
const MAX_LISTED = 15;

function pinLine(p: ImagePinReport): string {
  const who = p.charm ?? "config";
  const res = p.resources.length ? ` ${p.resources.map((r) => `\`${r}\``).join(", ")}` : "";
  const state = p.status === "behind" ? "**behind**" : p.status;
  const why = [
    ...(p.newest ? [`newest \`${p.newest}\``] : []),
    ...(p.digestMoved ? ["pinned digest moved"] : []),
  ];
  return `- ${who}${res} \`${p.pin}\`: ${state}${why.length ? ` (${why.join(", ")})` : ""}`;
}

function imageBlock(r: ImageStatusReport): string[] {
  const polled = r.lastPolled ? `last polled ${r.lastPolled}, ${r.tagCount} tags` : "not polled yet";
  return [`**${r.image}** (${polled})`, ...r.pins.map(pinLine)];
}

/** The reply: one image in full, or every image that lags (in full) and a count of the current ones. */
export function renderImages(reports: readonly ImageStatusReport[], name?: string): string {
  if (reports.length === 0) {
    return name ? `No watched image matches \`${name}\`.` : "No images are watched.";
  }
  if (name) return reports.flatMap(imageBlock).join("\n");
  const lagging = reports.filter((r) => r.pins.some((p) => p.status === "behind"));
  const lines = [`**${reports.length} images watched**, ${lagging.length} with charms behind`];
  for (const r of lagging.slice(0, MAX_LISTED)) lines.push(...imageBlock(r));
  if (lagging.length > MAX_LISTED)
    lines.push(`…and ${lagging.length - MAX_LISTED} more: ask \`!images <name>\``);
  return lines.join("\n");
}

export default defineCommand({
  name: "images",
  summary: "watched OCI images and which charms lag behind",
  usage: "[name]",
  help: "Without a name: the images whose pins are behind. With a name (`keystone`, `canonical/keystone` or the full image): every charm that pins it, its pin, and behind or current, as of the last poll.",
  args: z.object({ name: z.string().min(1).max(200).optional() }),
  positional: ["name"],
  async run(ctx, args) {
    // Until CommandServices declares it, the service is read through this widened view.
    const images = ctx.services.images;
    if (!images) throw new UserError("Image watching is not enabled on this deployment.");
    return renderImages(await images(args.name), args.name);
  },
});
