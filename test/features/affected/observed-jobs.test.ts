// Learning which jobs Zuul runs from its check reports: always-jobs by share, others by the paths they ran for.
import { describe, expect, it } from "vitest";
import {
  observedJobs,
  pathPrefix,
  recordReport,
  type BranchObservations,
} from "../../../src/features/affected/observed-jobs.js";

const empty: BranchObservations = { reports: 0, jobs: {} };

describe("observed jobs", () => {
  it("keys paths by their first two components", () => {
    expect(pathPrefix("charms/keystone-k8s/src/charm.py")).toBe("charms/keystone-k8s/");
    expect(pathPrefix("ops-sunbeam/ops_sunbeam/core.py")).toBe("ops-sunbeam/ops_sunbeam/");
    expect(pathPrefix("tox.ini")).toBe("tox.ini");
  });

  it("offers a job listed in nearly every report for any change, others only for paths they ran for", () => {
    let o = empty;
    for (let i = 0; i < 10; i++) {
      const files = i % 2 ? ["charms/keystone-k8s/src/charm.py"] : ["charms/nova-k8s/src/charm.py"];
      const jobs = ["openstack-tox-cover", ...(i % 2 ? ["func-test-identity"] : [])];
      o = recordReport(o, jobs, files, 1000 + i);
    }
    expect(o.reports).toBe(10);
    expect(o.jobs["openstack-tox-cover"]).toMatchObject({ runs: 10, lastSeen: 1009 });
    const none = new Set<string>();
    expect(observedJobs(o, ["charms/glance-k8s/src/charm.py"], none)).toEqual(["openstack-tox-cover"]);
    expect(observedJobs(o, ["charms/keystone-k8s/config.yaml"], none)).toEqual([
      "func-test-identity",
      "openstack-tox-cover",
    ]);
    // What zuul.d lists is never taken from the reports.
    expect(observedJobs(o, ["charms/keystone-k8s/x"], new Set(["func-test-identity"]))).toEqual([
      "openstack-tox-cover",
    ]);
    // Too few reports are no basis for "always".
    const few = recordReport(empty, ["openstack-tox-cover"], ["charms/nova-k8s/x"], 1);
    expect(observedJobs(few, ["charms/glance-k8s/x"], none)).toEqual([]);
  });
});
