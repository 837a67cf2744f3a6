// Putting images side by side: what others may use.

export { type CompareOptions, type Comparison, compareImages } from "./compare-images.ts";
export { isCudaLibraryFile } from "./cuda-libraries.ts";
export { type ImageStats, imageStats } from "./image-stats.ts";
export {
  type CompareMarkdownOptions,
  type CompareTableOptions,
  compareJson,
  compareMarkdown,
  compareTable,
} from "./render.ts";
