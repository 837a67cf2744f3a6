// What other parts of cudaseal may use of doctor.

export type { Check, CheckStatus } from "./check.ts";
export { type DoctorOptions, type DoctorReport, runDoctor } from "./doctor.ts";
export type { HostOptions } from "./host.ts";
export { renderDoctor } from "./render.ts";
