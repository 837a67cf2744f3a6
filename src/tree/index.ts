// The image tree the link check reads: each layer's nodes collected as its
// entries pass, and the layers merged per platform.

export { isLoaderConfig, parseShebang, TreeCollector, type TreeNodes, treeNodes } from "./collect.ts";
export { TreeMerger } from "./merge.ts";
