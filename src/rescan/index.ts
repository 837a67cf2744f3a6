// `cudaseal rescan`: every image a list, a repository or a catalog names,
// against today's vulnerability data, read from the SBOMs the images carry
// (their layers only where they carry none), prioritised by CISA's KEV
// catalog and FIRST's EPSS scores. What others may use.

export { rescanMarkdown } from "./markdown.ts";
export { type RescannedImage, type RescanOptions, type RescanResult, rescan } from "./rescan.ts";
export { rescanSarif } from "./sarif.ts";
export {
  type FleetFinding,
  fleetFindings,
  type GateVerdict,
  type RescanGate,
  rescanFooter,
  rescanGate,
  rescanJsonChunks,
  rescanTable,
} from "./summary.ts";
export { DEFAULT_MAX_TAGS, repositoryRefs } from "./targets.ts";
