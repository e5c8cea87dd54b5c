import type { TextSharing } from './transition.ts';

/**
 * The registry's TextSharing (see transition.ts): small and bounded, it starts over when full; by then
 * the strings it shared are held by the calls that use them.
 */
export class TextPool implements TextSharing {
  private readonly texts = new Map<string, string>();

  constructor(private readonly maxSize = 8_192) {}

  share(text: string): string {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    if (this.texts.size >= this.maxSize) this.texts.clear();
    this.texts.set(text, text);
    return text;
  }
}
