// The Source interface: something that produces events (a stream, a poller) and reports how it is doing.

export interface SourceStatus {
  title: string;
  lines: string[];
}

export interface Source {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** For /readyz: false while a source that should be connected is not. */
  connected(): boolean;
  status(): Promise<SourceStatus>;
}
