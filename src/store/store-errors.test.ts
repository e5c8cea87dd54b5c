import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES } from '../errors.ts';
import { toStoreError } from './store-errors.ts';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('toStoreError', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['admin shutdown', withCode('57P01')],
    ['too many connections', withCode('53300')],
    ['deadlock', withCode('40P01')],
    ['serialization failure', withCode('40001')],
    ['connection lost mid-query', new Error('Connection terminated unexpectedly')],
  ])('marks %s as a retryable unavailable store', (_name, err) => {
    const mapped = toStoreError(err, 'writeBatch');
    expect(mapped).toMatchObject({ code: ERROR_CODES.STORE_UNAVAILABLE, retryable: true, cause: err });
    expect(mapped.message).toContain('writeBatch');
  });

  it.each([
    ['bad input', withCode('22P02')],
    ['missing table', withCode('42P01')],
    ['a bug', new TypeError('Connection is not a function')],
  ])('marks %s as internal and not retryable', (_name, err) => {
    expect(toStoreError(err, 'getCall')).toMatchObject({ code: ERROR_CODES.INTERNAL, retryable: false });
  });

  it('passes AppErrors through', () => {
    const err = new AppError(ERROR_CODES.REQUEST_INVALID, 'cursor is not valid');
    expect(toStoreError(err, 'listCalls')).toBe(err);
  });
});
