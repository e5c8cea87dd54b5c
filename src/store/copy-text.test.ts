import { describe, expect, it } from 'vitest';
import { cleanText, copyField, jsonbSafeText, rawText } from './copy-text.ts';

describe('copyField', () => {
  it.each([
    [null, '\\N'],
    ['plain', 'plain'],
    ['a\\b', 'a\\\\b'],
    ['tab\there', 'tab\\there'],
    ['line\nbreak\r', 'line\\nbreak\\r'],
    ['nul\0gone', 'nulgone'],
    ['{"k":"a\\"b"}', '{"k":"a\\\\"b"}'],
  ])('encodes %j as %j', (input, encoded) => {
    expect(copyField(input)).toBe(encoded);
  });
});

describe('cleanText', () => {
  it('drops NUL characters and leaves other text alone', () => {
    expect(cleanText('a\0b')).toBe('ab');
    const text = 'unchanged';
    expect(cleanText(text)).toBe(text);
  });
});

describe('jsonbSafeText', () => {
  it('keeps valid JSON as the same value', () => {
    const raw = '{"type":"Dial","peer":{"id":"1"},"n":[1,2.5,null,true]}';
    expect(JSON.parse(jsonbSafeText(raw))).toEqual(JSON.parse(raw));
  });

  it('replaces NUL and unpaired surrogates in values and keys', () => {
    const out = jsonbSafeText('{"v":"a\\u0000b","k\\u0000":"\\ud800x","ok":"\\ud83d\\ude00"}');
    expect(out).not.toMatch(/\\u0000|\\ud800/);
    expect(JSON.parse(out)).toEqual({ v: 'a\uFFFDb', 'k\uFFFD': '\uFFFDx', ok: '😀' });
  });

  it('keeps text that is not JSON as a JSON string', () => {
    expect(JSON.parse(jsonbSafeText('not json {'))).toBe('not json {');
    expect(JSON.parse(jsonbSafeText('bad\0'))).toBe('bad\uFFFD');
  });
});

describe('rawText', () => {
  it('reads raw text from a string or from its bytes', () => {
    expect(rawText('{"a":"é"}')).toBe('{"a":"é"}');
    expect(rawText(new Uint8Array(Buffer.from('{"a":"é"}', 'utf8')))).toBe('{"a":"é"}');
  });
});
