// The machine cudaseal runs on, read through one seam: `doctor` checks it and
// `run` finds the GPU driver on it, so both read the host the same way.

export { type DriverFacts, probeDriver } from "./driver.ts";
export { Host, type HostOptions, type RunResult } from "./host.ts";
