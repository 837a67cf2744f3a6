// Findings of both kinds, shared by the findings tests.

import type { Finding } from "../../src/findings/index.ts";

export const IMAGE_FINDINGS: Finding[] = [
  {
    id: "CS-USER-ROOT",
    severity: "high",
    title: "The image runs as root",
    refs: ["CIS Docker 4.1", "NIST SP 800-190 4.4.3"],
    evidence: { field: "config.User" },
    message: "config.User is empty: the container runs as root",
    fix: "set USER to a numeric uid, e.g. 65532:65532",
  },
  {
    id: "CS-FILE-SETUID",
    severity: "medium",
    title: "A file is setuid or setgid",
    refs: ["CIS Docker 4.8"],
    evidence: { path: "/usr/bin/su", layer: 0, inFinalFs: true },
    message: "/usr/bin/su is setuid root (mode 4755)",
    fix: "remove the setuid bit",
  },
  {
    id: "CS-SECRET-PRIVATE-KEY",
    severity: "critical",
    title: "A private key is in a layer",
    refs: ["NIST SP 800-190 4.1.4"],
    evidence: { path: "/root/my key#1.pem", layer: 1, inFinalFs: false, snippet: "----…(1675 chars)" },
    message:
      "a PEM private key in /root/my key#1.pem, layer 1 (deleted by a later layer, still in its bytes)",
    fix: "rotate the key; rebuild without it",
  },
  {
    id: "CS-FILE-SETUID",
    severity: "medium",
    title: "A file is setuid or setgid",
    refs: ["CIS Docker 4.8"],
    evidence: { path: "/usr/bin/passwd", layer: 0, inFinalFs: true },
    message: "/usr/bin/passwd is setuid root (mode 4755)",
    fix: "remove the setuid bit",
  },
];

export const FILE_FINDINGS: Finding[] = [
  {
    id: "CS-DF-LATEST",
    severity: "low",
    title: "FROM uses latest",
    refs: ["CIS Docker 4.2"],
    evidence: { path: "Dockerfile", line: 1, column: 6 },
    message: "FROM ubuntu:latest",
    fix: "pin a digest",
  },
];
