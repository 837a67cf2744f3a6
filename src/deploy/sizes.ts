// Byte counts written back for each target: Kubernetes quantities (2Gi) and
// Docker/Compose sizes (2g), both binary, exact, never rounded.

const UNITS = [
  [1024 ** 4, "Ti", "t"],
  [1024 ** 3, "Gi", "g"],
  [1024 ** 2, "Mi", "m"],
  [1024, "Ki", "k"],
] as const;

/** `2147483648` → `2Gi`. */
export function kubernetesQuantity(bytes: number): string {
  for (const [size, k8s] of UNITS) if (bytes % size === 0) return `${bytes / size}${k8s}`;
  return String(bytes);
}

/** `2147483648` → `2g`, as docker run and Compose read it. */
export function dockerSize(bytes: number): string {
  for (const [size, , docker] of UNITS)
    if (bytes % size === 0 && docker !== "t") return `${bytes / size}${docker}`;
  return `${bytes}b`;
}

/** Millicores as Kubernetes writes them: 2000 → `2`, 500 → `500m`. */
export function kubernetesCpu(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Millicores as docker --cpus takes them: 500 → `0.5`. */
export function dockerCpus(milli: number): string {
  return String(milli / 1000);
}
