// Pins the whole prompt for three kinds of report (thin, partly complete, text complete without attachments): short, sosreport first, current commands.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readBugFile } from "../../../src/features/triage/bug-file.js";
import { evaluate, loadChecklist } from "../../../src/features/triage/checklist.js";
import { promptWords, renderPrompt } from "../../../src/features/triage/prompt.js";

const cl = loadChecklist();
const fixture = (name: string) => join(import.meta.dirname, "../../fixtures/triage", `${name}.json`);
const promptFor = (name: string) => renderPrompt(cl, evaluate(cl, readBugFile(fixture(name)).input));

describe("the prompt for three kinds of report", () => {
  it("a one-liner: the sosreport first, then only what it does not carry", () => {
    const p = promptFor("01-thin-one-liner");
    expect(promptWords(p)).toBeLessThanOrEqual(120);
    expect(p).toMatchInlineSnapshot(`
      "Thanks for the report. To triage it, please add:

      1. A sosreport from each affected node (it includes the Sunbeam logs and juju status):
             sudo sos report -k sunbeam.juju-allow-login=True
      2. The snap channel and revision:
             snap list openstack
      3. The Ubuntu release:
             lsb_release -a
      4. Single or multi-node, local or MAAS, and each node's roles:
             sunbeam cluster list
      5. The exact commands you ran, in order:
             history | grep -E 'snap|sunbeam'
      6. The full error output, as text.

      sos masks known passwords and keys; add \`--clean\` to also obfuscate IP addresses and host names, and look the archive over before attaching it.

      More: https://canonical-openstack.readthedocs-hosted.com/en/latest/how-to/troubleshooting/inspecting-the-cluster/

      I have set this bug to Incomplete; replying sets it back for triage.

      sunbeam-triage:v1 missing=snap_version,os_release,deployment,steps,error_output,juju_status,sunbeam_logs,diag_bundle"
    `);
  });
  it("a partly complete report: a channel without revision asked as a confirmation", () => {
    const p = promptFor("04-one-vm-dollar-prompts");
    expect(promptWords(p)).toBeLessThanOrEqual(120);
    expect(p).toMatchInlineSnapshot(`
      "Thanks for the report. To triage it, please add:

      1. A sosreport from each affected node (it includes the Sunbeam logs and juju status):
             sudo sos report -k sunbeam.juju-allow-login=True
      2. We see the channel (2024.1/stable) but not the revision; please confirm with:
             snap list openstack

      For a control-plane or bootstrap failure, this also helps:
      - A Kubernetes inspection report from a control node:
             sudo k8s inspect

      sos masks known passwords and keys; add \`--clean\` to also obfuscate IP addresses and host names, and look the archive over before attaching it.

      More: https://canonical-openstack.readthedocs-hosted.com/en/latest/how-to/troubleshooting/inspecting-the-cluster/

      I have set this bug to Incomplete; replying sets it back for triage.

      sunbeam-triage:v1 missing=snap_version,juju_status,sunbeam_logs,diag_bundle"
    `);
  });
  it("a report complete in text, without attachments: one thing to attach", () => {
    const p = promptFor("05-three-machines-join");
    expect(promptWords(p)).toBeLessThanOrEqual(120);
    expect(p).toMatchInlineSnapshot(`
      "Thanks for the report. To triage it, please add:

      1. A sosreport from each affected node (it includes the Sunbeam logs and juju status):
             sudo sos report -k sunbeam.juju-allow-login=True

      For a control-plane or bootstrap failure, this also helps:
      - A Kubernetes inspection report from a control node:
             sudo k8s inspect

      sos masks known passwords and keys; add \`--clean\` to also obfuscate IP addresses and host names, and look the archive over before attaching it.

      More: https://canonical-openstack.readthedocs-hosted.com/en/latest/how-to/troubleshooting/inspecting-the-cluster/

      I have set this bug to Incomplete; replying sets it back for triage.

      sunbeam-triage:v1 missing=juju_status,sunbeam_logs,diag_bundle"
    `);
  });
});
