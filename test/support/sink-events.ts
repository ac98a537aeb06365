// Sink drivers receive SinkEvents (meta + the body's JSON text, serialised once by the core's
// fan-out). Driver tests write PipelineEvents: this wraps a driver so that every send
// serialises them first, exactly as fan-out does, and the test reads as before.

import { toSinkEvent, type PipelineEvent, type SendOutcome, type SinkDriver } from '../../src/core/types.js';

export type PipelineEventDriver<D extends SinkDriver> = Omit<D, 'send'> & {
  send(events: PipelineEvent[], signal: AbortSignal): Promise<SendOutcome>;
};

export function sendsPipelineEvents<D extends SinkDriver>(driver: D): PipelineEventDriver<D> {
  return { ...driver, send: (events, signal) => driver.send(events.map(toSinkEvent), signal) };
}
