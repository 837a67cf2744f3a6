// What other parts of cudaseal may use of doctor.

export type { HostOptions } from "../host/index.ts";
export type { Check, CheckStatus } from "./check.ts";
export { type DoctorOptions, type DoctorReport, runDoctor } from "./doctor.ts";
export { renderDoctor } from "./render.ts";
