// Libraries report progress as events and never print; the CLI decides
// whether they become a bar on a terminal, plain lines, or nothing.

export interface ProgressEvent {
  /** A stable name for the task, e.g. `download` or `layer amd64`. */
  task: string;
  kind: "start" | "advance" | "end";
  unit?: "bytes" | "items";
  /** Known total for `start`. */
  total?: number;
  /** Amount done since the last event, for `advance`. */
  delta?: number;
  /** A second counter shown beside the main one (packages beside bytes). */
  items?: number;
  totalItems?: number;
  /**
   * A stage of a pipeline (resolve, layers, write): it has no counter, and is
   * named while it runs by the heartbeat of a log that is not a terminal.
   */
  stage?: boolean;
}

export type ProgressSink = (event: ProgressEvent) => void;

export const noProgress: ProgressSink = () => {};
