// Interleaves the events of overlapping calls in time order (ties: the call started first), keeping
// one heap entry per call in flight and rendering each event only when it is taken.
import { MinHeap } from './event-queue.ts';
import type { RenderedCall } from './render-call.ts';

interface ActiveCall {
  call: RenderedCall;
  next: number;
  seq: number;
}

export interface TakenEvent {
  atMs: number;
  text: string;
  call: RenderedCall;
  index: number;
  /** True when this was the call's last event. */
  finished: boolean;
}

export class CallMerger {
  private readonly heap = new MinHeap<ActiveCall>((a, b) => {
    const ta = a.call.atMs[a.next] as number;
    const tb = b.call.atMs[b.next] as number;
    return ta < tb || (ta === tb && a.seq < b.seq);
  });
  private seq = 0;

  get inFlight(): number {
    return this.heap.size;
  }

  add(call: RenderedCall): void {
    if (call.atMs.length > 0) this.heap.push({ call, next: 0, seq: this.seq++ });
  }

  /** When the earliest pending event is due, or undefined when no call is in flight. */
  nextAtMs(): number | undefined {
    const top = this.heap.peek();
    return top ? top.call.atMs[top.next] : undefined;
  }

  take(): TakenEvent | undefined {
    const top = this.heap.pop();
    if (!top) return undefined;
    const index = top.next;
    const atMs = top.call.atMs[index] as number;
    const text = top.call.text(index);
    top.next++;
    const finished = top.next >= top.call.atMs.length;
    if (!finished) this.heap.push(top);
    return { atMs, text, call: top.call, index, finished };
  }
}
