// Prompts in forms: the text shown for editing, and the prompt sent back (an audio prompt stays unless text
// replaces it; an empty optional prompt is none).
import type { Prompt } from '../api/routing-types.ts';

export function promptText(prompt: Prompt | null | undefined): string {
  return prompt?.kind === 'text' ? prompt.text : '';
}

export function promptFrom(text: string, previous: Prompt | null | undefined): Prompt | null {
  const trimmed = text.trim();
  if (trimmed !== '') return { kind: 'text', text: trimmed };
  return previous?.kind === 'audio' ? previous : null;
}

export function promptWords(prompt: Prompt | null | undefined): string {
  if (!prompt) return 'none';
  return prompt.kind === 'text' ? `“${prompt.text}”` : `audio file ${prompt.audioId}`;
}
