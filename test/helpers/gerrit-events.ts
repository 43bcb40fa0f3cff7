// The stream-events line Gerrit sends for a new change in the monorepo: shared by the live and fault tests.
import { ALICE } from "../fakes/gerrit-rest.js";

export function patchsetCreated(n: number, sha: string, at: number): Record<string, unknown> {
  return {
    type: "patchset-created",
    change: {
      project: "openstack/sunbeam-charms",
      branch: "main",
      number: n,
      subject: `Change ${n}`,
      owner: ALICE,
    },
    patchSet: { number: 1, revision: sha, uploader: ALICE },
    uploader: ALICE,
    project: "openstack/sunbeam-charms",
    refName: "refs/heads/main",
    eventCreatedOn: at,
  };
}
